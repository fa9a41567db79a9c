"""A real PostgreSQL outage: the server is stopped and started again (a private cluster made with
initdb on a spare port), messages keep arriving, the assistant restarts in between —
every message is stored exactly once."""

from __future__ import annotations

import json
import os
import time
from typing import Iterator

import pytest
from rasa.shared.core.events import BotUttered
from sqlalchemy import create_engine, func, select, text

from bot.questionlog import db
from bot.questionlog.broker import QuestionLogBroker
from bot.questionlog.models import QuestionLogEntry
from tests.support.postgres import AVAILABLE, PrivatePostgres
from tests.support.question_log import action, faq_turn, stream, user

pytestmark = [
    pytest.mark.servers,
    pytest.mark.skipif(
        not AVAILABLE, reason="PostgreSQL server binaries (initdb, pg_ctl) not installed"
    ),
]


@pytest.fixture
def server() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres()
    pg.init()
    pg.start()
    try:
        yield pg
    finally:
        db.dispose(pg.url)
        pg.remove()


def stored(url: str) -> tuple:
    with db.session_scope(url) as session:
        total = session.execute(select(func.count()).select_from(QuestionLogEntry)).scalar_one()
        distinct = session.execute(
            select(func.count(func.distinct(QuestionLogEntry.channel_message_id)))
        ).scalar_one()
        ids = set(session.execute(select(QuestionLogEntry.channel_message_id)).scalars())
    return total, distinct, ids


def publish(broker: QuestionLogBroker, first: int, last: int, sender: str) -> float:
    slowest = 0.0
    for i in range(first, last):
        started = time.perf_counter()
        stream(broker, faq_turn(message_id=f"m{i}", ts=1000.0 + i), sender=sender)
        slowest = max(slowest, time.perf_counter() - started)
    return slowest


OUTAGE_SECONDS = float(os.environ.get("PG_OUTAGE_SECONDS", "60"))


def test_500_messages_through_an_outage_and_a_restart(server, tmp_path):
    sender = "re_outage"
    spill = tmp_path / "question_log.spill.jsonl"
    options = dict(url=server.url, retry_initial=0.05, retry_max=0.5, spill_path=spill)
    first = QuestionLogBroker(**options)
    assert first.flush(30)  # the schema is created while the server is up

    server.stop()  # the outage begins
    outage_started = time.monotonic()
    slowest = publish(first, 0, 249, sender)
    # a message still being answered when the assistant stops
    stream(
        first,
        [
            user("还有一个问题", "deadline", 0.9, "m249", ts=1249.0),
            action("action_answer", 1249.1),
            BotUttered("……", timestamp=1249.2),
        ],
        sender=sender,
    )
    time.sleep(0.5)
    assert first.stats()["buffered"] == 249 and first.stats()["failures"] >= 1
    assert slowest < 0.05  # answering never waits for the database

    spilled = first.shutdown(timeout=1.0)  # the assistant restarts during the outage
    assert spilled == 250
    assert spill.stat().st_mode & 0o777 == 0o600
    lines = spill.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 250 and json.loads(lines[-1])["channel_message_id"] == "m249"

    second = QuestionLogBroker(**options)
    publish(second, 250, 500, sender)
    publish(second, 240, 260, sender)  # retried messages (the same ids once more)
    time.sleep(1.0)
    assert second.stats()["written"] == 0
    # the outage lasts as long as the issue asks (PG_OUTAGE_SECONDS, 60 s), retries all along
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - outage_started)))
    assert second.stats()["written"] == 0 and second.stats()["failures"] >= 1
    print(f"outage: {time.monotonic() - outage_started:.1f} s")

    server.start()  # the outage ends
    assert second.flush(60)
    total, distinct, ids = stored(server.url)
    assert (total, distinct) == (500, 500)
    assert ids == {f"m{i}" for i in range(500)}
    stats = second.stats()
    # live rows go first; m240–m249 of the spill file were stored by their retries already
    assert stats["written"] == 500 and stats["replayed"] == 240 and stats["rejected"] == 0
    assert stats["duplicates"] == 20
    assert not spill.exists()

    # the next start finds nothing to replay and counts nothing twice
    second.shutdown(timeout=5.0)
    third = QuestionLogBroker(**options)
    assert third.flush(10)
    assert stored(server.url)[0] == 500
    third.shutdown(timeout=5.0)


def test_a_read_only_database_keeps_the_rows(server, tmp_path):
    """default_transaction_read_only (a replica promoted late, a full disk) is not a refusal."""
    spill = tmp_path / "spill.jsonl"
    broker = QuestionLogBroker(url=server.url, retry_initial=0.05, retry_max=0.2, spill_path=spill)
    publish(broker, 0, 5, "re_ro")
    assert broker.flush(30)
    admin = create_engine(server.url, future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("ALTER SYSTEM SET default_transaction_read_only = on"))
            connection.execute(text("SELECT pg_reload_conf()"))
        db.dispose(server.url)  # new sessions see the setting
        publish(broker, 5, 30, "re_ro")
        time.sleep(0.6)
        stats = broker.stats()
        assert stats["buffered"] == 25 and stats["failures"] >= 1 and stats["rejected"] == 0
        with admin.connect() as connection:
            connection.execute(text("ALTER SYSTEM RESET default_transaction_read_only"))
            connection.execute(text("SELECT pg_reload_conf()"))
        db.dispose(server.url)
        assert broker.flush(30)
        total, distinct, _ = stored(server.url)
        assert (total, distinct) == (30, 30)
    finally:
        broker.shutdown(timeout=1.0)
        admin.dispose()
