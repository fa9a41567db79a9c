"""“Did it help?” in the question log: the broker ties a feedback message to the answer it rates
(SQLite and PostgreSQL), counts one verdict per answer, and the report shows it per topic."""

from __future__ import annotations

import csv
import datetime as dt
from typing import List

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from sqlalchemy import select

from bot import feedback as fb
from bot.cli import main as cli_main
from bot.questionlog import report
from bot.questionlog.broker import QuestionLogBroker, TurnAssembler, write_rows
from bot.questionlog.models import QuestionLogEntry
from bot.questionlog.stats import FaqLabels, compute, load_rows

SENDER = "tg_0123456789abcdef0123456789abcdef"
OTHER = "wx_fedcba9876543210fedcba9876543210"
WORDS = {fb.YES: "有帮助", fb.NO: "没帮助"}
DAY = dt.date(2026, 11, 2)
T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.timezone.utc).timestamp()  # 10:00 China time


def answer(text: str, topic: str, message_id: str, ts: float, offered: bool = True) -> List[Event]:
    data = {"buttons": fb.buttons(WORDS, message_id)} if offered else {}
    return [
        UserUttered(
            text,
            intent={"name": topic, "confidence": 0.9},
            parse_data={"intent": {"name": topic, "confidence": 0.9}, "entities": []},
            input_channel="telegram",
            metadata={"channel_message_id": message_id},
            timestamp=ts,
        ),
        ActionExecuted("action_answer", timestamp=ts + 0.1),
        BotUttered("……（依据：通知）", data=data, timestamp=ts + 0.2),
        SlotSet("last_topic", topic, timestamp=ts + 0.2),
        ActionExecuted("action_listen", timestamp=ts + 0.3),
    ]


def feedback(helpful: str, message_id: str, ts: float, about: str | None = None) -> List[Event]:
    """What Rasa publishes for a ``/feedback{…}`` trigger (RegexMessageHandler's parse data)."""
    text = fb.trigger(helpful, about)
    entities = [{"entity": "helpful", "value": helpful}]
    if about:
        entities.append({"entity": "answer", "value": about})
    return [
        UserUttered(
            text,
            intent={"name": "feedback", "confidence": 1.0},
            parse_data={"intent": {"name": "feedback", "confidence": 1.0}, "entities": entities},
            input_channel="telegram",
            metadata={"channel_message_id": message_id},
            timestamp=ts,
        ),
        ActionExecuted(fb.ACTION, timestamp=ts + 0.1),
        BotUttered("谢谢您的反馈！", timestamp=ts + 0.2),
        ActionExecuted("action_listen", timestamp=ts + 0.3),
    ]


def publish(target, events: List[Event], sender: str = SENDER) -> list:
    rows = []
    for event in events:
        record = {"sender_id": sender, **event.as_dict()}
        if isinstance(target, TurnAssembler):
            rows += target.feed(record)
        else:
            target.publish(record)
    return rows


def stored(url: str) -> dict:
    from bot.questionlog.db import session_scope

    with session_scope(url) as session:
        entries = session.execute(select(QuestionLogEntry).order_by(QuestionLogEntry.id))
        return {e.channel_message_id: e.as_dict() for e in entries.scalars()}


def test_the_assembler_marks_answers_that_offered_buttons_and_reads_the_verdict():
    assembler = TurnAssembler()
    rows = publish(assembler, answer("截止时间？", "deadline", "u1", T0))
    rows += publish(assembler, answer("那株洲呢？", "deadline", "u2", T0 + 10, offered=False))
    rows += publish(assembler, feedback(fb.NO, "u3", T0 + 20, about="u1"))
    rows += publish(assembler, feedback(fb.YES, "u4", T0 + 30))
    assert [(r.feedback_offered, r.feedback, r.feedback_for) for r in rows] == [
        (True, None, None),
        (None, None, None),
        (None, "no", "u1"),
        (None, "yes", None),
    ]
    assert rows[2].topic is None and rows[2].action == fb.ACTION  # not an answer itself


