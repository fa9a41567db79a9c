"""The event broker: rows assembled from real Rasa events, written off the reply path, once."""

from __future__ import annotations

import json
import time
from typing import List

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.events import (
    ActiveLoop,
    BotUttered,
    SessionStarted,
    SlotSet,
)
from sqlalchemy import select

from bot.questionlog import db
from bot.questionlog.broker import QuestionLogBroker, TurnAssembler, write_rows
from bot.questionlog.models import QuestionLogEntry
from tests.support.question_log import (
    SENDER,
    action,
    fallback_turn,
    faq_turn,
    feed,
    stream,
    user,
)


def test_faq_answer_becomes_one_row():
    rows = feed(
        TurnAssembler(),
        [
            action("action_session_start", 999.0),
            SessionStarted(timestamp=999.0),
            action("action_listen", 999.1),
            *faq_turn(),
        ],
    )
    assert len(rows) == 1
    row = rows[0]
    assert row.sender_id == SENDER
    assert row.channel == "rest"
    assert row.channel_message_id == "m1"  # Rasa's message id when the channel gives none
    assert row.text == "申报截止时间是什么时候"
    assert row.normalized is None  # computed by the store, off Rasa's event loop
    assert (row.intent, row.confidence) == ("deadline", 0.93)
    assert row.topic == "deadline"
    assert row.action == "action_answer"
    assert row.reply.startswith("市州发展改革委须于")
    assert row.latency_ms == 300
    assert row.in_selfcheck is False and row.selfcheck_event is None


def test_fallbacks_are_recorded_as_fallback():
    assembler = TurnAssembler()
    rows = feed(assembler, fallback_turn())
    # action_answer that found no topic says the fallback text and clears last_topic
    rows += feed(
        assembler,
        [
            user("那个呢", "inform", 0.8, "m3", ts=3000.0),
            action("action_answer", 3000.1),
            BotUttered("抱歉，这个问题我没有把握回答", timestamp=3000.1),
            SlotSet("last_topic", None, timestamp=3000.1),
            action("action_listen", 3000.2),
        ],
    )
    assert [r.topic for r in rows] == ["fallback", "fallback"]
    assert rows[0].intent == "nlu_fallback"


def test_small_talk_has_no_topic_and_channel_message_id_wins():
    rows = feed(
        TurnAssembler(),
        [
            user(
                "你好",
                "greet",
                0.99,
                "rasa-id",
                channel="wechat",
                ts=10.0,
                channel_message_id="24123456789",
            ),
            action("action_welcome", 10.1),
            BotUttered("您好！", timestamp=10.1),
            BotUttered("第二条", timestamp=10.2),
            action("action_listen", 10.2),
        ],
    )
    assert rows[0].topic is None
    assert rows[0].channel == "wechat"
    assert rows[0].channel_message_id == "24123456789"
    assert rows[0].reply == "您好！\n第二条"


def test_selfcheck_start_complete_and_cancel():
    assembler = TurnAssembler()
    rows = feed(
        assembler,
        [
            user("我想自测", "selfcheck", 0.97, "s1", ts=1.0),
            action("selfcheck_form", 1.1),
            ActiveLoop("selfcheck_form", timestamp=1.1),
            BotUttered("您是哪类主体？", timestamp=1.1),
            SlotSet("requested_slot", "applicant_type", timestamp=1.1),
            action("action_listen", 1.2),
            user("企业", "inform", 0.9, "s2", ts=2.0),
            action("selfcheck_form", 2.1),
            SlotSet("sc_type", "enterprise", timestamp=2.1),
            SlotSet("sc_direction", "rongtong_chuangxin", timestamp=2.1),
            ActiveLoop(None, timestamp=2.1),
            SlotSet("requested_slot", None, timestamp=2.1),
            BotUttered("自测结果……", timestamp=2.2),
            action("action_listen", 2.3),
            user("再测一次", "selfcheck", 0.97, "s3", ts=3.0),
            action("selfcheck_form", 3.1),
            ActiveLoop("selfcheck_form", timestamp=3.1),
            action("action_listen", 3.2),
            user("不测了", "stop", 0.95, "s4", ts=4.0),
            action("action_deactivate_loop", 4.1),
            ActiveLoop(None, timestamp=4.1),
            action("action_listen", 4.2),
            user("截止时间", "deadline", 0.9, "s5", ts=5.0),
            action("action_listen", 5.1),
        ],
    )
    assert [(r.selfcheck_event, r.in_selfcheck) for r in rows] == [
        ("start", True),
        ("complete", True),
        ("start", True),
        ("cancel", True),
        (None, False),
    ]
    assert json.loads(rows[1].slots) == {
        "sc_type": "enterprise",
        "sc_direction": "rongtong_chuangxin",
    }


