"""历史版本 in the console: every version of the knowledge with who, when (Beijing time), what
and which model went live; a version's diff; revert (``bot.kb.edit.revert``: the same check as
every write) — marked for publishing when the questions the model learns differ."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Dict, List, Optional

from aiohttp import web

from bot.console import store
from bot.console.web import CONFIG, ConsoleConfig, db, for_the_page, needs, render, row_id
from bot.kb.edit import revert
from bot.kb.history import History, Publish, Version, beijing_time
from bot.kb.load import load_knowledge
from bot.kb.models import KnowledgeBase
from bot.kb.problems import KnowledgeError
from bot.ops.generate import faq_examples, not_in_notice_examples

SHOWN = 100  # versions on the page, newest first


@dataclass
class VersionView:
    version: Version
    time: str  # Beijing time
    current: bool
    publishes: List[Publish]


def learned(kb: Optional[KnowledgeBase]) -> object:
    """What the NLU model learns from the knowledge (when it differs, publish)."""
    if kb is None:
        return None
    return faq_examples(kb), not_in_notice_examples(kb)


def version_views(config: ConsoleConfig) -> List[VersionView]:
    history = History.for_folder(config.knowledge_dir)
    current = history.current(config.knowledge_dir)
    published: Dict[int, List[Publish]] = {}
    for publish in history.publishes(config.knowledge_dir):
        published.setdefault(publish.version, []).append(publish)
    return [
        VersionView(
            v,
            beijing_time(v.time),
            current is not None and v.version == current.version,
            published.get(v.version, []),
        )
        for v in reversed(history.versions(config.knowledge_dir))
    ][:SHOWN]


@needs(store.EDITOR)
async def history_page(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    views = await db(version_views, config)
    result = None
    if request.query.get("result"):
        wanted = row_id(request.query["result"], "结果编号")
        result = next(
            (e for e in await db(store.recent, 50, config.database_url) if e.id == wanted), None
        )
    return render(request, "history.html", views=views, result=result, beijing_time=beijing_time)


@needs(store.EDITOR)
async def version_page(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    number = row_id(request.match_info["number"], "版本号")
    history = History.for_folder(config.knowledge_dir)
    version = await db(history.get, number) if number < 10**9 else None
    if version is None or version.knowledge_dir != str(config.knowledge_dir.resolve()):
        return render(
            request, "bad_request.html", status=404, problem=f"这个知识库没有版本 {number}。"
        )
    before, files = await db(history.changes, number)
    return render(
        request,
        "version.html",
        version=version,
        time=beijing_time(version.time),
        before=before,
        files=files,
    )


def _load(config: ConsoleConfig) -> Optional[KnowledgeBase]:
    try:
        return load_knowledge(config.knowledge_dir)
    except KnowledgeError:
        return None  # a broken folder: the revert is the fix


def revert_to(config: ConsoleConfig, number: int, user: str) -> int:
    """Revert, audit it; the audit entry's id."""
    before = _load(config)
    result = revert(config.knowledge_dir, number, by=user)
    if result.version is None:
        problems, changes = [f"这个知识库没有版本 {number}"], []
    else:
        problems = [for_the_page(p) for p in result.problems]
        changes = [f"恢复为版本 {number}（改动的文件：{'、'.join(result.changed_files)}）"]
        if not result.written and not problems:
            changes = [f"知识库已经与版本 {number} 相同，没有修改"]
    needs_publish = result.written and learned(before) != learned(_load(config))
    action = store.REVERT_TRAINING if needs_publish else store.REVERT
    detail = json.dumps({"changes": changes, "problems": problems}, ensure_ascii=False)
    return store.record(user, action, f"版本 {number}", detail, not problems, config.database_url)


@needs(store.PUBLISHER)
async def revert_submit(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]
    number = row_id(request.match_info["number"], "版本号")
    entry = await db(revert_to, config, number, request["user"])
    raise web.HTTPSeeOther(f"/history?result={entry}#result")
