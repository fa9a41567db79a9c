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

Call ``install()`` in the Rasa server process before the server starts (bot/rasa_main.py);
it is idempotent.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Optional, Text

from jsonschema import ValidationError, validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

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


def installed() -> bool:
    return getattr(RemoteAction._validate_action_result, _INSTALLED_FLAG, False)


def install() -> None:
    """Patch Rasa in this process (idempotent)."""
    if not installed():
        RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


__all__ = [
    "ValidationError",
    "install",
    "installed",
    "response_validator",
    "validate_action_result",
]
