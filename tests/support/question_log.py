"""Question-log test helpers: Rasa events as the broker receives them, rows as it writes them."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List

from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered

from bot.questionlog.turns import TurnAssembler

SENDER = "re_0123456789abcdef0123456789abcdef"


def user(
    text: str,
    intent: str,
    confidence: float,
    message_id: str,
    channel: str = "rest",
    ts: float = 1000.0,
    channel_message_id=None,
) -> UserUttered:
    metadata = {"channel_message_id": channel_message_id} if channel_message_id else {}
    event = UserUttered(
        text,
        intent={"name": intent, "confidence": confidence},
        parse_data={
            "intent": {"name": intent, "confidence": confidence},
            "entities": [],
            "text": text,
        },
        input_channel=channel,
        message_id=message_id,
        metadata=metadata,
        timestamp=ts,
    )
    return event


def action(name: str, ts: float) -> ActionExecuted:
    return ActionExecuted(name, timestamp=ts)


def stream(target, events: List[Event], sender: str = SENDER) -> None:
    for event in events:
        target.publish({"sender_id": sender, **event.as_dict()})


def feed(assembler: TurnAssembler, events: List[Event], sender: str = SENDER) -> list:
    rows = []
    for event in events:
        rows += assembler.feed({"sender_id": sender, **event.as_dict()})
    return rows


def faq_turn(
    text="申报截止时间是什么时候", topic="deadline", message_id="m1", ts=1000.0, **kw
) -> List[Event]:
    return [
        user(text, topic, 0.93, message_id, ts=ts, **kw),
        action("action_answer", ts + 0.2),
        BotUttered("市州发展改革委须于2021年11月28日前……", timestamp=ts + 0.25),
        SlotSet("last_topic", topic, timestamp=ts + 0.25),
        action("action_listen", ts + 0.3),
    ]


def fallback_turn(text="食堂几点开饭", message_id="m2", ts=2000.0) -> List[Event]:
    return [
        user(text, "nlu_fallback", 0.31, message_id, ts=ts),
        action("action_fallback_answer", ts + 0.1),
        BotUttered("抱歉，这个问题我没有把握回答", timestamp=ts + 0.12),
        action("action_listen", ts + 0.15),
    ]


def make_row(created_at: dt.datetime, message_id: str, **fields: Any) -> Dict[str, Any]:
    """A question-log row as the broker would write it (created_at in naive UTC)."""
    row: Dict[str, Any] = {
        "created_at": created_at,
        "channel": "rest",
        "sender_id": "re_sender1",
        "channel_message_id": message_id,
        "text": "",
        "normalized": "",
        "intent": None,
        "confidence": None,
        "topic": None,
        "action": None,
        "reply": "",
        "latency_ms": 100,
        "in_selfcheck": False,
        "selfcheck_event": None,
        "slots": None,
    }
    row.update(fields)
    if fields.get("text") and not fields.get("normalized"):
        from bot.answer.normalize import normalize

        row["normalized"] = normalize(fields["text"])
    return row
