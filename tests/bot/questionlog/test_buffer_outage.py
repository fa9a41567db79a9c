"""Database outages: applicants are still answered, rows wait in a bounded buffer and arrive
once."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from typing import List

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.questionlog import db
from bot.questionlog.broker import QuestionLogBroker
from bot.questionlog.models import QuestionLogEntry
from tests.support.question_log import fallback_turn, faq_turn, stream


def count(url: str) -> int:
    with db.session_scope(url) as session:
        return session.execute(select(func.count()).select_from(QuestionLogEntry)).scalar_one()


def ids(url: str) -> List[str]:
    with db.session_scope(url) as session:
        return sorted(session.execute(select(QuestionLogEntry.channel_message_id)).scalars())


def publish_messages(broker, first: int, last: int) -> float:
    """Publish messages first..last-1; return the slowest publish of a whole message (seconds)."""
    slowest = 0.0
    for i in range(first, last):
        started = time.perf_counter()
        turn = (
            faq_turn(message_id=f"m{i}", ts=1000.0 + i)
            if i % 3
            else fallback_turn(message_id=f"m{i}", ts=1000.0 + i)
        )
        stream(broker, turn)
        slowest = max(slowest, time.perf_counter() - started)
    return slowest


def test_sqlite_file_unavailable_then_available(tmp_path, caplog):
    blocker = tmp_path / "data"
    blocker.write_text("not a directory")  # the database's directory cannot be created yet
    url = f"sqlite:///{blocker / 'question_log.db'}"
    broker = QuestionLogBroker(
        url=url, retry_initial=0.05, retry_max=0.2, spill_path=tmp_path / "spill.jsonl"
    )
    with caplog.at_level(logging.WARNING, logger="bot.questionlog"):
        slowest = publish_messages(broker, 0, 40)
        time.sleep(0.3)
        stats = broker.stats()
        assert stats["written"] == 0 and stats["buffered"] == 40 and stats["failures"] >= 1
        assert slowest < 0.05  # answering never waited for the database
        publish_messages(broker, 40, 60)  # messages keep arriving during the outage
        blocker.unlink()
        blocker.mkdir(
            exist_ok=True
        )  # the database can come back (the writer may create the directory itself)
        assert broker.flush(20)
    assert count(url) == 60
    assert ids(url) == sorted(f"m{i}" for i in range(60))
    assert broker.stats() | {"failures": 0} == {
        "buffered": 0,
        "written": 60,
        "duplicates": 0,
        "spilled": 0,
        "replayed": 0,
        "rejected": 0,
        "failures": 0,
        "open": 0,
        "errors": 0,
    }
    assert "暂时写不进数据库" in caplog.text and "已恢复" in caplog.text
    broker.writer.stop(1)
    db.dispose(url)


def test_a_full_buffer_spills_to_disk_and_nothing_is_dropped(tmp_path, caplog):
    blocker = tmp_path / "data"
    blocker.write_text("x")
    url = f"sqlite:///{blocker / 'question_log.db'}"
    spill = tmp_path / "spill.jsonl"
    broker = QuestionLogBroker(
        url=url, max_buffer=10, retry_initial=0.05, retry_max=0.1, spill_path=spill
    )
    with caplog.at_level(logging.WARNING, logger="bot.questionlog"):
        publish_messages(broker, 0, 25)
    stats = broker.stats()
    assert (stats["buffered"], stats["spilled"]) == (10, 15)
    assert "缓冲区已满" in caplog.text
    assert spill.stat().st_mode & 0o777 == 0o600
    blocker.unlink()
    blocker.mkdir(exist_ok=True)
    assert broker.flush(20)
    assert ids(url) == sorted(f"m{i}" for i in range(25))  # every row, the spilled ones too
    assert broker.stats()["replayed"] == 15 and not spill.exists()
    broker.writer.stop(1)
    db.dispose(url)


class TcpProxy:
    """A TCP port that forwards to PostgreSQL only while ``up`` (closed port otherwise)."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._server = None
        self._connections: List[socket.socket] = []

    def start(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(16)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            with contextlib.suppress(OSError):  # shutdown wakes the thread blocked in accept()
                self._server.shutdown(socket.SHUT_RDWR)
            self._server.close()
            self._server = None
        for connection in self._connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        self._connections.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


@pytest.mark.postgres
def test_postgres_outage_in_the_middle(postgres_schema, tmp_path):
    """Rows written, PostgreSQL goes away, messages keep coming, it returns: every row once."""
    real = make_url(postgres_schema)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    url = str(real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    proxy.start()
    broker = QuestionLogBroker(
        url=url, retry_initial=0.05, retry_max=0.2, spill_path=tmp_path / "spill.jsonl"
    )
    try:
        publish_messages(broker, 0, 10)
        assert broker.flush(20)
        proxy.stop()  # outage: connections cut, port closed
        slowest = publish_messages(broker, 10, 30)
        time.sleep(0.5)
        assert broker.stats()["buffered"] == 20 and broker.stats()["failures"] >= 1
        assert slowest < 0.05
        proxy.start()
        assert broker.flush(30)
        assert count(postgres_schema) == 30
        assert ids(postgres_schema) == sorted(f"m{i}" for i in range(30))
        assert broker.stats()["spilled"] == 0
    finally:
        broker.writer.stop(1)
        proxy.stop()
        db.dispose(url)


def test_no_test_database_leaks_into_project_build_dir():
    assert not os.environ.get("DATABASE_URL", "").endswith(".build/question_log.db")
