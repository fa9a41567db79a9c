"""The review queue: unanswered and not-in-notice questions grouped as ``review export``
groups them, and answers applicants marked 没帮助 (grouped by the question answered, linked to
the turn in its conversation). Decisions: ``bot.console.review_decisions``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from aiohttp import web

from bot.console import store
from bot.console.web import CONFIG, ConsoleConfig, date_range, db, render, row_id
from bot.kb.load import load_knowledge
from bot.questionlog.similarity import group_similar, jaccard, shingles
from bot.questionlog.stats import FaqLabels, load_rows, unanswered_by_category

SHOWN_GROUPS = 100  # pending groups on one review page, most frequent first
NEAREST = 3
# below this similarity no FAQ entry is preselected as the target of 加为相似问
PRESELECT_SIMILARITY = 0.3
UNHELPFUL = "没帮助"


@dataclass
class Failed:
    """A decision the knowledge check (or the form) refused: shown again as it was typed."""

    key: str
    action: str
    values: Dict[str, str]
    problems: List[str]
    marked: List[str]


@dataclass
class ReviewGroup:
    number: int
    category: str
    key: str
    count: int
    examples: List[Tuple[str, Optional[int]]]  # (masked text, row id of its latest turn)
    nearest: List[Tuple[str, str, float]]  # (faq id, standard question, similarity)
    decision: Optional[store.Audit] = None
    answered: List[str] = field(default_factory=list)  # 没帮助: the topics that were answered

    @property
    def preselect(self) -> bool:
        return bool(self.nearest) and self.nearest[0][2] >= PRESELECT_SIMILARITY


def nearest_topics(
    text: str, labels: FaqLabels, limit: int = NEAREST
) -> List[Tuple[str, str, float]]:
    grams = shingles(text)
    scores = [
        (max((jaccard(grams, shingles(w)) for w in wordings), default=0.0), faq_id)
        for faq_id, wordings in labels.wordings
    ]
    scores.sort(key=lambda item: (-item[0], item[1]))
    return [(faq_id, labels.topic(faq_id), round(score, 2)) for score, faq_id in scores[:limit]]


def unhelpful_answers(rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The turns whose answer the applicant marked 没帮助 (the feedback names its message)."""
    by_message = {
        (r.get("sender_id"), r.get("channel_message_id")): r
        for r in rows
        if r.get("channel_message_id")
    }
    found = []
    for row in rows:
        if row.get("feedback") == "no":
            answered = by_message.get((row.get("sender_id"), row.get("feedback_for")))
            if answered is not None and answered.get("text"):
                found.append(answered)
    return found


def review_groups(config: ConsoleConfig, since: dt.date, until: dt.date) -> List[ReviewGroup]:
    labels = FaqLabels.from_knowledge(config.knowledge_dir)
    rows = load_rows(since, until, config.database_url)
    latest: Dict[str, int] = {}
    for row in rows:
        if row.get("text"):
            latest[row["text"]] = row["id"]
    unhelpful = unhelpful_answers(rows)
    answered_turn = {r["text"]: r["id"] for r in unhelpful}
    topics: Dict[str, List[str]] = {}
    for row in unhelpful:
        topics.setdefault(row["text"], []).append(labels.topic(row.get("topic") or ""))
    tagged = [
        *unanswered_by_category(rows),
        *(
            (UNHELPFUL, group)
            for group in group_similar((r.get("normalized") or "", r["text"]) for r in unhelpful)
        ),
    ]
    decided = store.decided(config.database_url)
    groups = []
    for number, (category, group) in enumerate(tagged, 1):
        turns = answered_turn if category == UNHELPFUL else latest
        answered = sorted({t for e in group.examples for t in topics.get(e, [])})
        groups.append(
            ReviewGroup(
                number=number,
                category=category,
                key=group.key,
                count=group.count,
                examples=[(e, turns.get(e)) for e in group.examples],
                nearest=nearest_topics(group.key, labels),
                decision=decided.get(group.key),
                answered=answered if category == UNHELPFUL else [],
            )
        )
    return groups


def knowledge_choices(config: ConsoleConfig) -> Dict[str, Any]:
    try:
        kb = load_knowledge(config.knowledge_dir)
    except Exception:
        return {"faq": [], "silent": []}
    return {
        "faq": [(e.id, e.question) for e in kb.faq],
        "silent": [(t.id, t.name) for t in (kb.not_in_notice.topics if kb.not_in_notice else [])],
    }


async def review_page(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    since, until, problem = date_range(request, config.retention_days)
    result = None
    if request.query.get("result"):
        wanted = row_id(request.query["result"], "结果编号")
        entries = await db(store.recent, 500, config.database_url)
        result = next((e for e in entries if e.id == wanted), None)
    return await render_review(request, since, until, problem=problem, result=result)


async def render_review(
    request: web.Request,
    since: dt.date,
    until: dt.date,
    *,
    problem: Optional[str] = None,
    result: Optional[store.Audit] = None,
    failed: Optional[Failed] = None,
    status: int = 200,
) -> web.Response:
    config = request.app[CONFIG]
    groups = await db(review_groups, config, since, until)
    choices = await db(knowledge_choices, config)
    show_done = request.query.get("done") == "1"
    pending = [g for g in groups if g.decision is None]
    if failed is not None:  # the refused group first, open, as it was typed
        pending.sort(key=lambda g: g.key != failed.key)
    done = [g for g in groups if g.decision is not None]
    unpublished = await db(store.unpublished, config.database_url)
    return render(
        request,
        "review.html",
        status=status,
        failed=failed,
        preselect_similarity=PRESELECT_SIMILARITY,
        since=since,
        until=until,
        problem=problem,
        pending=pending[:SHOWN_GROUPS],
        pending_count=len(pending),
        done=done,
        show_done=show_done,
        choices=choices,
        result=result,
        unpublished=unpublished,
    )
