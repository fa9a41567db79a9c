"""One applicant's conversation around a question (masked text only; the pseudonymous
sender id stays on the server)."""

from __future__ import annotations

from typing import List, Optional, Tuple

from aiohttp import web
from sqlalchemy import select

from bot.console.web import CONFIG, ConsoleConfig, db, render, row_id
from bot.questionlog.db import session_scope
from bot.questionlog.models import QuestionLogEntry
from bot.questionlog.stats import CATEGORY_LABELS, FaqLabels


def conversation_rows(config: ConsoleConfig, wanted: int) -> Tuple[Optional[dict], List[dict]]:
    with session_scope(config.database_url) as session:
        row = session.get(QuestionLogEntry, wanted)
        if row is None:
            return None, []
        turns = session.execute(
            select(QuestionLogEntry)
            .where(QuestionLogEntry.sender_id == row.sender_id)
            .order_by(QuestionLogEntry.created_at, QuestionLogEntry.id)
            .limit(500)
        ).scalars()
        # the sender's pseudonymous id stays on the server: never shown, never in a URL
        fields = (
            "id",
            "created_at",
            "channel",
            "text",
            "reply",
            "topic",
            "selfcheck_event",
            "feedback",
        )
        return {f: getattr(row, f) for f in fields}, [
            {f: getattr(t, f) for f in fields} for t in turns
        ]


async def conversation(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    wanted = row_id(request.match_info["row_id"], "提问编号")
    row, turns = await db(conversation_rows, config, wanted)
    if row is None:
        return render(
            request, "bad_request.html", status=404, problem=f"没有编号为 {wanted} 的提问。"
        )
    labels = await db(FaqLabels.from_knowledge, config.knowledge_dir)
    return render(
        request,
        "conversation.html",
        row=row,
        turns=turns,
        labels=labels,
        categories=CATEGORY_LABELS,
    )
