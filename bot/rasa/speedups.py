"""Per-request work Rasa 3.6 repeats for nothing, done once per process instead.

Profiled under ``scripts/bench.py`` (WeChat safe mode, 20 senders; docs/deploy.md), about
half of the Rasa server's CPU time went to one line: after every call to the action server,
``RemoteAction._validate_action_result`` runs ``jsonschema.validate(result, schema)``, and
``jsonschema.validate`` first checks the *schema* against its JSON-Schema meta-schema —
the same constant schema (``RemoteAction.action_response_format_spec``, Rasa's events
schema) on every call, ≈ 40 ms of pure Python each time on this machine. Validating the
action server's answer itself takes well under a millisecond.

``install()`` replaces that method by one that checks the schema once per process and keeps
the validator: the same answers are accepted, and a bad answer raises the same
``ValidationError`` (``best_match`` of the same errors, the same text appended) as before.

**Parse cache.** The same text parsed again by the same model, against the same knowledge
base, gives the same parse: the NLU pipeline reads nothing else (no component reads the
conversation — follow-ups such as “那株洲呢？” are resolved by the actions from the slots,
and the slots are filled by the processor from the parse, after it). Menu clicks and short
questions ("截止时间", "有帮助") repeat, so ``install()`` also keeps the last
``PARSE_CACHE_SIZE`` parses (default 2,048; 0: none) of Rasa's NLU graph, keyed by the
model's id and the exact text. It is emptied whenever the live knowledge base (bot.kb.load,
the one the NLU components read) is a new one, so a staff edit changes answers exactly as
it does without the cache; a swapped model has another id. Each caller gets its own deep
copy. Only the graph's output is cached: Rasa's checks and logging after it, the slots, the
policies and the actions run on every message as before.

Call ``install()`` in the Rasa server process before the server starts (bot/rasa/main.py);
it is idempotent.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from typing import Any, Callable, Dict, Hashable, Optional, Text, Tuple

from jsonschema import ValidationError, validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.core.processor import MessageProcessor
from rasa.shared.constants import DOCS_BASE_URL

from bot.kb.load import shared_cache
from bot.settings import get_settings

_INSTALLED_FLAG = "_shuangchuang_cached_validator"
_lock = threading.Lock()
_validator: Optional[Any] = None


def response_validator() -> Any:
    """The jsonschema validator of ``RemoteAction.action_response_format_spec()``: the schema
    checked against its meta-schema once, as ``jsonschema.validate`` does on every call."""
    global _validator
    if _validator is None:
        with _lock:
            if _validator is None:
                schema = RemoteAction.action_response_format_spec()
                cls = validators.validator_for(schema)
                cls.check_schema(schema)
                _validator = cls(schema)
    return _validator


def validate_action_result(result: Dict[Text, Any]) -> bool:
    """What ``RemoteAction._validate_action_result`` does, without re-checking the schema."""
    error = best_match(response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    return validate_action_result(result)


setattr(_validate_action_result, _INSTALLED_FLAG, True)


class ParseCache:
    """The last ``size`` parses, least recently used out first; emptied when ``generation()``
    (the live knowledge base) is another object than when they were made."""

    def __init__(self, size: int, generation: Callable[[], object]) -> None:
        self.size = max(0, int(size))
        self._generation = generation
        self._made_under: Optional[object] = None
        self._entries: OrderedDict[Hashable, Dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get_or_parse(self, key: Hashable, parse: Callable[[], Dict[str, Any]]) -> Dict[str, Any]:
        if self.size == 0:
            return parse()
        current = self._generation()
        with self._lock:
            if current is not self._made_under:
                self._entries.clear()
                self._made_under = current
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return copy.deepcopy(found)
            self.misses += 1
        result = parse()
        with self._lock:
            if self._made_under is current:
                self._entries[key] = copy.deepcopy(result)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return result


def live_knowledge() -> object:
    """The knowledge base the NLU components read now (``knowledge_dir: null`` in config.yml:
    the default folder); a broken edit keeps the last good one, so the cache stays valid."""
    return shared_cache().get()


_parse_cache: Optional[ParseCache] = None


def parse_cache() -> ParseCache:
    global _parse_cache
    if _parse_cache is None:
        _parse_cache = ParseCache(get_settings().parse_cache_size, live_knowledge)
    return _parse_cache


_rasas_parse = MessageProcessor._parse_message_with_graph


def _parse_message_with_graph(
    self: MessageProcessor, message: Any, tracker: Any, only_output_properties: bool = True
) -> Dict[Text, Any]:
    def parse() -> Dict[Text, Any]:
        return _rasas_parse(self, message, tracker, only_output_properties)

    if not only_output_properties or not isinstance(message.text, str):
        return parse()  # the full message (its id and metadata too): never shared
    key: Tuple[str, str] = (self.model_metadata.model_id, message.text)
    return parse_cache().get_or_parse(key, parse)


setattr(_parse_message_with_graph, _INSTALLED_FLAG, True)


def installed() -> bool:
    return getattr(RemoteAction._validate_action_result, _INSTALLED_FLAG, False)


def parse_cache_installed() -> bool:
    return getattr(MessageProcessor._parse_message_with_graph, _INSTALLED_FLAG, False)


def install() -> None:
    """Patch Rasa in this process (idempotent)."""
    if not installed():
        RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    if not parse_cache_installed():
        MessageProcessor._parse_message_with_graph = _parse_message_with_graph  # type: ignore[method-assign]


__all__ = [
    "ParseCache",
    "parse_cache",
    "parse_cache_installed",
    "ValidationError",
    "install",
    "installed",
    "response_validator",
    "validate_action_result",
]
