"""Retention: question-log rows, tracker-store conversations and the rows the database refused
(the rejected-rows file beside the spill file) older than RETENTION_DAYS go.

``python -m bot purge [--days N]`` does it once; ``DailyPurge`` (started by the question-log
broker inside the running Rasa server) does it once a day by itself.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from pathlib import Path
from typing import Callable, List, Optional

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    delete,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import make_url

from bot.questionlog.db import get_engine, session_scope
from bot.questionlog.models import AuditEntry, QuestionLogEntry

logger = logging.getLogger(__name__)

DAY = 24 * 3600.0

# The columns of Rasa's SQLTrackerStore table that retention needs (rasa.core.tracker_store).
_tracker_metadata = MetaData()
TRACKER_EVENTS = Table(
    "events",
    _tracker_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
)
SESSION_STARTED = "session_started"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def purge(days: int, url: str | None = None, now: dt.datetime | None = None) -> int:
    """Delete question-log rows older than ``days`` days, and the console's audit entries
    (``console_audit``: log-ins with addresses, decisions) as old; return how many question-log
    rows were deleted."""
    cutoff = (now or _utcnow()) - dt.timedelta(days=days)
    with session_scope(url) as session:
        result = session.execute(
            delete(QuestionLogEntry).where(QuestionLogEntry.created_at < cutoff)
        )
        session.execute(delete(AuditEntry).where(AuditEntry.created_at < cutoff))
        return int(result.rowcount or 0)


def _missing_sqlite_file(url: str) -> bool:
    parsed = make_url(url)
    database = parsed.database
    return (
        parsed.get_backend_name() == "sqlite"
        and bool(database)
        and database != ":memory:"
        and not Path(database).exists()
    )


def purge_tracker(days: int, url: str, now: dt.datetime | None = None) -> int:
    """Delete tracker-store events of conversations older than ``days`` days.

    A conversation whose last event is older goes entirely; of a sender still active,
    the older sessions go (events before their latest ``session_started``), never the
    session Rasa restores. Returns the number of events deleted.
    """
    if _missing_sqlite_file(url):
        return 0
    cutoff = (
        (now or _utcnow()).replace(tzinfo=dt.timezone.utc) - dt.timedelta(days=days)
    ).timestamp()
    engine = get_engine(url)
    if not inspect(engine).has_table("events"):
        return 0
    events = TRACKER_EVENTS
    inner = TRACKER_EVENTS.alias("inner_events")
    stale_senders = (
        select(inner.c.sender_id)
        .group_by(inner.c.sender_id)
        .having(func.max(inner.c.timestamp) < cutoff)
    )
    latest_session_start = (
        select(func.max(inner.c.timestamp))
        .where(inner.c.sender_id == events.c.sender_id, inner.c.type_name == SESSION_STARTED)
        .scalar_subquery()
    )
    with engine.begin() as connection:
        whole = connection.execute(delete(events).where(events.c.sender_id.in_(stale_senders)))
        older_sessions = connection.execute(
            delete(events).where(
                and_(events.c.timestamp < cutoff, events.c.timestamp < latest_session_start)
            )
        )
    return int(whole.rowcount or 0) + int(older_sessions.rowcount or 0)


def purge_rejected(days: int, path: Path, now: dt.datetime | None = None) -> int:
    """Drop the lines of the rejected-rows file (``buffer.SpillFile.rejected``) older than
    ``days``; a line whose age cannot be read goes with the file's own age. The file is
    rewritten privately (0600) and removed once empty. Returns the lines dropped."""
    path = Path(path)
    if not path.exists():
        return 0
    cutoff = (now or _utcnow()) - dt.timedelta(days=days)
    file_is_old = dt.datetime.utcfromtimestamp(path.stat().st_mtime) < cutoff
    kept: List[str] = []
    dropped = 0
    with open(path, encoding="utf-8", errors="surrogateescape") as handle:
        for line in handle:
            if not line.strip():
                continue
            created = _created_at(line)
            if (created < cutoff) if created is not None else file_is_old:
                dropped += 1
            else:
                kept.append(line if line.endswith("\n") else line + "\n")
    if not dropped:
        return 0
    if not kept:
        path.unlink()
        return dropped
    temporary = path.with_name(f".{path.name}.purge")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, "".join(kept).encode("utf-8", "surrogateescape"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    return dropped


def _created_at(line: str) -> Optional[dt.datetime]:
    try:
        created = dt.datetime.fromisoformat(json.loads(line)["created_at"])
    except Exception:  # a torn line, or a row written without a readable date
        return None
    if created.tzinfo is not None:  # stored naive in UTC; an aware one is compared in UTC
        created = created.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return created


class DailyPurge:
    """A daemon thread: purge now (after ``first_delay``), then every ``interval`` seconds."""

    def __init__(
        self,
        days: int,
        url: str | None,
        tracker_url: str | None,
        interval: float = DAY,
        first_delay: float = 60.0,
        clock: Callable[[], dt.datetime] = _utcnow,
        rejected_path: Optional[Path] = None,
    ):
        self.days = days
        self.rejected_path = rejected_path
        self.url = url
        self.tracker_url = tracker_url
        self.interval = interval
        self.first_delay = first_delay
        self.clock = clock
        self.runs = 0
        self.deleted_rows = 0
        self.deleted_events = 0
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="retention-purge", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_once(self) -> None:
        now = self.clock()
        try:
            rows = purge(self.days, self.url, now=now)
            events = purge_tracker(self.days, self.tracker_url, now=now) if self.tracker_url else 0
            if self.rejected_path is not None:
                rows += purge_rejected(self.days, self.rejected_path, now=now)
        except Exception as exc:  # database away: try again at the next run
            logger.warning("定期清理失败（%s），下次再试。", exc.__class__.__name__)
            return
        self.runs += 1
        self.deleted_rows += rows
        self.deleted_events += events
        logger.info(
            "定期清理：删除超过 %d 天的问题日志 %d 条、对话记录事件 %d 条。",
            self.days,
            rows,
            events,
        )

    def _run(self) -> None:
        if self._stop.wait(self.first_delay):
            return
        while True:
            self.run_once()
            if self._stop.wait(self.interval):
                return
