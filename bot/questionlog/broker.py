"""Capture of the question log through Rasa's event-broker hook.

``endpoints.yml``::

    event_broker:
      type: bot.questionlog.broker.QuestionLogBroker
      # optional: url (default DATABASE_URL), max_buffer, batch_size

Rasa calls ``publish(event)`` for every new tracker event after each message.
``TurnAssembler`` turns the stream into one row per applicant message (the
``user`` event, the ``bot`` replies, the topic answered, the self-check state,
up to the next ``action_listen``). Rows go into a bounded in-memory buffer that
a background thread writes to the database: answering never waits for the
database, an outage only delays rows (oldest dropped, counted and logged, if
the buffer fills up), and a unique (sender, message id) constraint means a
retried message or a retried write is stored once.
"""

from __future__ import annotations

import collections
import json
import logging
import threading
import time
from typing import Any, Deque, Dict, List

from rasa.core.brokers.broker import EventBroker

from bot.questionlog.models import (
    FALLBACK,
    SELFCHECK_CANCEL,
    SELFCHECK_COMPLETE,
    SELFCHECK_START,
    utc_from_timestamp,
)

logger = logging.getLogger(__name__)

SELFCHECK_FORM = "selfcheck_form"
TOPIC_SLOT = "last_topic"
ANSWER_ACTION = "action_answer"
FALLBACK_ACTIONS = {"action_fallback_answer", "action_default_fallback"}
# actions that end the self-check without a result (actions/selfcheck.py) / start it over
CANCEL_ACTIONS = {"action_deactivate_loop", "action_selfcheck_stop"}
RESTART_ACTIONS = {"action_selfcheck_reset"}
# slots worth keeping for the report (self-check answers: type, city, direction; entities asked about)
RECORDED_SLOTS = {"city", "applicant_type", "direction", "sc_type", "sc_city", "sc_direction"}
MAX_PENDING_SENDERS = 10_000


def _normalize(text: str) -> str:
    try:
        from bot.normalize import normalize

        return normalize(text)
    except Exception:  # never let a normaliser problem lose the row
        return (text or "").strip().lower()


class TurnAssembler:
    """Events of many conversations in → finished rows (dicts) out. Pure, no I/O."""

    def __init__(self, selfcheck_form: str = SELFCHECK_FORM):
        self.selfcheck_form = selfcheck_form
        self._turns: collections.OrderedDict[str, Dict[str, Any]] = collections.OrderedDict()
        self._active_loop: collections.OrderedDict[str, str | None] = collections.OrderedDict()

    def feed(self, event: Dict[str, Any]) -> List[Dict[str, Any]]:
        """Feed one published event; return the rows it completes (usually zero or one)."""
        kind = event.get("event")
        sender = str(event.get("sender_id") or "")
        done: List[Dict[str, Any]] = []
        if kind == "user":
            finished = self._finish(sender)
            if finished:
                done.append(finished)
            self._start(sender, event)
            return done
        if kind in ("session_started", "restart"):
            finished = self._finish(sender)
            if finished:
                done.append(finished)
            self._set_loop(sender, None)
            return done
        turn = self._turns.get(sender)
        if kind == "active_loop":
            self._on_active_loop(sender, turn, event.get("name"))
            return done
        if turn is None:
            return done
        turn["last_timestamp"] = event.get("timestamp") or turn["last_timestamp"]
        if kind == "bot":
            text = event.get("text")
            if text:
                turn["replies"].append(str(text))
        elif kind == "action":
            name = event.get("name") or ""
            if name == "action_listen":
                finished = self._finish(sender)
                if finished:
                    done.append(finished)
                return done
            turn["actions"].append(name)
            turn["action"] = name
            if name in FALLBACK_ACTIONS:
                turn["topic"] = FALLBACK
        elif kind == "slot":
            name, value = event.get("name"), event.get("value")
            if name == TOPIC_SLOT:
                if value:
                    turn["topic"] = str(value)
                elif turn.get("action") == ANSWER_ACTION:
                    turn["topic"] = FALLBACK  # action_answer found no topic: the fallback text
            elif name in RECORDED_SLOTS and value is not None:
                turn["slots"][name] = value
        return done

    def finish_all(self) -> List[Dict[str, Any]]:
        """Rows for turns still open (shutdown)."""
        return [row for row in (self._finish(s) for s in list(self._turns)) if row]

    # -- internals ---------------------------------------------------------

    def _start(self, sender: str, event: Dict[str, Any]) -> None:
        parse_data = event.get("parse_data") or {}
        intent = parse_data.get("intent") or {}
        metadata = event.get("metadata") or {}
        text = str(event.get("text") or "")
        channel_message_id = metadata.get("channel_message_id") or event.get("message_id") or ""
        in_loop = self._active_loop.get(sender) == self.selfcheck_form
        self._turns[sender] = {
            "timestamp": event.get("timestamp"),
            "last_timestamp": event.get("timestamp"),
            "channel": str(event.get("input_channel") or ""),
            "sender_id": sender,
            "channel_message_id": str(channel_message_id)[:128],
            "text": text,
            "intent": (str(intent["name"])[:128] if intent.get("name") else None),
            "confidence": intent.get("confidence"),
            "replies": [],
            "actions": [],
            "action": None,
            "topic": None,
            "in_selfcheck": in_loop,
            "selfcheck_event": None,
            "slots": {},
        }
        self._turns.move_to_end(sender)
        while len(self._turns) > MAX_PENDING_SENDERS:  # a turn never closed: emit it rather than leak
            self._turns.popitem(last=False)

    def _set_loop(self, sender: str, name: str | None) -> None:
        self._active_loop[sender] = name
        self._active_loop.move_to_end(sender)
        while len(self._active_loop) > MAX_PENDING_SENDERS:
            self._active_loop.popitem(last=False)

    def _on_active_loop(self, sender: str, turn: Dict[str, Any] | None, name: str | None) -> None:
        was = self._active_loop.get(sender)
        self._set_loop(sender, name)
        if turn is None:
            return
        restarted = bool(RESTART_ACTIONS & set(turn["actions"]))
        if name == self.selfcheck_form and (was != self.selfcheck_form or restarted):
            turn["in_selfcheck"] = True
            turn["selfcheck_event"] = SELFCHECK_START
        elif name is None and was == self.selfcheck_form:
            turn["in_selfcheck"] = True
            cancelled = bool(CANCEL_ACTIONS & set(turn["actions"]))
            if turn["selfcheck_event"] != SELFCHECK_START or cancelled:
                turn["selfcheck_event"] = SELFCHECK_CANCEL if cancelled else SELFCHECK_COMPLETE

    def _finish(self, sender: str) -> Dict[str, Any] | None:
        turn = self._turns.pop(sender, None)
        if turn is None:
            return None
        started, ended = turn["timestamp"], turn["last_timestamp"]
        latency = int(round((ended - started) * 1000)) if started and ended and ended >= started else None
        return {
            "created_at": utc_from_timestamp(started),
            "channel": turn["channel"][:32],
            "sender_id": turn["sender_id"][:64],
            "channel_message_id": turn["channel_message_id"]
            or f"{turn['sender_id']}:{started}",
            "text": turn["text"],
            "normalized": None,  # filled in by the writer thread (keeps publish() cheap)
            "intent": turn["intent"],
            "confidence": float(turn["confidence"]) if turn["confidence"] is not None else None,
            "topic": turn["topic"],
            "action": turn["action"],
            "reply": "\n".join(turn["replies"]),
            "latency_ms": latency,
            "in_selfcheck": bool(turn["in_selfcheck"]),
            "selfcheck_event": turn["selfcheck_event"],
            "slots": json.dumps(turn["slots"], ensure_ascii=False) if turn["slots"] else None,
        }


