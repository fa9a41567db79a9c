"""Storing finished turns in the question-log table: one transaction per batch, idempotent.

``write_rows`` inserts a batch in one transaction and skips any (sender, message id)
already stored, so a batch retried after an unknown outcome (the connection died
during COMMIT) or replayed from the spill file is never counted twice.
``is_transient`` tells a database that is away (keep the rows, retry) from a row the
database refuses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Dict, Iterable, List, Mapping, Union

from sqlalchemy import exc as sa_exc
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot import feedback as fb
from bot.answer.normalize import normalize, valid_unicode
from bot.questionlog.db import get_engine, session_scope
from bot.questionlog.models import QuestionLogEntry
from bot.questionlog.turns import LoggedTurn

Row = Union[LoggedTurn, Mapping[str, Any]]

UNIQUE_COLUMNS = ["sender_id", "channel_message_id"]
# PostgreSQL SQLSTATEs that mean "not now", whatever exception class the driver maps them to
TRANSIENT_SQLSTATES = {
    "25006",  # read_only_sql_transaction (a replica, or default_transaction_read_only)
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available
    "57014",  # query_canceled (statement_timeout)
    "57P01",
    "57P02",
    "57P03",  # admin shutdown, crash shutdown, cannot connect now
    "53000",
    "53100",
    "53200",
    "53300",  # insufficient resources, disk full, out of memory, too many
}
TRANSIENT_SQLSTATE_CLASSES = ("08",)  # connection exceptions
TRANSIENT_MESSAGES = ("database is locked", "readonly database", "read-only", "disk i/o error")


def _clean_text(value: Any) -> Any:
    # PostgreSQL refuses NUL in text, and no driver can encode a lone surrogate; nothing else in
    # a message should ever be refused.
    return valid_unicode(value).replace("\x00", "") if isinstance(value, str) else value


def _string_limits() -> Dict[str, int]:
    return {
        c.name: c.type.length
        for c in QuestionLogEntry.__table__.columns
        if getattr(c.type, "length", None)
    }


STRING_LIMITS = _string_limits()
COLUMNS = [c.name for c in QuestionLogEntry.__table__.columns if c.name != "id"]


def record_of(row: Row) -> Dict[str, Any]:
    """The values to insert for one row: normalised text filled in, text cleaned, cut to fit."""
    if isinstance(row, LoggedTurn):
        record = dataclasses.asdict(row)
    else:
        record = {k: row[k] for k in COLUMNS if k in row}
    for name, value in list(record.items()):
        value = _clean_text(value)
        limit = STRING_LIMITS.get(name)
        if limit and isinstance(value, str):
            value = value[:limit]
        record[name] = value
    record["text"] = record.get("text") or ""
    record["reply"] = record.get("reply") or ""
    if not record.get("normalized"):
        try:
            record["normalized"] = _clean_text(normalize(record["text"]))
        except Exception:  # never let a normaliser problem lose the row
            record["normalized"] = record["text"].strip().lower()
    return record


def write_rows(rows: Iterable[Row], url: str | None = None) -> int:
    """Insert rows in one transaction, skipping any already stored. Returns rows inserted.

    Either every row of the batch is committed (inserted or found already there) or the
    call raises and nothing is.
    """
    records = [record_of(row) for row in rows]
    if not records:
        return 0
    table = QuestionLogEntry.__table__
    dialect = get_engine(url).dialect.name
    inserted = 0
    with session_scope(url) as session:
        if dialect in ("sqlite", "postgresql"):
            insert = sqlite_insert if dialect == "sqlite" else pg_insert
            for record in records:  # one statement per row: rowcount is exact on both dialects
                statement = (
                    insert(table)
                    .values(**record)
                    .on_conflict_do_nothing(index_elements=UNIQUE_COLUMNS)
                )
                added = max(session.execute(statement).rowcount or 0, 0)
                if added:
                    apply_feedback(session, record)
                inserted += added
            return inserted
        for record in records:
            try:
                with session.begin_nested():
                    session.execute(table.insert().values(**record))
                    apply_feedback(session, record)
                inserted += 1
            except sa_exc.IntegrityError:
                pass
    return inserted


# feedback without the answer's id (typed, or a WeChat link without bizmsgmenuid) is for the
# sender's latest answer that offered the buttons — if that answer is this recent
FEEDBACK_WINDOW = dt.timedelta(days=1)


def apply_feedback(session, record: Mapping[str, Any]) -> bool:
    """Mark the answer a feedback message is about ``helpful`` (True/False), in the same
    transaction as the feedback row. The first verdict on an answer counts; a repeated or stale
    one changes nothing. Returns whether an answer was marked."""
    value = record.get("feedback")
    sender = record.get("sender_id")
    if value not in fb.VALUES or not sender:
        return False
    table = QuestionLogEntry.__table__
    offered = select(table.c.id).where(
        table.c.sender_id == sender, table.c.feedback_offered.is_(True)
    )
    target = None
    answer = record.get("feedback_for")
    if answer:
        target = session.execute(offered.where(table.c.channel_message_id == answer)).scalar()
    created = record.get("created_at")
    if target is None and isinstance(created, dt.datetime):
        target = session.execute(
            offered.where(
                table.c.created_at <= created, table.c.created_at >= created - FEEDBACK_WINDOW
            )
            .order_by(table.c.created_at.desc(), table.c.id.desc())
            .limit(1)
        ).scalar()
    if target is None:
        return False
    result = session.execute(
        update(table)
        .where(table.c.id == target, table.c.helpful.is_(None))
        .values(helpful=value == fb.YES)
    )
    return bool(result.rowcount)


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    for candidate in (orig, exc):
        code = getattr(candidate, "pgcode", None) or getattr(candidate, "sqlstate", None)
        if isinstance(code, str):
            return code
    return None


def is_transient(exc: BaseException, _depth: int = 0) -> bool:
    """Worth retrying: the database is unreachable, read-only, locked or restarting."""
    if isinstance(
        exc,
        (
            sa_exc.OperationalError,
            sa_exc.InterfaceError,
            sa_exc.DisconnectionError,
            sa_exc.TimeoutError,
            OSError,
            ImportError,
        ),
    ):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    state = _sqlstate(exc)
    if state and (state in TRANSIENT_SQLSTATES or state.startswith(TRANSIENT_SQLSTATE_CLASSES)):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        message = str(exc.orig).lower()
        if any(m in message for m in TRANSIENT_MESSAGES):
            return True
    # alembic failing to reach the database surfaces as one of the above wrapped in another
    cause = exc.__cause__ or exc.__context__
    return _depth < 5 and cause is not None and cause is not exc and is_transient(cause, _depth + 1)


def rows_of(records: Iterable[Mapping[str, Any]]) -> List[LoggedTurn]:
    return [LoggedTurn.from_record(r) for r in records]
