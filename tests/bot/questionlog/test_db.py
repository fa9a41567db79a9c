"""The question log's SQLite file (bot/questionlog/db.py): only its owner can read it, and
SQLite overwrites what the retention purge deletes (secure_delete)."""

from __future__ import annotations

import datetime as dt
import os

from sqlalchemy import text

from bot.questionlog import db
from bot.questionlog.store import write_rows
from tests.support.question_log import make_row


def test_a_new_sqlite_file_is_private_and_deletes_securely(tmp_path):
    path = tmp_path / "new" / "question_log.db"
    url = f"sqlite:///{path}"
    try:
        assert write_rows([make_row(dt.datetime(2026, 12, 6), "m1", text="问题")], url) == 1
        assert path.stat().st_mode & 0o777 == 0o600
        with db.get_engine(url).connect() as connection:
            assert connection.execute(text("PRAGMA secure_delete")).scalar() == 1
    finally:
        db.dispose(url)


def test_an_existing_readable_file_is_made_private(tmp_path):
    path = tmp_path / "question_log.db"
    path.touch()
    os.chmod(path, 0o644)
    url = f"sqlite:///{path}"
    try:
        db.ensure_schema(url)
        assert path.stat().st_mode & 0o777 == 0o600
    finally:
        db.dispose(url)