class RowWriter:
    """A bounded buffer of rows and the background thread that writes them."""

    def __init__(
        self,
        url: str | None = None,
        max_buffer: int = 10_000,
        batch_size: int = 200,
        retry_initial: float = 0.5,
        retry_max: float = 30.0,
    ):
        self.url = url
        self.max_buffer = max_buffer
        self.batch_size = batch_size
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self._buffer: Deque[Dict[str, Any]] = collections.deque()
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._busy = False
        self.written = 0
        self.duplicates = 0
        self.dropped = 0
        self.failures = 0
        self._down_since: float | None = None
        self._refused_in_batch = 0

    # -- producer side (Rasa's event loop): cheap, never raises ------------

    def put(self, row: Dict[str, Any]) -> None:
        with self._cond:
            if len(self._buffer) >= self.max_buffer:
                self._buffer.popleft()
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 100 == 0:
                    logger.error(
                        "问题日志缓冲区已满（%d 条），丢弃最早的记录；累计丢弃 %d 条。",
                        self.max_buffer, self.dropped,
                    )
            self._buffer.append(row)
            self._ensure_thread()
            self._cond.notify()

    def stats(self) -> Dict[str, int]:
        with self._cond:
            return {
                "buffered": len(self._buffer),
                "written": self.written,
                "duplicates": self.duplicates,
                "dropped": self.dropped,
                "failures": self.failures,
            }

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every buffered row is written (True) or the timeout passes."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._cond.notify_all()
            while self._buffer or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
        return True

    def stop(self, timeout: float = 5.0) -> None:
        """Write what can be written within ``timeout``, then stop; count what is left as dropped."""
        self.flush(timeout)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            left = len(self._buffer)
            if left:
                self.dropped += left
                self._buffer.clear()
                logger.error("关闭时问题日志仍有 %d 条未能写入数据库，已丢弃（累计丢弃 %d 条）。", left, self.dropped)
        if self._thread is not None:
            self._thread.join(timeout=timeout)

    # -- consumer side (background thread) ---------------------------------

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="question-log-writer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        delay = self.retry_initial
        while True:
            with self._cond:
                while not self._buffer and not self._stopping:
                    self._cond.wait()
                if self._stopping and not self._buffer:
                    return
                batch = [self._buffer[i] for i in range(min(self.batch_size, len(self._buffer)))]
                self._busy = True
            try:
                inserted = write_rows(batch, self.url)
            except Exception as exc:
                if not is_transient(exc):  # a row the database refuses: write the others, drop it
                    inserted = self._write_one_by_one(batch)
                    self._done(batch, inserted)
                    delay = self.retry_initial
                    continue
                # database slow or down: keep the rows, retry later
                with self._cond:
                    self._busy = False
                    self.failures += 1
                    if self._down_since is None:
                        self._down_since = time.monotonic()
                        logger.warning("问题日志暂时写不进数据库（%s），%d 条已缓存，稍后重试。", exc.__class__.__name__, len(self._buffer))
                    else:
                        logger.debug("question log write failed again: %s", exc)
                    self._cond.wait(delay)
                    if self._stopping:
                        return
                delay = min(delay * 2, self.retry_max)
                continue
            self._done(batch, inserted)
            delay = self.retry_initial

    def _done(self, batch: List[Dict[str, Any]], inserted: int) -> None:
        with self._cond:
            for _ in batch:
                if self._buffer:
                    self._buffer.popleft()
            self.written += inserted
            self.duplicates += len(batch) - inserted - self._refused_in_batch
            self._refused_in_batch = 0
            self._busy = False
            if self._down_since is not None:
                logger.warning("问题日志数据库已恢复，缓存的记录已补写。")
                self._down_since = None
            self._cond.notify_all()

    def _write_one_by_one(self, batch: List[Dict[str, Any]]) -> int:
        inserted = 0
        for row in batch:
            try:
                inserted += write_rows([row], self.url)
            except Exception as exc:
                with self._cond:
                    self.dropped += 1
                    self._refused_in_batch += 1
                logger.error("问题日志有一条记录数据库拒收，已丢弃（累计丢弃 %d 条）：%s", self.dropped, exc.__class__.__name__)
        return inserted


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: the database is unreachable, slow or restarting (not a refused row)."""
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError, sa_exc.TimeoutError, OSError, ImportError)):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    # alembic failing to reach the database surfaces as one of the above wrapped in a CommandError
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and is_transient(cause)


def write_rows(rows: List[Dict[str, Any]], url: str | None = None) -> int:
    """Insert rows, skipping any (sender, message id) already stored. Returns rows inserted."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert
    from sqlalchemy.exc import IntegrityError

    from bot.questionlog.db import get_engine, session_scope
    from bot.questionlog.models import QuestionLogEntry

    for row in rows:
        if row.get("normalized") is None:
            row["normalized"] = _normalize(row.get("text") or "")
    table = QuestionLogEntry.__table__
    dialect = get_engine(url).dialect.name
    unique_columns = ["sender_id", "channel_message_id"]
    with session_scope(url) as session:
        if dialect in ("sqlite", "postgresql"):
            insert = sqlite_insert if dialect == "sqlite" else pg_insert
            inserted = 0
            for row in rows:  # one statement per row: rowcount is exact on both dialects
                result = session.execute(insert(table).values(**row).on_conflict_do_nothing(index_elements=unique_columns))
                inserted += max(result.rowcount or 0, 0)
            return inserted
        inserted = 0
        for row in rows:
            try:
                with session.begin_nested():
                    session.execute(table.insert().values(**row))
                inserted += 1
            except IntegrityError:
                pass
        return inserted


