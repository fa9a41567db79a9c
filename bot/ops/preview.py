"""What the assistant would answer, without a channel: ``python -m bot kb try``.

Operator side (above actions/): the trained model parses each question
(``rasa.core.agent.Agent.load``), the question router (``bot.answer.routing``) decides with the
knowledge under test, and the reply is decided by the one decision the actions call
(``bot.answer.decision.decide``). ``--compare`` runs the same questions against
another model or another knowledge folder and flags every answer that differs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import urllib.error
import urllib.parse
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from bot.answer.decision import (
    CLAUSE,
    DIALOGUE,
    FALLBACK,
    FAQ,
    REFUSED,
    SILENT,
    Context,
    Decision,
    decide,
)
from bot.answer.normalize import normalize
from bot.answer.routing import QuestionRouter, Thresholds, apply_route
from bot.kb.models import KnowledgeBase
from bot.names import NLU_FALLBACK
from bot.rasa.config import CONFIG_FILE, pipeline_component
from bot.rasa.patches import install_all

ROUTER_COMPONENT = "nlu.components.QuestionRouterComponent"


@dataclass(frozen=True)
class Preview:
    question: str
    topic: Optional[str]  # FAQ id, or the intent when no FAQ answered
    confidence: float  # the model's confidence in its own top intent
    mechanism: str  # one of MECHANISM_LABELS
    route: Optional[str]  # which router rule replaced the model's intent, if one did
    clause: Optional[str]
    reply: str
    suggestions: Sequence[str] = ()


def question_router(kb: KnowledgeBase) -> QuestionRouter:
    """The router as the served model runs it: config.yml's thresholds."""
    return QuestionRouter(kb, thresholds_from_config())


def thresholds_from_config(config: Path = CONFIG_FILE) -> Thresholds:
    """The router's thresholds as config.yml sets them for the served model."""
    component = pipeline_component(ROUTER_COMPONENT, config)
    return Thresholds(
        fallback=float(component.get("fallback_threshold", Thresholds.fallback)),
        trust_model=float(component.get("trust_model_threshold", Thresholds.trust_model)),
        clause_score=float(component.get("clause_score_threshold", Thresholds.clause_score)),
    )


def _model_view(parse: Dict[str, Any]) -> tuple:
    """(the model's own intent, its ranking, the entities not added by the router)."""
    routing = parse.get("routing") or {}
    ranking = list(parse.get("intent_ranking") or [])
    intent = parse.get("intent") or {}
    if routing:
        model_intent = routing.get("model_intent") or {}
        rest = [r for r in ranking[1:] if r.get("name") != model_intent.get("name")]
        ranking = [model_intent, *rest] if model_intent else rest
        intent = model_intent
    entities = [
        e for e in parse.get("entities") or [] if e.get("extractor") != "QuestionRouterComponent"
    ]
    return intent, ranking, entities


def routed(parse: Dict[str, Any], router: QuestionRouter, question: str) -> Dict[str, Any]:
    """The parse as the question router under test would leave it (its knowledge may be a
    draft the served model's own router has not seen)."""
    model_intent, ranking, entities = _model_view(parse)
    route = router.route(normalize(question), [r for r in ranking if r.get("name") != NLU_FALLBACK])
    if route is not None:
        intent, ranking = apply_route(route, ranking)
        entities = entities + [{"entity": k, "value": v} for k, v in route.entities]
    elif parse.get("routing"):  # the served router routed, the one under test does not
        ranking = [r for r in ranking if r.get("name") != NLU_FALLBACK]
        intent = ranking[0] if ranking else {"name": NLU_FALLBACK, "confidence": 0.0}
        if float(intent.get("confidence") or 0.0) < router.thresholds.fallback:
            intent = {"name": NLU_FALLBACK, "confidence": intent.get("confidence", 0.0)}
    else:
        intent = parse.get("intent") or {}
    routing = {"mechanism": route.mechanism, "model_intent": model_intent} if route else None
    return {
        "text": question,
        "intent": intent,
        "intent_ranking": ranking,
        "entities": entities,
        "routing": routing,
    }


def as_routed(parse: Dict[str, Any], question: str) -> Dict[str, Any]:
    """A parse the running assistant's own router has already decided on, as ``routed``
    returns it."""
    routing = parse.get("routing") or None
    return {
        "text": question,
        "intent": parse.get("intent") or {},
        "intent_ranking": list(parse.get("intent_ranking") or []),
        "entities": list(parse.get("entities") or []),
        "routing": routing,
    }


