"""The SQLite file of the tracker store (bot/rasa/trackers.py › BoundedSQLTrackerStore): private
(0600) from its creation, secure_delete on every connection."""

from __future__ import annotations

import os

import sqlalchemy as sa

from bot.rasa.trackers import BoundedSQLTrackerStore


def test_the_sqlite_tracker_store_is_private_and_deletes_securely(tmp_path):
    path = tmp_path / "tracker.db"
    store = BoundedSQLTrackerStore(dialect="sqlite", db=str(path))
    try:
        assert path.stat().st_mode & 0o777 == 0o600
        with store.engine.connect() as connection:
            assert connection.execute(sa.text("PRAGMA secure_delete")).scalar() == 1
    finally:
        store.engine.dispose()


def test_an_existing_tracker_file_is_made_private(tmp_path):
    path = tmp_path / "tracker.db"
    path.touch()
    os.chmod(path, 0o644)
    store = BoundedSQLTrackerStore(dialect="sqlite", db=str(path))
    store.engine.dispose()
    assert path.stat().st_mode & 0o777 == 0o600
