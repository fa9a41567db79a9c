"""Engines and sessions for the question log — created lazily, never at import time."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from bot.settings import get_settings

HERE = Path(__file__).resolve().parent
ALEMBIC_INI = HERE / "alembic.ini"
MIGRATIONS_DIR = HERE / "migrations"

_engines: Dict[str, Engine] = {}
_migrated: set = set()
_lock = threading.Lock()


def database_url(url: str | None = None) -> str:
    if url:
        return url

    return get_settings().effective_database_url()


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL for the whole process (thread-safe, lazy)."""
    url = database_url(url)
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            parsed = make_url(url)
            kwargs: dict = {"future": True, "pool_pre_ping": True}
            if parsed.get_backend_name() == "sqlite":
                database = parsed.database
                if database and database != ":memory:":
                    private_file(Path(database))
                kwargs["connect_args"] = {"timeout": 5, "check_same_thread": False}
            elif parsed.get_backend_name() == "postgresql":
                kwargs["connect_args"] = {"connect_timeout": 5}
                kwargs["pool_size"] = 2
            engine = create_engine(url, **kwargs)
            if parsed.get_backend_name() == "sqlite":
                secure_delete(engine)
            _engines[url] = engine
        return engine


def private_file(path: Path) -> None:
    """``path`` exists and only its owner may read it (0600), before SQLite opens it: SQLite
    gives its journal and WAL files the database file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)


def secure_delete(engine: Engine) -> None:
    """``PRAGMA secure_delete = ON`` on every connection: deleted rows (the retention purge)
    are overwritten with zeros, not left readable in free pages of the file."""

    def turn_on(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        try:
            cursor.execute("PRAGMA secure_delete = ON")
        finally:
            cursor.close()

    event.listen(engine, "connect", turn_on)


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the schema up to date (creates the table on an empty database)."""
    # alembic only to create/upgrade the schema, never in a process that only writes rows
    from bot.questionlog import schema

    url = database_url(url)
    schema.migrate(get_engine(url), url, revision)


def ensure_schema(url: str | None = None) -> None:
    """Run the migrations once per process and database (first use of broker or CLI)."""
    url = database_url(url)
    if url in _migrated:
        return
    upgrade(url)
    _migrated.add(url)


@contextmanager
def session_scope(url: str | None = None, migrate: bool = True) -> Iterator[Session]:
    """One session per unit of work: commit on success, roll back on error."""
    if migrate:
        ensure_schema(url)
    session = Session(get_engine(url), future=True)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def dispose(url: str | None = None) -> None:
    """Close pooled connections (tests, shutdown)."""
    with _lock:
        urls = [database_url(url)] if url else list(_engines)
        for key in urls:
            engine = _engines.pop(key, None)
            if engine is not None:
                engine.dispose()
            _migrated.discard(key)