def preview_parse(
    kb: KnowledgeBase,
    question: str,
    parse: Dict[str, Any],
    router: Optional[QuestionRouter],
    today: dt.date,
    context: Optional[Context] = None,
) -> Preview:
    """The reply to ``question`` given the model's parse result, decided with ``kb`` by the
    assistant's own decision (``bot.answer.decision.decide``). ``router`` None: the parse was
    routed already, by the running assistant's router reading this same knowledge."""
    model_intent, _, _ = _model_view(parse)
    confidence = float(model_intent.get("confidence") or 0.0)
    message = routed(parse, router, question) if router is not None else as_routed(parse, question)
    route_name = (message["routing"] or {}).get("mechanism")
    decision = decide(kb, message, context or Context(), today)
    name = message["intent"].get("name")
    if decision is None:
        note = f"（{name}：多轮对话的一步，例如自测，请在对话中试：python -m bot chat）"
        decision = Decision(note, DIALOGUE, name)
    return Preview(
        question,
        decision.topic,
        confidence,
        decision.mechanism,
        route_name,
        decision.clause,
        decision.text,
        decision.choices,
    )


MECHANISM_LABELS: Dict[str, str] = {
    FAQ: "FAQ",
    CLAUSE: "原文条款",
    SILENT: "通知未涉及",
    FALLBACK: "兜底",
    DIALOGUE: "对话",
    REFUSED: "拒答",
}


def mechanism_label(mechanism: str) -> str:
    """How staff read the way a reply was chosen."""
    return MECHANISM_LABELS.get(mechanism, mechanism)


def differences(new: Preview, old: Preview) -> List[str]:
    """What differs between two previews of one question, worded for staff."""
    found = []
    if (new.mechanism, new.topic) != (old.mechanism, old.topic):
        found.append(
            f"答法从 {mechanism_label(old.mechanism)}·{old.topic} "
            f"变为 {mechanism_label(new.mechanism)}·{new.topic}"
        )
    if new.clause != old.clause:
        found.append(f"出处从 {old.clause or '无'} 变为 {new.clause or '无'}")
    if new.reply != old.reply:
        found.append("回答文字不同")
    if tuple(new.suggestions) != tuple(old.suggestions):
        found.append("供选择的问题不同")
    return found


class ModelParser:
    """Parses questions with one trained model (loaded once; ~1 GB, tens of seconds)."""

    def __init__(self, model: Path):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        install_all()  # a process that loads a model is a Rasa process: patched first
        from bot.rasa.agent import load_agent

        self.model = Path(model)
        self._agent = load_agent(self.model)

    def parse_all(self, questions: Sequence[str]) -> List[Dict[str, Any]]:
        async def run() -> List[Dict[str, Any]]:
            return [await self._agent.parse_message(q) for q in questions]

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Rasa's "entity not in the domain" for routed entities
            return asyncio.run(run())


class ParserUnavailable(RuntimeError):
    """The running assistant's NLU cannot be asked (not running, wrong token)."""


class ServerParser:
    """Parses questions with the model the running assistant serves, over Rasa's HTTP API
    (``POST /model/parse``, the token of ``RASA_API_TOKEN``): no model to load, ~10 ms a
    question. The parse includes the served router's view; ``routed`` re-routes it with the
    knowledge under test."""

    def __init__(self, base_url: str, token: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def parse(self, question: str) -> Dict[str, Any]:
        query = urllib.parse.urlencode({"token": self.token})
        request = urllib.request.Request(
            f"{self.base_url}/model/parse?{query}",
            data=json.dumps({"text": question}).encode("utf-8"),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise ParserUnavailable(f"HTTP {exc.code}") from None
        except (OSError, ValueError) as exc:
            raise ParserUnavailable(type(exc).__name__) from None
        if not isinstance(body, dict) or not isinstance(body.get("intent"), dict):
            raise ParserUnavailable("not a parse result")
        return body

    def parse_all(self, questions: Sequence[str]) -> List[Dict[str, Any]]:
        return [self.parse(q) for q in questions]


def served_parses(
    base_url: str, token: str, questions: Sequence[str]
) -> Optional[List[Dict[str, Any]]]:
    """Parses by the running assistant's NLU (about a second for a few questions), or None
    when it is not running there."""
    try:
        return ServerParser(base_url, token, timeout=5.0).parse_all(questions)
    except ParserUnavailable:
        return None


def read_questions(texts: Sequence[str], file: Optional[Path]) -> List[str]:
    questions = [t.strip() for t in texts if t.strip()]
    if file is not None:
        lines = file.read_text(encoding="utf-8-sig").splitlines()
        questions += [
            line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")
        ]
    return questions