def test_selfcheck_stop_and_restart_actions_of_the_selfcheck_module():
    assembler = TurnAssembler()
    rows = feed(
        assembler,
        [
            user("自测", "selfcheck", 0.97, "r1", ts=1.0),
            action("selfcheck_form", 1.1),
            ActiveLoop("selfcheck_form", timestamp=1.1),
            action("action_listen", 1.2),
            user("重新开始", "selfcheck_restart", 0.9, "r2", ts=2.0),
            action("action_selfcheck_reset", 2.1),
            action("selfcheck_form", 2.2),
            ActiveLoop("selfcheck_form", timestamp=2.2),
            action("action_listen", 2.3),
            user("不测了", "selfcheck_stop", 0.9, "r3", ts=3.0),
            action("action_selfcheck_stop", 3.1),
            ActiveLoop(None, timestamp=3.1),
            action("action_listen", 3.2),
        ],
    )
    assert [r.selfcheck_event for r in rows] == ["start", "start", "cancel"]


def test_interleaved_conversations_and_unclosed_turns():
    assembler = TurnAssembler()
    rows = feed(assembler, faq_turn(message_id="a1")[:3], sender="re_a")
    rows += feed(assembler, fallback_turn(message_id="b1"), sender="re_b")
    rows += feed(assembler, faq_turn(message_id="a1")[3:], sender="re_a")
    assert [(r.sender_id, r.channel_message_id) for r in rows] == [("re_b", "b1"), ("re_a", "a1")]
    # a new user message closes a turn that never saw action_listen
    rows = feed(assembler, [user("x", "greet", 0.9, "c1")], sender="re_c")
    rows += feed(assembler, [user("y", "greet", 0.9, "c2")], sender="re_c")
    assert [r.channel_message_id for r in rows] == ["c1"]
    assert [r.channel_message_id for r in assembler.finish_all()] == ["c2"]


def test_publish_never_raises_into_rasa(tmp_path, caplog):
    broker = QuestionLogBroker(url=f"sqlite:///{tmp_path / 'q.db'}")
    for junk in [
        {},
        {"event": "user", "parse_data": "not a dict"},
        {"event": "action"},
        {"event": "bot", "text": None},
        None,
    ]:
        broker.publish(junk)  # type: ignore[arg-type]
    broker.writer.stop(1)
    db.dispose(f"sqlite:///{tmp_path / 'q.db'}")


def rows_in(url: str) -> List[QuestionLogEntry]:
    with db.session_scope(url) as session:
        return [
            r.as_dict()
            for r in session.execute(
                select(QuestionLogEntry).order_by(QuestionLogEntry.id)
            ).scalars()
        ]


async def test_broker_writes_rows_once_even_when_a_message_is_retried(db_url):
    broker = QuestionLogBroker(url=db_url)
    stream(broker, faq_turn(channel_message_id="wx-100"))
    stream(broker, fallback_turn())
    # WeChat retries the same MsgId: Rasa may process it again (new Rasa message id)
    stream(broker, faq_turn(message_id="m1-retry", ts=1005.0, channel_message_id="wx-100"))
    assert broker.flush(20)
    rows = rows_in(db_url)
    assert [(r["channel_message_id"], r["topic"]) for r in rows] == [
        ("wx-100", "deadline"),
        ("m2", "fallback"),
    ]
    assert broker.stats()["written"] == 2 and broker.stats()["duplicates"] == 1
    # and writing the same batch again (a retried database write) inserts nothing
    from bot.questionlog.broker import TurnAssembler as Fresh

    again = feed(Fresh(), faq_turn(channel_message_id="wx-100"))
    assert write_rows(again, db_url) == 0
    await broker.close()


