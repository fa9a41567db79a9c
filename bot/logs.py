"""Logging of every process: no applicant text at the default level.

``configure_logging`` is called by each process the project starts — the Rasa servers
(``bot.rasa.server``, and ``bot.rasa.main`` for ``rasa run`` in the cluster), the console and
the supervisors (``bot run``, ``bot cluster``); the action server is rasa_sdk's, configured by
its own command line (``bot.ops.serve.action_server_command``: ``--debug`` only at DEBUG).

* ``LOG_LEVEL`` (default ``INFO``; the variable Rasa reads too) is the level of the standard
  library's loggers and of structlog, which Rasa uses for its events. Unconfigured, structlog
  prints every event, debug ones included, and Rasa's debug events carry the message text,
  the parse data and slot values.
* Below DEBUG nothing an applicant wrote is logged: structlog's fields that carry text
  (``TEXT_FIELDS``, Rasa's own list of what its anonymiser rewrites) are replaced by
  ``HIDDEN``, even in a warning.
* ``LOG_LEVEL=DEBUG`` logs the text (Rasa's parse results, slots, events): for a developer
  on a test system only — the log then holds whatever personal data the masking missed.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Dict, Optional, Union

import structlog

DEFAULT_LEVEL = "INFO"
HIDDEN = "[hidden: LOG_LEVEL=DEBUG logs it]"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# HTTP clients that log each request's URL at INFO: Telegram's URLs carry the bot token
URL_LOGGERS = ("httpx", "httpcore", "urllib3")
# the keys Rasa's own anonymiser rewrites (rasa.utils.log_utils), and a few of ours
TEXT_FIELDS = frozenset(
    {
        "text",
        "response_text",
        "user_text",
        "slot_values",
        "parse_data_text",
        "parse_data_entities",
        "prediction_events",
        "tracker_latest_message",
        "prefilled_slots",
        "message",
        "response",
        "slot_candidates",
        "rasa_event",
        "rasa_events",
        "tracker_states",
        "current_states",
        "old_states",
        "successes",
        "current_entity",
        "next_entity",
        "states",
        "entity",
        "token_text",
        "user_message",
        "json_message",
        "events",
        "tracker",
        "slots",
        "value",
    }
)


def log_level(level: Union[int, str, None] = None) -> int:
    """The level asked for (a number or a name), else LOG_LEVEL, else INFO."""
    if isinstance(level, int):
        return level
    name = str(level or os.environ.get("LOG_LEVEL") or DEFAULT_LEVEL).strip().upper()
    value = logging.getLevelName(name)
    return value if isinstance(value, int) else logging.INFO


def hide_text(level: int):
    """A structlog processor: above DEBUG, the fields that may carry applicant text are hidden."""

    def processor(_: Any, __: str, event: Dict[str, Any]) -> Dict[str, Any]:
        if level > logging.DEBUG:
            for key in TEXT_FIELDS.intersection(event):
                event[key] = HIDDEN
        return event

    return processor


class CurrentStdout(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is when a record is emitted (never to a stream that
    was replaced and closed since)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(level: Union[int, str, None] = None, stream: Optional[Any] = None) -> int:
    """Configure the standard library's logging and structlog for this process; returns the
    level. Replaces handlers set up before (Rasa's, coloredlogs') so one format applies."""
    value = log_level(level)
    handler = logging.StreamHandler(stream) if stream is not None else CurrentStdout()
    logging.basicConfig(format=FORMAT, level=value, handlers=[handler], force=True)
    for name in URL_LOGGERS:
        logging.getLogger(name).setLevel(max(value, logging.WARNING))
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            hide_text(value),
            structlog.processors.format_exc_info,
            structlog.processors.KeyValueRenderer(key_order=["event"], drop_missing=True),
        ],
        context_class=dict,
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(value),
        cache_logger_on_first_use=False,
    )
    return value
