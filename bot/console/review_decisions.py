"""Review decisions: one group at a time (加为相似问, 新建问答, 通知未涉及, 忽略) or many at once
(忽略, 确认通知未涉及, 归入一个通知未涉及事项). Knowledge changes go through
``bot.kb.edit.apply_edits`` (one check for the whole batch: all or nothing); a refused form is
shown again as typed, its fields marked; every decision is audited under the account."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, List, Tuple

from aiohttp import web

from bot.console import store
from bot.console.review import Failed, render_review
from bot.console.web import CONFIG, db, for_the_page, needs, parse_date, today_china
from bot.kb.edit import AddSimilar, MarkNotInNotice, NewFaq, apply_edits

ID = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
FORM_FIELDS = ("faq_id", "question", "answer", "clause", "questions", "topic_id",
               "new_topic_id", "name", "keywords", "note")  # fmt: skip
# (form field, words in a problem that point at it)
FIELD_MARKERS = (
    ("faq_id", ("问答ID", "问答 id", "请选择要加入的问答")),
    ("question", ("标准问", "question")),
    ("answer", ("回答", "answer", "事实")),
    ("clause", ("出处", "clause")),
    ("questions", ("问法", "相似问", "例句", "similar", "examples")),
    ("new_topic_id", ("事项ID",)),
    ("keywords", ("关键词", "keywords")),
)


def marked_fields(problems: List[str]) -> List[str]:
    return [
        name
        for name, markers in FIELD_MARKERS
        if any(marker in problem for marker in markers for problem in problems)
    ]


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
    if action not in store.DECISIONS or not key:
        raise web.HTTPBadRequest(text="bad decision")
    since, until = back_range(form)
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
            problems = [for_the_page(p) for p in result.problems]
            if not result.written and not problems:
                problems = ["没有新的内容需要写入，知识库未改动。"] + skipped
        detail = json.dumps(
            {"changes": changes, "skipped": skipped, "problems": problems}, ensure_ascii=False
        )
        entry = await db(store.record, user, action, key, detail, not problems, config.database_url)
        if problems:  # nothing written: the form again, as typed, the fields marked
            values = {name: str(form.get(name) or "") for name in FORM_FIELDS}
            failed = Failed(key, action, values, problems, marked_fields(problems))
            return await render_review(request, since, until, failed=failed, status=422)
    raise web.HTTPSeeOther(f"/review?{back_query(since, until)}&result={entry}#result")


def back_range(form: Any) -> Tuple[dt.date, dt.date]:
    """The range the page showed (its hidden fields), or the last week when they are odd."""
    until = today_china()
    since = until - dt.timedelta(days=6)
    try:
        if form.get("until"):
            until = parse_date(str(form.get("until")), "截止日期")
        if form.get("since"):
            since = parse_date(str(form.get("since")), "起始日期")
    except ValueError:
        pass
    return min(since, until), until


def back_query(since: dt.date, until: dt.date) -> str:
    return f"since={since.isoformat()}&until={until.isoformat()}"


BULK_IGNORE, BULK_CONFIRM, BULK_TOPIC = "ignore", "confirm", "topic"


@needs(store.EDITOR)
async def bulk_decide(request: web.Request) -> web.StreamResponse:
    """Many groups at once: ignore them, confirm their 通知未涉及 reply was right, or add them
    as examples (with any new keywords) to one not-in-notice topic — all or nothing."""
    config = request.app[CONFIG]
    form = request["form"]
    user = request["user"]
    since, until = back_range(form)
    keys = list(dict.fromkeys(k.strip() for k in form.getall("keys", []) if k.strip()))[:200]
    how = str(form.get("bulk_action") or "")
    note = str(form.get("note") or "").strip()[:500]
    problems: List[str] = []
    changes: List[str] = []
    if not keys:
        problems.append("请先勾选要处理的问题组")
    if how not in (BULK_IGNORE, BULK_CONFIRM, BULK_TOPIC):
        problems.append("请选择批量处理的方式")
    action = {BULK_IGNORE: store.IGNORE, BULK_CONFIRM: store.CONFIRM_SILENT}.get(
        how, store.NOT_IN_NOTICE
    )
    if not problems and how == BULK_TOPIC:
        topic_id = str(form.get("topic_id") or "").strip()
        keywords = _lines(form.get("keywords"))
        if not ID.match(topic_id):
            problems.append("请选择要归入的“通知未涉及”事项")
        else:
            edit = MarkNotInNotice(topic_id, topic_id, keywords, keys)
            result = await db(
                apply_edits, config.knowledge_dir, [edit], by=user, action="console bulk"
            )
            changes = result.changes
            problems = [for_the_page(p) for p in result.problems]
    elif not problems:
        label = "忽略" if how == BULK_IGNORE else "确认“通知未涉及”的回答正确"
        changes = [f"{label}：{len(keys)} 组。{note}".strip()]
    detail = json.dumps(
        {"changes": changes, "problems": problems, "keys": keys}, ensure_ascii=False
    )
    entry = await db(
        store.record, user, store.BULK, f"{len(keys)} 组", detail, not problems,
        config.database_url,
    )  # fmt: skip
    if not problems:
        each = json.dumps(
            {"changes": [f"批量处理（记录 {entry}）。{note}".strip()]}, ensure_ascii=False
        )
        for key in keys:
            await db(store.record, user, action, key, each, True, config.database_url)
    raise web.HTTPSeeOther(f"/review?{back_query(since, until)}&result={entry}#result")