async def test_rasa_loads_the_broker_from_endpoints_config(tmp_path, settings_env):
    from rasa.utils.endpoints import EndpointConfig

    url = f"sqlite:///{tmp_path / 'q.db'}"
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    config = EndpointConfig(
        type="bot.questionlog.broker.QuestionLogBroker",
        url=url,
        max_buffer=50,
        tracker_url=tracker_url,
        retention_days=30,
        spill_path=str(tmp_path / "spill.jsonl"),
    )
    broker = await EventBroker.create(config)
    assert isinstance(broker, QuestionLogBroker)
    assert broker.writer.url == url and broker.writer.max_buffer == 50
    assert broker.writer.spill.path == tmp_path / "spill.jsonl"
    # the running server purges once a day by itself
    assert broker.retention.interval == 24 * 3600 and broker.retention.days == 30
    assert broker.retention.tracker_url == tracker_url
    assert broker.is_ready()
    await broker.close()
    db.dispose(url)


async def test_rasa_cannot_start_the_broker_without_a_shared_secret(
    monkeypatch, settings_env, caplog
):
    from rasa.utils.endpoints import EndpointConfig

    from bot.settings import MissingSecret, get_settings

    monkeypatch.delenv("QUESTION_LOG_SECRET")
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot@127.0.0.1:1/qlog")
    get_settings.cache_clear()
    config = EndpointConfig(type="bot.questionlog.broker.QuestionLogBroker")
    with pytest.raises(MissingSecret):
        await QuestionLogBroker.from_endpoint_config(config)
    assert "未设置 QUESTION_LOG_SECRET" in caplog.text


async def test_capture_through_rasa_tracker_store(db_url):
    """Rasa's own tracker store streams a real conversation's new events to the broker."""
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.domain import Domain

    domain = Domain.load("domain.yml")
    broker = QuestionLogBroker(url=db_url)
    store = InMemoryTrackerStore(domain, event_broker=broker)
    tracker = await store.get_or_create_tracker(SENDER)
    for event in faq_turn(ts=time.time()):
        tracker.update(event)
    await store.save(tracker)
    for event in fallback_turn(ts=time.time()):
        tracker.update(event)
    await store.save(tracker)
    assert broker.flush(20)
    rows = rows_in(db_url)
    assert [r["topic"] for r in rows] == ["deadline", "fallback"]
    assert {r["sender_id"] for r in rows} == {SENDER}
    await broker.close()


def test_publish_overhead_is_tiny(tmp_path):
    """publish() runs on Rasa's event loop: it must only assemble and enqueue."""
    url = f"sqlite:///{tmp_path / 'q.db'}"
    broker = QuestionLogBroker(url=url)
    events = [
        [{"sender_id": SENDER, **e.as_dict()} for e in faq_turn(message_id=f"m{i}")]
        for i in range(500)
    ]
    started = time.perf_counter()
    for message in events:
        for event in message:
            broker.publish(event)
    per_message_ms = (time.perf_counter() - started) / len(events) * 1000
    print(f"publish overhead: {per_message_ms:.3f} ms per message (5 events)")
    assert per_message_ms < 2.0
    assert broker.flush(30)
    assert broker.stats()["written"] == 500
    broker.writer.stop(1)
    db.dispose(url)


@pytest.mark.parametrize(
    "bad",
    [
        {
            "event": "user",
            "sender_id": "x",
            "text": "a" * 10,
            "parse_data": {"intent": {"name": "i" * 500}},
        }
    ],
)
def test_overlong_values_are_cut_to_fit(bad, tmp_path):
    assembler = TurnAssembler()
    assembler.feed(bad)
    row = assembler.finish_all()[0]
    assert len(row.intent) == 128


def test_writer_stores_the_normalised_text(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    rows = feed(TurnAssembler(), faq_turn(text="申報截止時間是什麼時候？"))
    assert write_rows(rows, url) == 1
    assert rows_in(url)[0]["normalized"] == "申报截止时间是什么时候?"
    db.dispose(url)
