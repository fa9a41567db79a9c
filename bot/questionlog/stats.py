"""Numbers for the review report, computed from question-log rows. Pure apart from ``load_rows``."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from sqlalchemy import select

from bot.kb.load import load_knowledge
from bot.questionlog.db import session_scope
from bot.questionlog.models import (
    FALLBACK,
    NOT_IN_NOTICE,
    SELFCHECK_CANCEL,
    SELFCHECK_COMPLETE,
    SELFCHECK_START,
    UNANSWERED_TOPICS,
    QuestionLogEntry,
)
from bot.questionlog.similarity import Group, group_similar

CHINA = dt.timezone(dt.timedelta(hours=8), "北京时间")
# the unanswered questions, by category: not understood / the notice does not cover it
CATEGORY_LABELS = {FALLBACK: "未能回答", NOT_IN_NOTICE: "通知未涉及"}
# answered topics that are not FAQ ids
TOPIC_LABELS = {"notice_clause": "（引用通知原文回答）"}
CHANNEL_LABELS = {
    "rest": "网页/接口",
    "wechat": "微信公众号",
    "telegram": "Telegram",
    "cmdline": "命令行",
    "": "未知",
}


def local_time(utc_naive: dt.datetime) -> dt.datetime:
    return utc_naive.replace(tzinfo=dt.timezone.utc).astimezone(CHINA)


def utc_bounds(since: dt.date, until: dt.date) -> tuple:
    """[start, end) in naive UTC for China-time dates since..until inclusive."""
    start = (
        dt.datetime.combine(since, dt.time(), CHINA)
        .astimezone(dt.timezone.utc)
        .replace(tzinfo=None)
    )
    end = (
        dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), CHINA)
        .astimezone(dt.timezone.utc)
        .replace(tzinfo=None)
    )
    return start, end


def load_rows(since: dt.date, until: dt.date, url: str | None = None) -> List[Dict[str, Any]]:
    start, end = utc_bounds(since, until)
    with session_scope(url) as session:
        result = session.execute(
            select(QuestionLogEntry)
            .where(QuestionLogEntry.created_at >= start, QuestionLogEntry.created_at < end)
            .order_by(QuestionLogEntry.created_at, QuestionLogEntry.id)
        )
        return [entry.as_dict() for entry in result.scalars()]


@dataclass
class FaqLabels:
    """FAQ id → standard question, direction id → name; from knowledge/ (ids shown if
    unreadable)."""

    questions: Dict[str, str] = field(default_factory=dict)
    directions: Dict[str, str] = field(default_factory=dict)
    wordings: List[tuple] = field(default_factory=list)  # (faq id, [question, *similar])

    @classmethod
    def from_knowledge(cls, directory=None) -> FaqLabels:
        try:
            kb = load_knowledge(directory)
        except Exception:
            return cls()
        return cls(
            questions={e.id: e.question for e in kb.faq},
            directions={d.id: d.name for d in kb.directions},
            wordings=[(e.id, [e.question, *e.similar]) for e in kb.faq],
        )

    def topic(self, faq_id: str) -> str:
        return self.questions.get(faq_id) or TOPIC_LABELS.get(faq_id, faq_id)


@dataclass
class TopicFeedback:
    """“Did it help?” for one answered topic (FAQ id, or notice_clause for quoted clauses)."""

    topic: str
    question: str  # the FAQ's standard question (the id when unknown)
    answers: int  # answers given on this topic
    offered: int  # answers that offered the two buttons
    helpful: int
    unhelpful: int
    unhelpful_questions: List[str] = field(default_factory=list)  # masked, newest first

    @property
    def feedback(self) -> int:
        return self.helpful + self.unhelpful

    @property
    def helpful_rate(self) -> float | None:
        return self.helpful / self.feedback if self.feedback else None


@dataclass
class Report:
    since: dt.date
    until: dt.date
    total: int
    senders: int
    answered: int
    fallback: int
    other: int
    per_day: List[tuple]  # (date, count)
    per_hour: List[int]  # 24 counts, China time
    channels: List[tuple]  # (channel, count)
    topics: List[tuple]  # (faq id, standard question, count)
    selfcheck_starts: int
    selfcheck_completions: int
    selfcheck_cancels: int
    directions: List[tuple]  # (direction label, count)
    unanswered: List[Group]
    latency_median_ms: int | None
    latency_p95_ms: int | None
    # questions the notice does not cover (action_not_in_notice): unanswered, their own category
    not_in_notice: int = 0
    not_in_notice_groups: List[Group] = field(default_factory=list)
    # per answered topic, most feedback first (topics nobody rated are listed too, after)
    feedback: List[TopicFeedback] = field(default_factory=list)

    @property
    def feedback_count(self) -> int:
        return sum(t.feedback for t in self.feedback)

    @property
    def helpful_count(self) -> int:
        return sum(t.helpful for t in self.feedback)

    @property
    def helpful_rate(self) -> float | None:
        count = self.feedback_count
        return self.helpful_count / count if count else None

    @property
    def answer_rate(self) -> float:
        return self.answered / self.total if self.total else 0.0

    @property
    def fallback_rate(self) -> float:
        return self.fallback / self.total if self.total else 0.0


def unanswered_groups(
    rows: Sequence[Mapping[str, Any]], threshold: float = 0.4, topic: str = FALLBACK
) -> List[Group]:
    return group_similar(
        ((r.get("normalized") or "", r.get("text") or "") for r in rows if r.get("topic") == topic),
        threshold=threshold,
    )


def unanswered_by_category(
    rows: Sequence[Mapping[str, Any]], threshold: float = 0.4
) -> List[Tuple[str, Group]]:
    """(category label, group) for every unanswered category, most frequent first."""
    tagged = [
        (CATEGORY_LABELS[topic], group)
        for topic in UNANSWERED_TOPICS
        for group in unanswered_groups(rows, threshold, topic)
    ]
    return sorted(tagged, key=lambda item: -item[1].count)  # stable: 未能回答 first on ties


def _percentile(values: List[int], fraction: float) -> int | None:
    if not values:
        return None
    values = sorted(values)
    index = min(len(values) - 1, max(0, int(round(fraction * (len(values) - 1)))))
    return values[index]


def _slots(raw: Any) -> Dict[str, Any]:
    """The row's slots; a row written by something else (not JSON, not an object) counts as none."""
    try:
        slots = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}
    return slots if isinstance(slots, dict) else {}


