"""试答: the test chat. Questions are parsed by the running assistant's NLU (Rasa's HTTP API,
``bot.ops.preview.ServerParser``) and answered by the production decision
(``bot.answer.decision.decide`` via ``bot.ops.preview.preview_parse``) with the current
knowledge — or with a draft: an edit not saved yet (``bot.console.editing``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

from aiohttp import web

from bot.answer.routing import QuestionRouter
from bot.console import store
from bot.console.web import CONFIG, ConsoleConfig, db, needs, render, today_china
from bot.kb.load import load_knowledge
from bot.kb.models import KnowledgeBase
from bot.kb.problems import KnowledgeError
from bot.ops.preview import (
    ParserUnavailable,
    Preview,
    ServerParser,
    mechanism_label,
    preview_parse,
    thresholds_from_config,
)

MAX_QUESTIONS = 20
MAX_LENGTH = 500


@dataclass
class Tried:
    preview: Preview
    mechanism: str  # how the reply was chosen, for staff
    topic_question: Optional[str]  # the FAQ entry's standard question, when one answered


@dataclass
class TryOutcome:
    answers: List[Tried]
    problem: Optional[str] = None


def questions_from(text: str) -> List[str]:
    lines = [line.strip()[:MAX_LENGTH] for line in str(text or "").splitlines()]
    return [line for line in lines if line][:MAX_QUESTIONS]


def parse_questions(config: ConsoleConfig, questions: Sequence[str]) -> list:
    if config.parse is not None:
        return config.parse(questions)
    return ServerParser(config.rasa_url, config.rasa_token, timeout=10.0).parse_all(questions)


def answer(
    config: ConsoleConfig, questions: Sequence[str], draft: Optional[Path] = None
) -> TryOutcome:
    """The replies to ``questions``, with the knowledge in ``draft`` (a scratch folder) when
    given, else with the live knowledge (whose parse the running router has made already)."""
    if not questions:
        return TryOutcome([])
    try:
        parses = parse_questions(config, questions)
    except ParserUnavailable as exc:
        return TryOutcome(
            [],
            f"助手没有在运行或拒绝了连接（{config.rasa_url}，{exc}），无法试答。"
            "请先启动助手（make run），工作台和助手需在同一台服务器上、使用同一个 RASA_API_TOKEN。",
        )
    try:
        kb: KnowledgeBase = load_knowledge(draft or config.knowledge_dir)
    except KnowledgeError as exc:
        return TryOutcome([], f"知识库检查未通过，无法试答：{exc}")
    router = QuestionRouter(kb, thresholds_from_config()) if draft is not None else None
    today = config.today or today_china()
    tried = []
    for question, parse in zip(questions, parses, strict=True):
        preview = preview_parse(kb, question, parse, router, today)
        entry = kb.faq_entry(preview.topic) if preview.topic else None
        tried.append(
            Tried(preview, mechanism_label(preview.mechanism), entry.question if entry else None)
        )
    return TryOutcome(tried)


@needs(store.EDITOR)
async def try_page(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    text = request.query.get("q", "")
    questions = questions_from(text)
    outcome = await db(answer, config, questions)
    return render(
        request,
        "try.html",
        text=text,
        outcome=outcome,
        draft=False,
        today=config.today or today_china(),
    )
