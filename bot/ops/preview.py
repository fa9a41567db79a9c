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
import os
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


def preview_parse(
    kb: KnowledgeBase,
    question: str,
    parse: Dict[str, Any],
    router: QuestionRouter,
    today: dt.date,
    context: Optional[Context] = None,
) -> Preview:
    """The reply to ``question`` given the model's parse result, decided with ``kb`` by the
    assistant's own decision (``bot.answer.decision.decide``)."""
    model_intent, _, _ = _model_view(parse)
    confidence = float(model_intent.get("confidence") or 0.0)
    message = routed(parse, router, question)
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


def read_questions(texts: Sequence[str], file: Optional[Path]) -> List[str]:
    questions = [t.strip() for t in texts if t.strip()]
    if file is not None:
        lines = file.read_text(encoding="utf-8-sig").splitlines()
        questions += [
            line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")
        ]
    return questions
