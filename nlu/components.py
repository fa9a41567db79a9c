"""Custom Rasa NLU components: input normalisation, knowledge-based entities, question routing."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.answer.entities import EntityMatcher
from bot.answer.normalize import normalize
from bot.answer.routing import QuestionRouter, Thresholds, apply_route
from bot.feedback import is_trigger, parse_trigger, trigger
from bot.kb.load import shared_cache


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class TextNormalizer(GraphComponent):
    """Rewrites the message text before tokenisation (see ``bot.answer.normalize``)."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TextNormalizer:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self._normalize(message)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalize(message)
        return messages

    @staticmethod
    def _normalize(message: Message) -> None:
        text = message.get(TEXT)
        if not text:
            return
        # "/feedback{…}" stays a trigger for the RegexMessageHandler, rewritten to carry its
        # verdict and nothing else: {"city": …} or any other entity never reaches a slot
        feedback = parse_trigger(text) if is_trigger(text) else None
        if feedback is not None:
            message.set(TEXT, trigger(feedback.helpful, feedback.answer))
        else:
            message.set(TEXT, normalize(text))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class KnowledgeEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Finds 市州, applicant types and directions using the words staff keep in knowledge/.

    The vocabulary is read at request time, so a new alias works without retraining.
    """

    def __init__(self, knowledge_dir: Optional[str] = None) -> None:
        self._cache = shared_cache(knowledge_dir)
        self._matcher: Optional[EntityMatcher] = None
        self._matcher_for: Optional[object] = None

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KnowledgeEntityExtractor:
        return cls(config.get("knowledge_dir"))

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"knowledge_dir": None}

    def _current_matcher(self) -> EntityMatcher:
        kb = self._cache.get()
        if self._matcher is None or self._matcher_for is not kb:
            self._matcher = EntityMatcher(kb.entity_vocabulary())
            self._matcher_for = kb
        return self._matcher

    def process(self, messages: List[Message]) -> List[Message]:
        matcher = self._current_matcher()
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            found = [m.as_rasa(self.name) for m in matcher.find(text)]
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


ROUTING_KEY = "routing"  # in the parse result: which mechanism replaced which model intent


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class QuestionRouterComponent(GraphComponent):
    """Runs after the intent model: replaces its intent where the FAQ must not answer
    (see ``bot.answer.routing``). Reads knowledge/ live, like the entity extractor."""

    def __init__(self, config: Dict[str, Any]) -> None:
        self._cache = shared_cache(config.get("knowledge_dir"))
        self._thresholds = Thresholds(
            fallback=float(config["fallback_threshold"]),
            trust_model=float(config["trust_model_threshold"]),
            clause_score=float(config["clause_score_threshold"]),
        )
        self._router: Optional[QuestionRouter] = None
        self._router_for: Optional[object] = None

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> QuestionRouterComponent:
        component = cls(config)
        component._current_router()  # build the index at start-up, not on the first question
        return component

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        defaults = Thresholds()
        return {
            "knowledge_dir": None,
            "fallback_threshold": defaults.fallback,
            "trust_model_threshold": defaults.trust_model,
            "clause_score_threshold": defaults.clause_score,
        }

    def _current_router(self) -> QuestionRouter:
        kb = self._cache.get()
        if self._router is None or self._router_for is not kb:
            self._router = QuestionRouter(kb, self._thresholds)
            self._router_for = kb
        return self._router

    def process(self, messages: List[Message]) -> List[Message]:
        router = self._current_router()
        for message in messages:
            text = message.get(TEXT)
            if not text or is_trigger(text):
                continue
            ranking = message.get(INTENT_RANKING_KEY) or []
            route = router.route(text, ranking)
            if route is None:
                continue
            intent, new_ranking = apply_route(route, ranking)
            model_intent = message.get(INTENT) or {}
            routing = {"mechanism": route.mechanism, "model_intent": model_intent}
            message.set(ROUTING_KEY, routing, add_to_output=True)
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, new_ranking, add_to_output=True)
            routed = [
                {"entity": kind, "value": value, "extractor": self.__class__.__name__}
                for kind, value in route.entities
            ]
            message.set(ENTITIES, message.get(ENTITIES, []) + routed, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
