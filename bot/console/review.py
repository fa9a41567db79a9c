"""The review queue: unanswered and not-in-notice questions grouped as ``review export``
groups them, each decided through ``bot.kb.edit.apply_edits`` (or ignored), by account."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from aiohttp import web

from bot.console import store
from bot.console.web import CONFIG, ConsoleConfig, date_range, db, needs, render
from bot.kb.edit import AddSimilar, MarkNotInNotice, NewFaq, apply_edits
from bot.kb.load import load_knowledge
from bot.questionlog.similarity import jaccard, shingles
from bot.questionlog.stats import FaqLabels, load_rows, unanswered_by_category

SHOWN_GROUPS = 100  # pending groups on one review page, most frequent first
NEAREST = 3
ID = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


@dataclass
class ReviewGroup:
    number: int
    category: str
    key: str
    count: int
    examples: List[Tuple[str, Optional[int]]]  # (masked text, row id of its latest turn)
    nearest: List[Tuple[str, str, float]]  # (faq id, standard question, similarity)
    decision: Optional[store.Audit] = None


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


def review_groups(config: ConsoleConfig, since: dt.date, until: dt.date) -> List[ReviewGroup]:
    labels = FaqLabels.from_knowledge(config.knowledge_dir)
    rows = load_rows(since, until, config.database_url)
    latest: Dict[str, int] = {}
    for row in rows:
        if row.get("text"):
            latest[row["text"]] = row["id"]
    decided = store.decided(config.database_url)
    groups = []
    for number, (category, group) in enumerate(unanswered_by_category(rows), 1):
        groups.append(
            ReviewGroup(
                number=number,
                category=category,
                key=group.key,
                count=group.count,
                examples=[(e, latest.get(e)) for e in group.examples],
                nearest=nearest_topics(group.key, labels),
                decision=decided.get(group.key),
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
    groups = await db(review_groups, config, since, until)
    choices = await db(knowledge_choices, config)
    result = None
    if request.query.get("result", "").isdigit():
        wanted = int(request.query["result"])
        entries = await db(store.recent, 500, config.database_url)
        result = next((e for e in entries if e.id == wanted), None)
    show_done = request.query.get("done") == "1"
    pending = [g for g in groups if g.decision is None]
    done = [g for g in groups if g.decision is not None]
    unpublished = await db(store.unpublished, config.database_url)
    return render(
        request,
        "review.html",
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


def _lines(value: Any) -> List[str]:
    text = str(value or "").replace("\r", "\n")
    return [line.strip() for line in re.split(r"[\n,，、;；]", text) if line.strip()]


def decision_edits(action: str, form: Any) -> Tuple[List[object], List[str]]:
    """(edits for bot.kb.edit, problems with the form) for one review decision."""
    questions = _lines(form.get("questions"))
    faq_id = str(form.get("faq_id") or "").strip()
    if action == store.ADD_SIMILAR:
        if not faq_id:
            return [], ["请选择要加入的问答"]
        if not questions:
            return [], ["“要加入的问法”是空的"]
        return [AddSimilar(faq_id, questions)], []
    if action == store.NEW_FAQ:
        question = str(form.get("question") or "").strip()
        answer = str(form.get("answer") or "").strip()
        clause = str(form.get("clause") or "").strip()
        problems = [
            f"请填写{name}"
            for name, value in (
                ("问答ID", faq_id),
                ("标准问", question),
                ("回答", answer),
                ("出处条款", clause),
            )
            if not value
        ]
        if faq_id and not ID.match(faq_id):
            problems.append(
                "问答ID 只能用小写英文字母、数字和下划线，并以字母开头，例如 parking_info"
            )
        if problems:
            return [], problems
        return [
            NewFaq(faq_id, question, answer, clause, [q for q in questions if q != question])
        ], []
    if action == store.NOT_IN_NOTICE:
        topic_id = str(form.get("topic_id") or "").strip()
        if topic_id == "__new__":
            topic_id = str(form.get("new_topic_id") or "").strip()
        name = str(form.get("name") or "").strip()
        keywords = _lines(form.get("keywords"))
        problems = []
        if not ID.match(topic_id):
            problems.append("事项ID 只能用小写英文字母、数字和下划线，并以字母开头，例如 parking")
        if not keywords:
            problems.append("请至少填写一个关键词（提问中出现它，助手就说明通知未涉及）")
        if problems:
            return [], problems
        return [MarkNotInNotice(topic_id, name or topic_id, keywords, questions)], []
    return [], [f"无法识别的处理方式：{action}"]


@needs(store.EDITOR)
async def decide(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]
    form = request["form"]
    user = request["user"]
    action = str(form.get("action") or "")
    key = str(form.get("key") or "").strip()
    back = {"since": str(form.get("since") or ""), "until": str(form.get("until") or "")}
    if action not in store.DECISIONS or not key:
        raise web.HTTPBadRequest(text="bad decision")
    if action == store.IGNORE:
        note = str(form.get("note") or "").strip()[:500]
        entry = await db(
            store.record,
            user,
            action,
            key,
            json.dumps({"changes": [f"忽略。{note}".strip()]}, ensure_ascii=False),
            True,
            config.database_url,
        )
    else:
        edits, problems = decision_edits(action, form)
        changes: List[str] = []
        skipped: List[str] = []
        if not problems:
            result = await db(
                apply_edits, config.knowledge_dir, edits, by=user, action=f"console {action}"
            )
            changes, skipped = result.changes, result.skipped
            problems = [str(p) for p in result.problems]
            if not result.written and not problems:
                problems = ["没有新的内容需要写入，知识库未改动。"] + skipped
        detail = json.dumps(
            {"changes": changes, "skipped": skipped, "problems": problems}, ensure_ascii=False
        )
        entry = await db(store.record, user, action, key, detail, not problems, config.database_url)
    query = "&".join(f"{k}={v}" for k, v in back.items() if re.match(r"^\d{4}-\d{2}-\d{2}$", v))
    raise web.HTTPSeeOther(f"/review?{query}&result={entry}#result")
