"""The write path's parts: which errors are transient, the spill file, refused rows, evictions."""

from __future__ import annotations

import json
import sqlite3

import psycopg2.errors
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, text

from bot.questionlog import db
from bot.questionlog.broker import QuestionLogBroker
from bot.questionlog.buffer import RowBuffer
from bot.questionlog.models import NOT_IN_NOTICE, QuestionLogEntry
from bot.questionlog.store import is_transient, write_rows
from bot.questionlog.turns import TurnAssembler
from tests.support.question_log import action, faq_turn, feed, stream, user


def _dbapi(error_class, message: str = "boom", invalidated: bool = False):
    return error_class("INSERT …", {}, Exception(message), connection_invalidated=invalidated)


class _PgError(Exception):
    def __init__(self, pgcode: str):
        super().__init__(f"sqlstate {pgcode}")
        self.pgcode = pgcode


@pytest.mark.parametrize(
    "error, transient",
    [
        (_dbapi(sa_exc.OperationalError, "could not connect to server"), True),
        (_dbapi(sa_exc.OperationalError, "database is locked"), True),
        (_dbapi(sa_exc.OperationalError, "attempt to write a readonly database"), True),
        (_dbapi(sa_exc.InterfaceError, "connection already closed"), True),
        (_dbapi(sa_exc.DBAPIError, "server closed the connection", invalidated=True), True),
        (sa_exc.InternalError("INSERT …", {}, _PgError("25006")), True),  # read-only transaction
        (sa_exc.InternalError("INSERT …", {}, _PgError("57P01")), True),  # admin shutdown
        (sa_exc.ProgrammingError("INSERT …", {}, _PgError("08006")), True),  # connection failure
        (sa_exc.InternalError("INSERT …", {}, _PgError("XX000")), False),
        (_dbapi(sa_exc.IntegrityError, "NOT NULL constraint failed"), False),
        (_dbapi(sa_exc.DataError, "value too long"), False),
        (sa_exc.OperationalError("x", {}, sqlite3.OperationalError("database is locked")), True),
        (
            sa_exc.InternalError("x", {}, psycopg2.errors.lookup("25006")()),
            False,
        ),  # no SQLSTATE yet
        (ConnectionRefusedError(), True),
        (ValueError("a bug"), False),
    ],
)
def test_which_errors_keep_the_rows(error, transient):
    assert is_transient(error) is transient


def test_a_wrapped_connection_error_is_transient():
    try:
        try:
            raise _dbapi(sa_exc.OperationalError, "could not connect")
        except sa_exc.OperationalError as inner:
            raise RuntimeError("alembic: upgrade failed") from inner
    except RuntimeError as outer:
        assert is_transient(outer)


def test_evicted_open_turns_are_emitted_not_dropped():
    assembler = TurnAssembler(max_open=2)
    rows = []
    for i, sender in enumerate(["re_a", "re_b", "re_c", "re_d"]):
        rows += feed(
            assembler, [user(f"问题{i}", "deadline", 0.9, f"x{i}", ts=10.0 + i)], sender=sender
        )
    assert [(r.sender_id, r.channel_message_id) for r in rows] == [("re_a", "x0"), ("re_b", "x1")]
    assert [r.sender_id for r in assembler.finish_all()] == ["re_c", "re_d"]


@pytest.mark.parametrize(
    "events, topic",
    [
        ([action("action_not_in_notice", 1.1)], NOT_IN_NOTICE),
        ([action("action_answer", 1.1), action("action_not_in_notice", 1.2)], NOT_IN_NOTICE),
        ([action("action_fallback_answer", 1.1)], "fallback"),
        ([action("action_answer", 1.1)], None),
    ],
)
def test_not_in_notice_is_its_own_topic(events, topic):
    rows = feed(
        TurnAssembler(),
        [user("停车场在哪", "parking", 0.7, "n1", ts=1.0), *events, action("action_listen", 1.3)],
    )
    assert rows[0].topic == topic


def test_spilled_rows_are_replayed_at_the_next_start(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("the database directory cannot be created yet")
    url = f"sqlite:///{blocker / 'q.db'}"
    spill = tmp_path / "spill.jsonl"
    broker = QuestionLogBroker(url=url, retry_initial=0.05, retry_max=0.1, spill_path=spill)
    for i in range(30):
        stream(broker, faq_turn(message_id=f"m{i}", ts=1000.0 + i))
    assert broker.shutdown(timeout=0.3) == 30
    assert len(spill.read_text(encoding="utf-8").splitlines()) == 30
    blocker.unlink()
    restarted = QuestionLogBroker(url=url, spill_path=spill)
    assert restarted.flush(20)
    with db.session_scope(url) as session:
        stored = session.execute(select(QuestionLogEntry.channel_message_id)).scalars().all()
    assert sorted(stored) == sorted(f"m{i}" for i in range(30))
    assert restarted.stats()["replayed"] == 30 and not spill.exists()
    restarted.shutdown(1)
    db.dispose(url)


def test_a_row_the_database_refuses_is_set_aside_and_the_others_are_written(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    spill = tmp_path / "spill.jsonl"
    db.ensure_schema(url)
    with db.get_engine(url).begin() as connection:  # a real refusal, by the database itself
        connection.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON question_log WHEN NEW.text = '毒' "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        )
    writer = RowBuffer(url, spill_path=spill)
    rows = feed(
        TurnAssembler(),
        faq_turn(text="好", message_id="a")
        + faq_turn(text="毒", message_id="b", ts=2000.0)
        + faq_turn(text="好", message_id="c", ts=3000.0),
    )
    for row in rows:
        writer.put(row)
    assert writer.flush(10)
    assert writer.stats()["written"] == 2 and writer.stats()["rejected"] == 1
    rejected = [
        json.loads(line) for line in writer.spill.rejected.read_text(encoding="utf-8").splitlines()
    ]
    assert [r["channel_message_id"] for r in rejected] == ["b"]
    assert writer.spill.rejected.stat().st_mode & 0o777 == 0o600
    writer.stop(1)
    db.dispose(url)


@pytest.mark.parametrize("text_in", ["含\x00空字符", "\x00", "a\x00" * 1000])
def test_text_the_database_would_refuse_is_cleaned_not_lost(db_url, text_in):
    rows = feed(TurnAssembler(), faq_turn(text=text_in, message_id="nul"))
    assert write_rows(rows, db_url) == 1
    with db.session_scope(db_url) as session:
        stored = session.execute(select(QuestionLogEntry.text)).scalar_one()
    assert stored == text_in.replace("\x00", "")