def topic_feedback(
    rows: Sequence[Mapping[str, Any]], labels: FaqLabels | None = None
) -> List[TopicFeedback]:
    """Answers, buttons offered and verdicts per answered topic (feedback messages themselves,
    marked by the store on the answer they rate, are not answers)."""
    labels = labels or FaqLabels()
    by_topic: Dict[str, TopicFeedback] = {}
    for row in sorted(rows, key=lambda r: (r["created_at"], r.get("id") or 0), reverse=True):
        topic = row.get("topic")
        if not topic or topic in UNANSWERED_TOPICS:
            continue
        entry = by_topic.get(topic)
        if entry is None:
            entry = by_topic[topic] = TopicFeedback(topic, labels.topic(topic), 0, 0, 0, 0)
        entry.answers += 1
        entry.offered += 1 if row.get("feedback_offered") else 0
        helpful = row.get("helpful")
        if helpful is True or helpful == 1:
            entry.helpful += 1
        elif helpful is False or helpful == 0:
            entry.unhelpful += 1
            if row.get("text"):
                entry.unhelpful_questions.append(str(row["text"]))
    return sorted(by_topic.values(), key=lambda t: (-t.feedback, -t.answers, t.topic))


def compute(
    rows: Sequence[Mapping[str, Any]],
    since: dt.date,
    until: dt.date,
    labels: FaqLabels | None = None,
) -> Report:
    labels = labels or FaqLabels()
    per_day: Counter = Counter()
    per_hour = [0] * 24
    channels: Counter = Counter()
    topics: Counter = Counter()
    answered = fallback = not_in_notice = 0
    starts = completions = cancels = 0
    directions: Counter = Counter()
    last_direction: Dict[str, str | None] = {}
    latencies: List[int] = []
    # a 有帮助/没帮助 message rates an answer (shown per topic below); it is not a question
    questions = [row for row in rows if not row.get("feedback")]
    for row in sorted(questions, key=lambda r: (r["created_at"], r.get("id") or 0)):
        when = local_time(row["created_at"])
        per_day[when.date()] += 1
        per_hour[when.hour] += 1
        channels[row.get("channel") or ""] += 1
        topic = row.get("topic")
        if topic == FALLBACK:
            fallback += 1
        elif topic == NOT_IN_NOTICE:
            not_in_notice += 1
        elif topic:
            answered += 1
            topics[topic] += 1
        if row.get("latency_ms") is not None:
            latencies.append(int(row["latency_ms"]))
        sender = row.get("sender_id") or ""
        event = row.get("selfcheck_event")
        if event == SELFCHECK_START:
            starts += 1
            last_direction[sender] = None
        slots = _slots(row.get("slots"))
        direction = slots.get("sc_direction") or slots.get("direction")
        if (row.get("in_selfcheck") or event) and direction:
            last_direction[sender] = str(direction)
        if event == SELFCHECK_COMPLETE:
            completions += 1
            chosen = last_direction.pop(sender, None)
            directions[labels.directions.get(chosen, chosen) if chosen else "（未选择）"] += 1
        elif event == SELFCHECK_CANCEL:
            cancels += 1
            last_direction.pop(sender, None)
    days = []
    day = since
    while day <= until:
        days.append((day, per_day.get(day, 0)))
        day += dt.timedelta(days=1)
    total = len(questions)
    return Report(
        since=since,
        until=until,
        total=total,
        senders=len({r.get("sender_id") for r in rows}),
        answered=answered,
        fallback=fallback,
        other=total - answered - fallback - not_in_notice,
        per_day=days,
        per_hour=per_hour,
        channels=channels.most_common(),
        topics=[
            (t, labels.topic(t), n)
            for t, n in sorted(topics.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        selfcheck_starts=starts,
        selfcheck_completions=completions,
        selfcheck_cancels=cancels,
        directions=sorted(directions.items(), key=lambda kv: (-kv[1], kv[0])),
        unanswered=unanswered_groups(questions),
        latency_median_ms=_percentile(latencies, 0.5),
        latency_p95_ms=_percentile(latencies, 0.95),
        not_in_notice=not_in_notice,
        not_in_notice_groups=unanswered_groups(rows, topic=NOT_IN_NOTICE),
        feedback=topic_feedback(rows, labels),
    )


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel)


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"