async def test_feedback_is_tied_to_the_answer_once_and_reported_per_topic(
    db_url, tmp_path, knowledge_copy
):
    broker = QuestionLogBroker(url=db_url)
    conversation = [
        *answer("截止时间是哪天？", "deadline", "u1", T0),
        *answer("材料交到哪里", "submission", "u2", T0 + 60),
        # a tap on the older answer's button names it: u1, not the latest
        *feedback(fb.NO, "u3", T0 + 70, about="u1"),
        # typed by hand (no id): the latest answer that offered the buttons, u2
        *feedback(fb.YES, "u4", T0 + 80),
        # the same answer rated again (double tap, or changed mind): the first verdict stays
        *feedback(fb.YES, "u5", T0 + 90, about="u1"),
        *feedback(fb.NO, "u6", T0 + 95),
        # a follow-up on the same topic offers no buttons; feedback then is for u2 (rated)
        *answer("那株洲呢？", "submission", "u7", T0 + 100, offered=False),
        *feedback(fb.NO, "u8", T0 + 110),
        # an id that names no answer of this sender: the latest offered answer (already rated)
        *feedback(fb.NO, "u9", T0 + 120, about="u999"),
        *answer("截止时间是哪天", "deadline", "u10", T0 + 200),
    ]
    publish(broker, conversation)
    # another applicant: 没帮助 typed with no answer before it, then a rated answer
    publish(broker, feedback(fb.NO, "w1", T0 + 5), sender=OTHER)
    publish(broker, answer("截止时间", "deadline", "w2", T0 + 300), sender=OTHER)
    publish(broker, feedback(fb.NO, "w3", T0 + 310), sender=OTHER)
    # a stale tap: another sender's answer id is never theirs to rate
    publish(broker, feedback(fb.YES, "w4", T0 + 320, about="u10"), sender=OTHER)
    assert broker.flush(20)
    await broker.close()

    rows = stored(db_url)
    assert {k: r["helpful"] for k, r in rows.items() if r["feedback_offered"]} == {
        "u1": False,
        "u2": True,
        "u10": None,
        "w2": False,
    }
    assert rows["u3"]["feedback"] == "no" and rows["u3"]["feedback_for"] == "u1"
    assert rows["u7"]["feedback_offered"] is None

    # replaying the same feedback (a retried batch, the spill file) changes nothing
    replay = publish(TurnAssembler(), feedback(fb.YES, "u3", T0 + 70, about="u1"))
    assert write_rows(replay, db_url) == 0
    assert stored(db_url)["u1"]["helpful"] is False

    labels = FaqLabels(questions={"deadline": "申报截止时间是什么时候？"})
    result = compute(load_rows(DAY, DAY, db_url), DAY, DAY, labels)
    by_topic = {t.topic: t for t in result.feedback}
    deadline, submission = by_topic["deadline"], by_topic["submission"]
    assert (deadline.question, deadline.answers, deadline.offered) == (
        "申报截止时间是什么时候？",
        3,
        3,
    )
    assert (deadline.feedback, deadline.helpful, deadline.unhelpful) == (2, 0, 2)
    assert deadline.helpful_rate == 0.0
    assert deadline.unhelpful_questions == ["截止时间", "截止时间是哪天？"]  # newest first
    assert (submission.answers, submission.feedback, submission.helpful_rate) == (2, 1, 1.0)
    assert (result.feedback_count, result.helpful_count) == (3, 1)
    # the 9 有帮助/没帮助 messages rate answers; they are not counted as questions
    assert (result.total, result.answered, result.other) == (5, 5, 0)
    assert not result.unanswered

    out = tmp_path / "report.csv"
    assert (
        cli_main(
            ["report", "--since", "2026-11-02", "--until", "2026-11-02", "--database-url", db_url]
            + ["--knowledge-dir", str(knowledge_copy), "--out", str(out)]
        )
        == 0
    )
    with out.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    start = lines.index(["【回答是否有帮助（按问答条目）】"])
    assert lines[start + 1] == report.FEEDBACK_HEADER
    table = {row[0]: row for row in lines[start + 2 : start + 4]}
    assert table["deadline"][2:] == ["3", "2", "0", "2", "0.0%", "截止时间 / 截止时间是哪天？"]
    assert table["submission"][2:] == ["2", "1", "1", "0", "100.0%", ""]


@pytest.mark.parametrize(
    "rows, expected",
    [
        ([], []),
        # answers without any feedback: listed, rate unknown
        (
            [{"topic": "deadline", "feedback_offered": True, "helpful": None, "text": "q"}],
            [("deadline", 1, 0, None, [])],
        ),
        # fallback, not-in-notice and other messages are not answers; clause quotes are
        (
            [
                {"topic": "fallback", "text": "x"},
                {"topic": "not_in_notice", "text": "y"},
                {"topic": None, "feedback": "no", "text": "/feedback"},
                {"topic": "notice_clause", "feedback_offered": True, "helpful": False, "text": "z"},
                {"topic": "notice_clause", "feedback_offered": True, "helpful": True, "text": "w"},
            ],
            [("notice_clause", 2, 2, 0.5, ["z"])],
        ),
        # SQLite hands booleans back as 0/1 in raw rows
        (
            [{"topic": "quota", "helpful": 0, "text": "a"}, {"topic": "quota", "helpful": 1}],
            [("quota", 2, 2, 0.5, ["a"])],
        ),
    ],
    ids=["empty", "no-feedback", "only-answers-count", "integers"],
)
def test_topic_feedback_table(rows, expected):
    from bot.questionlog.stats import topic_feedback

    base = dt.datetime(2026, 11, 2, 2)
    dated = [{"created_at": base + dt.timedelta(minutes=i), **r} for i, r in enumerate(rows)]
    assert [
        (t.topic, t.answers, t.feedback, t.helpful_rate, t.unhelpful_questions)
        for t in topic_feedback(dated)
    ] == expected


def test_report_sections_and_html_show_the_feedback():
    from bot.questionlog.stats import Report, TopicFeedback

    topic = TopicFeedback("deadline", "申报截止时间是什么时候？", 4, 4, 1, 2, ["<b>几号截止</b>"])
    result = Report(
        since=DAY,
        until=DAY,
        total=7,
        senders=2,
        answered=4,
        fallback=0,
        other=3,
        per_day=[(DAY, 7)],
        per_hour=[0] * 24,
        channels=[("telegram", 7)],
        topics=[("deadline", "申报截止时间是什么时候？", 4)],
        selfcheck_starts=0,
        selfcheck_completions=0,
        selfcheck_cancels=0,
        directions=[],
        unanswered=[],
        latency_median_ms=None,
        latency_p95_ms=None,
        feedback=[topic],
    )
    sections = {title: (header, rows) for title, header, rows in report.sections(result)}
    summary = dict(sections["概览"][1])
    assert summary["回答后的反馈（有帮助 / 没帮助）"] == 3 and summary["有帮助比例"] == "33.3%"
    header, rows = sections["回答是否有帮助（按问答条目）"]
    assert rows == [
        ("deadline", "申报截止时间是什么时候？", 4, 3, 1, 2, "33.3%", "<b>几号截止</b>")
    ]
    page = report.render_html(result)
    assert 'id="feedback"' in page and "&lt;b&gt;几号截止&lt;/b&gt;" in page
    assert '<b id="helpful-rate">33.3%</b>' in page
