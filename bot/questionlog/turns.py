"""Rasa events in → one ``LoggedTurn`` per applicant message out. Pure: no I/O, no database.

A turn starts with a ``user`` event and ends at the next ``action_listen``, the
sender's next ``user`` event, a session start or restart — or when it is evicted
because too many conversations are open at once (it is then emitted as it is,
never dropped).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import json
from typing import Any, Dict, List, Mapping, Optional

from bot import feedback as fb
from bot import names
from bot.questionlog.models import (
    FALLBACK,
    NOT_IN_NOTICE,
    SELFCHECK_CANCEL,
    SELFCHECK_COMPLETE,
    SELFCHECK_START,
    utc_from_timestamp,
)

TOPIC_SLOT = names.LAST_TOPIC
ANSWER_ACTION = names.ACTION_ANSWER
FALLBACK_ACTIONS = frozenset({names.ACTION_FALLBACK_ANSWER, names.ACTION_DEFAULT_FALLBACK})
# the notice does not cover the question: said so, with the human contacts (actions/)
NOT_IN_NOTICE_ACTIONS = frozenset({names.ACTION_NOT_IN_NOTICE})
# actions that end the self-check without a result (actions/selfcheck.py) / start it over
CANCEL_ACTIONS = frozenset({names.ACTION_DEACTIVATE_LOOP, names.ACTION_SELFCHECK_STOP})
RESTART_ACTIONS = frozenset({names.ACTION_SELFCHECK_RESET})
# slots worth keeping for the report (self-check answers; entities asked about)
RECORDED_SLOTS = frozenset({*names.ENTITIES, names.SC_TYPE, names.SC_CITY, names.SC_DIRECTION})
MAX_PENDING_SENDERS = 10_000

# column widths of models.QuestionLogEntry
CHANNEL_LEN, SENDER_LEN, MESSAGE_ID_LEN, NAME_LEN = 32, 64, 128, 128


@dataclasses.dataclass(frozen=True)
class LoggedTurn:
    """One finished applicant message: exactly the columns of ``question_log``."""

    created_at: dt.datetime
    channel: str
    sender_id: str
    channel_message_id: str
    text: str
    intent: Optional[str]
    confidence: Optional[float]
    topic: Optional[str]
    action: Optional[str]
    reply: str
    latency_ms: Optional[int]
    in_selfcheck: bool
    selfcheck_event: Optional[str]
    slots: Optional[str]  # JSON
    normalized: Optional[str] = None  # filled in by the store (keeps publish() cheap)
    # did it help? (bot/feedback.py): the answer offered the buttons / this message is feedback
    feedback_offered: Optional[bool] = None
    feedback: Optional[str] = None  # "yes" / "no"
    feedback_for: Optional[str] = None  # channel_message_id of the answer, if the button said

    @property
    def key(self) -> tuple:
        """What makes a message unique (the table's unique constraint)."""
        return (self.sender_id, self.channel_message_id)

    def as_record(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        record = self.as_record()
        record["created_at"] = self.created_at.isoformat()
        return json.dumps(record, ensure_ascii=False)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> LoggedTurn:
        """From a dict (a JSON line of the spill file, or a test's row); unknown keys ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in record.items() if k in names}
        created = values.get("created_at")
        if isinstance(created, str):
            values["created_at"] = dt.datetime.fromisoformat(created)
        return cls(**values)


@dataclasses.dataclass
class OpenTurn:
    """A message still being answered."""

    sender_id: str
    channel: str
    channel_message_id: str
    text: str
    intent: Optional[str]
    confidence: Optional[float]
    started: Optional[float]
    last: Optional[float]
    in_selfcheck: bool
    replies: List[str] = dataclasses.field(default_factory=list)
    actions: List[str] = dataclasses.field(default_factory=list)
    action: Optional[str] = None
    topic: Optional[str] = None
    selfcheck_event: Optional[str] = None
    slots: Dict[str, Any] = dataclasses.field(default_factory=dict)
    feedback_offered: bool = False
    feedback: Optional[fb.Feedback] = None

    def finish(self) -> LoggedTurn:
        started, ended = self.started, self.last
        latency = None
        if _is_number(started) and _is_number(ended) and ended >= started:
            latency = int(round((ended - started) * 1000))
        confidence = None
        if self.confidence is not None:
            try:
                confidence = float(self.confidence)
            except (TypeError, ValueError):
                confidence = None
        return LoggedTurn(
            created_at=utc_from_timestamp(started if _is_number(started) else None),
            channel=self.channel[:CHANNEL_LEN],
            sender_id=self.sender_id[:SENDER_LEN],
            channel_message_id=(self.channel_message_id or f"{self.sender_id}:{started}")[
                :MESSAGE_ID_LEN
            ],
            text=self.text,
            intent=self.intent,
            confidence=confidence,
            topic=self.topic,
            action=self.action,
            reply="\n".join(self.replies),
            latency_ms=latency,
            in_selfcheck=bool(self.in_selfcheck),
            selfcheck_event=self.selfcheck_event,
            slots=json.dumps(self.slots, ensure_ascii=False, default=str) if self.slots else None,
            feedback_offered=True if self.feedback_offered else None,
            feedback=self.feedback.helpful if self.feedback else None,
            feedback_for=self.feedback.answer[:MESSAGE_ID_LEN]
            if self.feedback and self.feedback.answer
            else None,
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _name(value: Any) -> Optional[str]:
    return str(value)[:NAME_LEN] if value else None


class TurnAssembler:
    """Events of many conversations in → finished turns out."""

    def __init__(
        self, selfcheck_form: str = names.SELFCHECK_FORM, max_open: int = MAX_PENDING_SENDERS
    ):
        self.selfcheck_form = selfcheck_form
        self.max_open = max_open
        self._turns: collections.OrderedDict[str, OpenTurn] = collections.OrderedDict()
        self._active_loop: collections.OrderedDict[str, Optional[str]] = collections.OrderedDict()

    @property
    def open_turns(self) -> int:
        return len(self._turns)

    def feed(self, event: Mapping[str, Any]) -> List[LoggedTurn]:
        """Feed one published event; return the turns it completes (usually zero or one)."""
        kind = event.get("event")
        sender = str(event.get("sender_id") or "")
        done: List[LoggedTurn] = []
        if kind == "user":
            self._finish(sender, done)
            self._start(sender, event, done)
            return done
        if kind in ("session_started", "restart"):
            self._finish(sender, done)
            self._set_loop(sender, None)
            return done
        turn = self._turns.get(sender)
        if kind == "active_loop":
            self._on_active_loop(sender, turn, event.get("name"))
            return done
        if turn is None:
            return done
        timestamp = event.get("timestamp")
        if _is_number(timestamp):
            turn.last = timestamp
        if kind == "bot":
            text = event.get("text")
            if text:
                turn.replies.append(str(text))
            data = event.get("data")
            buttons = data.get("buttons") if isinstance(data, Mapping) else None
            if isinstance(buttons, list) and any(fb.is_feedback_button(b) for b in buttons):
                turn.feedback_offered = True
        elif kind == "action":
            self._on_action(sender, turn, str(event.get("name") or ""), done)
        elif kind == "slot":
            self._on_slot(turn, event.get("name"), event.get("value"))
        return done

    def finish_all(self) -> List[LoggedTurn]:
        """Turns still open (shutdown)."""
        done: List[LoggedTurn] = []
        for sender in list(self._turns):
            self._finish(sender, done)
        return done

    # -- internals ---------------------------------------------------------

    def _on_action(self, sender: str, turn: OpenTurn, name: str, done: List[LoggedTurn]) -> None:
        if name == names.ACTION_LISTEN:
            self._finish(sender, done)
            return
        turn.actions.append(name)
        turn.action = name[:NAME_LEN]
        if name in FALLBACK_ACTIONS:
            turn.topic = FALLBACK
        elif name in NOT_IN_NOTICE_ACTIONS:
            turn.topic = NOT_IN_NOTICE

    def _on_slot(self, turn: OpenTurn, name: Any, value: Any) -> None:
        if name == TOPIC_SLOT:
            if value:
                if turn.topic != NOT_IN_NOTICE:
                    turn.topic = str(value)[:NAME_LEN]
            elif turn.action == ANSWER_ACTION:
                turn.topic = FALLBACK  # action_answer found no topic: the fallback text
        elif name in RECORDED_SLOTS and value is not None:
            turn.slots[str(name)] = value

    def _start(self, sender: str, event: Mapping[str, Any], done: List[LoggedTurn]) -> None:
        parse_data = event.get("parse_data")
        intent = parse_data.get("intent") if isinstance(parse_data, Mapping) else None
        intent = intent if isinstance(intent, Mapping) else {}
        metadata = event.get("metadata")
        metadata = metadata if isinstance(metadata, Mapping) else {}
        message_id = metadata.get("channel_message_id") or event.get("message_id") or ""
        timestamp = event.get("timestamp")
        timestamp = timestamp if _is_number(timestamp) else None
        feedback = None
        if intent.get("name") == fb.INTENT and isinstance(parse_data, Mapping):
            feedback = fb.from_entities(parse_data.get("entities"))
        self._turns[sender] = OpenTurn(
            sender_id=sender,
            channel=str(event.get("input_channel") or ""),
            channel_message_id=str(message_id)[:MESSAGE_ID_LEN],
            text=str(event.get("text") or ""),
            intent=_name(intent.get("name")),
            confidence=intent.get("confidence"),
            started=timestamp,
            last=timestamp,
            in_selfcheck=self._active_loop.get(sender) == self.selfcheck_form,
            feedback=feedback,
        )
        self._turns.move_to_end(sender)
        while len(self._turns) > self.max_open:  # a turn never closed: emit it, do not drop it
            _, evicted = self._turns.popitem(last=False)
            done.append(evicted.finish())

    def _set_loop(self, sender: str, name: Optional[str]) -> None:
        self._active_loop[sender] = name
        self._active_loop.move_to_end(sender)
        while len(self._active_loop) > self.max_open:
            self._active_loop.popitem(last=False)

    def _on_active_loop(self, sender: str, turn: Optional[OpenTurn], name: Any) -> None:
        was = self._active_loop.get(sender)
        self._set_loop(sender, name if isinstance(name, str) else None)
        if turn is None:
            return
        restarted = bool(RESTART_ACTIONS.intersection(turn.actions))
        if name == self.selfcheck_form and (was != self.selfcheck_form or restarted):
            turn.in_selfcheck = True
            turn.selfcheck_event = SELFCHECK_START
        elif name is None and was == self.selfcheck_form:
            turn.in_selfcheck = True
            cancelled = bool(CANCEL_ACTIONS.intersection(turn.actions))
            if turn.selfcheck_event != SELFCHECK_START or cancelled:
                turn.selfcheck_event = SELFCHECK_CANCEL if cancelled else SELFCHECK_COMPLETE

    def _finish(self, sender: str, done: List[LoggedTurn]) -> None:
        turn = self._turns.pop(sender, None)
        if turn is not None:
            done.append(turn.finish())
