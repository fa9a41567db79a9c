"""Capture of the question log through Rasa's event-broker hook — wiring only.

``endpoints.yml``::

    event_broker:
      type: bot.questionlog.broker.QuestionLogBroker
      # optional: url (default DATABASE_URL), max_buffer, batch_size, retry_initial,
      # retry_max, spill_path, tracker_url, retention_days, purge_interval (0: off)

Rasa calls ``publish(event)`` for every new tracker event after each message:

* ``turns.TurnAssembler`` turns the stream into one ``LoggedTurn`` per applicant message;
* ``buffer.RowBuffer`` holds finished turns until the database has committed them
  (retrying through outages, spilling to a local file what cannot wait in memory);
* ``store.write_rows`` inserts them, once per (sender, message id).

The broker also starts ``purge.DailyPurge``: once a day the running server deletes
question-log rows and tracker-store conversations older than RETENTION_DAYS.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Dict, Optional

from rasa.core.brokers.broker import EventBroker

from bot.names import SELFCHECK_FORM
from bot.questionlog.buffer import RowBuffer
from bot.questionlog.purge import DAY, DailyPurge
from bot.questionlog.store import is_transient, write_rows
from bot.questionlog.turns import LoggedTurn, TurnAssembler
from bot.settings import MISSING_SECRET_MESSAGE, MissingSecret, get_settings

logger = logging.getLogger(__name__)

__all__ = [
    "QuestionLogBroker",
    "TurnAssembler",
    "LoggedTurn",
    "RowBuffer",
    "write_rows",
    "is_transient",
]

WRITER_OPTIONS = ("max_buffer", "batch_size", "retry_initial", "retry_max", "spill_path")


class QuestionLogBroker(EventBroker):
    """Rasa event broker that records the question log. Never raises into Rasa."""

    def __init__(
        self,
        url: str | None = None,
        selfcheck_form: str = SELFCHECK_FORM,
        tracker_url: str | None = None,
        retention_days: int | None = None,
        purge_interval: float = 0,
        **writer_options: Any,
    ):
        self.assembler = TurnAssembler(selfcheck_form)
        self.writer = RowBuffer(url, **writer_options)
        self.writer.start()  # replays what an earlier run could not write
        self._lock = threading.Lock()
        self.errors = 0
        self.retention: Optional[DailyPurge] = None
        if purge_interval and retention_days is not None:
            self.retention = DailyPurge(
                retention_days,
                url,
                tracker_url,
                interval=purge_interval,
                first_delay=min(60.0, purge_interval),
                rejected_path=self.writer.spill.rejected,
            )
            self.retention.start()

    @classmethod
    async def from_endpoint_config(cls, broker_config, event_loop=None) -> QuestionLogBroker:
        """Rasa's constructor: options from endpoints.yml, the rest from settings.

        The running server purges once a day unless ``purge_interval: 0``.
        """
        settings = get_settings()
        try:
            settings.effective_question_log_secret()
        except MissingSecret:
            logger.error(MISSING_SECRET_MESSAGE)
            raise
        kwargs = dict(getattr(broker_config, "kwargs", None) or {})
        url = kwargs.pop("url", None) or getattr(broker_config, "url", None)
        options: Dict[str, Any] = {k: kwargs[k] for k in WRITER_OPTIONS if k in kwargs}
        return cls(
            url=url,
            selfcheck_form=kwargs.get("selfcheck_form", SELFCHECK_FORM),
            tracker_url=kwargs.get("tracker_url") or settings.tracker_database_url(),
            retention_days=int(kwargs.get("retention_days", settings.retention_days)),
            purge_interval=float(kwargs.get("purge_interval", DAY)),
            **options,
        )

    def publish(self, event: Dict[str, Any]) -> None:
        try:
            with self._lock:
                turns = self.assembler.feed(event)
            for turn in turns:
                self.writer.put(turn)
        except Exception:
            self.errors += 1
            logger.exception("问题日志记录出错（不影响回答）")

    def is_ready(self) -> bool:
        return True

    def flush(self, timeout: float = 10.0) -> bool:
        return self.writer.flush(timeout)

    def stats(self) -> Dict[str, int]:
        return {**self.writer.stats(), "open": self.assembler.open_turns, "errors": self.errors}

    def shutdown(self, timeout: float = 5.0) -> int:
        """Close open turns, write what can be written, spill the rest. Returns rows spilled."""
        if self.retention is not None:
            self.retention.stop(1.0)
        with self._lock:
            turns = self.assembler.finish_all()
        for turn in turns:
            self.writer.put(turn)
        return self.writer.stop(timeout)

    async def close(self) -> None:
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.shutdown)
        except Exception:
            logger.exception("关闭问题日志时出错")