class QuestionLogBroker(EventBroker):
    """Rasa event broker that records the question log. Never raises into Rasa."""

    def __init__(self, url: str | None = None, selfcheck_form: str = SELFCHECK_FORM, **writer_options: Any):
        self.assembler = TurnAssembler(selfcheck_form)
        self.writer = RowWriter(url, **writer_options)
        self._lock = threading.Lock()
        self.errors = 0

    @classmethod
    async def from_endpoint_config(cls, broker_config, event_loop=None) -> QuestionLogBroker:
        kwargs = dict(getattr(broker_config, "kwargs", None) or {})
        url = kwargs.pop("url", None) or getattr(broker_config, "url", None)
        options = {k: kwargs[k] for k in ("max_buffer", "batch_size", "retry_initial", "retry_max", "selfcheck_form") if k in kwargs}
        return cls(url=url, **options)

    def publish(self, event: Dict[str, Any]) -> None:
        try:
            with self._lock:
                rows = self.assembler.feed(event)
            for row in rows:
                self.writer.put(row)
        except Exception:
            self.errors += 1
            logger.exception("问题日志记录出错（不影响回答）")

    def is_ready(self) -> bool:
        return True

    def flush(self, timeout: float = 10.0) -> bool:
        return self.writer.flush(timeout)

    def stats(self) -> Dict[str, int]:
        return {**self.writer.stats(), "errors": self.errors}

    async def close(self) -> None:
        try:
            with self._lock:
                rows = self.assembler.finish_all()
            for row in rows:
                self.writer.put(row)
            import asyncio

            await asyncio.get_running_loop().run_in_executor(None, self.writer.stop)
        except Exception:
            logger.exception("关闭问题日志时出错")
