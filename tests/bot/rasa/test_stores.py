"""TRACKER_STORE_URL / LOCK_STORE_URL → Rasa's endpoint keys, endpoints.yml, and Rasa itself
building the stores from it (PostgreSQL / Redis when TEST_DATABASE_URL / TEST_REDIS_URL)."""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.ops.runtime_config import check_stores, store_endpoints, write_runtime_config
from bot.rasa.stores import (
    DAY_SECONDS,
    StoreURLError,
    bounded_tracker_store,
    lock_store_endpoint,
    redis_endpoint,
    tracker_store_endpoint,
)
from bot.settings import Settings

# shares Redis db 15 with the other Redis tests: one xdist worker with the servers' tests
pytestmark = pytest.mark.shared_redis

SQLITE = Path("/tmp/tracker.db")


@pytest.mark.parametrize(
    "url, expected",
    [
        (None, {"type": "SQL", "dialect": "sqlite", "db": str(SQLITE)}),
        ("", {"type": "SQL", "dialect": "sqlite", "db": str(SQLITE)}),
        (
            "sqlite:////var/lib/bot/t.db",
            {"type": "SQL", "dialect": "sqlite", "db": "/var/lib/bot/t.db"},
        ),
        (
            "postgresql://postgres@127.0.0.1:5432/test",
            {
                "type": "SQL",
                "dialect": "postgresql",
                "url": "127.0.0.1",
                "port": 5432,
                "db": "test",
                "username": "postgres",
            },
        ),
        (
            "postgresql+psycopg2://rasa:p%40ss%3Aw@db.internal/rasa?login_db=postgres",
            {
                "type": "SQL",
                "dialect": "postgresql+psycopg2",
                "url": "db.internal",
                "db": "rasa",
                "username": "rasa",
                "password": "p@ss:w",
                "login_db": "postgres",
            },
        ),
        (
            "postgresql://u:pw@h:6432/d?sslmode=require&login_db=template1",
            {
                "type": "SQL",
                "dialect": "postgresql",
                "url": "h",
                "port": 6432,
                "db": "d",
                "username": "u",
                "password": "pw",
                "login_db": "template1",
                "query": {"sslmode": "require"},
            },
        ),
        (
            "redis://127.0.0.1:6379/2",
            {
                "type": "redis",
                "url": "127.0.0.1",
                "port": 6379,
                "db": 2,
                "record_exp": 30 * DAY_SECONDS,
            },
        ),
        (
            "rediss://:s%2Fecret@cache.internal",
            {
                "type": "redis",
                "url": "cache.internal",
                "password": "s/ecret",
                "use_ssl": True,
                "record_exp": 30 * DAY_SECONDS,
            },
        ),
    ],
)
def test_tracker_store_endpoint(url, expected):
    assert tracker_store_endpoint(url, SQLITE, retention_days=30) == expected


@pytest.mark.parametrize(
    "url, expected",
    [
        (None, None),
        (
            "redis://127.0.0.1:6379/1",
            {
                "type": "bot.rasa.locks.HeartbeatLockStore",
                "url": "127.0.0.1",
                "port": 6379,
                "db": 1,
                "key_prefix": "shuangchuang",
            },
        ),
        (
            "redis://bot:pw@r:7000",
            {
                "type": "bot.rasa.locks.HeartbeatLockStore",
                "url": "r",
                "port": 7000,
                "username": "bot",
                "password": "pw",
                "key_prefix": "shuangchuang",
            },
        ),
    ],
)
def test_lock_store_endpoint(url, expected):
    assert lock_store_endpoint(url) == expected


@pytest.mark.parametrize(
    "setting, url, problem",
    [
        ("TRACKER_STORE_URL", "mysql://u:hunter2@db/rasa", "只支持"),
        ("TRACKER_STORE_URL", "postgresql://u:hunter2@db", "缺少数据库名"),
        ("TRACKER_STORE_URL", "postgresql://u:hunter2@/rasa", "缺少主机名"),
        ("TRACKER_STORE_URL", "not a url hunter2", "不是有效的数据库地址"),
        ("TRACKER_STORE_URL", "redis://:hunter2@h:99999/0", "端口"),
        ("TRACKER_STORE_URL", "redis://:hunter2@h/x", "数据库编号"),
        ("LOCK_STORE_URL", "postgresql://u:hunter2@db/rasa", "redis://"),
        ("LOCK_STORE_URL", "redis://:hunter2@/0", "缺少主机名"),
        ("LOCK_STORE_URL", "redis://:hunter2@h/0?ssl=1", "查询参数"),
    ],
)
def test_unusable_urls_are_refused_clearly_without_the_password(setting, url, problem):
    settings = Settings(**{setting.lower(): url})
    with pytest.raises(StoreURLError) as error:
        store_endpoints(settings)
    assert setting in str(error.value) and problem in str(error.value)
    with pytest.raises(SystemExit) as exit_info:
        check_stores(settings)
    message = str(exit_info.value.code)
    assert message.startswith("无法启动") and "hunter2" not in message


_host = st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,10}){0,2}", fullmatch=True)


@given(
    host=_host,
    port=st.integers(1, 65535),
    db=st.integers(0, 15),
    password=st.text(min_size=1, max_size=30).filter(lambda p: "\x00" not in p),
)
def test_redis_urls_round_trip(host, port, db, password):
    url = f"redis://:{quote(password, safe='')}@{host}:{port}/{db}"
    assert redis_endpoint(url, "LOCK_STORE_URL") == {
        "type": "redis",
        "url": host,
        "port": port,
        "db": db,
        "password": password,
    }


def test_the_embedded_default_is_sqlite_and_no_lock_store(tmp_path):
    settings = Settings(tracker_db=tmp_path / "t.db")
    assert settings.tracker_database_url() == f"sqlite:///{tmp_path / 't.db'}"
    paths = write_runtime_config(settings, build_dir=tmp_path / "build")
    endpoints = yaml.safe_load(paths["endpoints"].read_text())
    assert endpoints["tracker_store"] == {
        "type": "bot.rasa.trackers.BoundedSQLTrackerStore",
        "dialect": "sqlite",
        "db": str(tmp_path / "t.db"),
        "max_session_events": 100,
    }
    assert "lock_store" not in endpoints


@pytest.mark.parametrize(
    "endpoint, limit, expected",
    [
        (
            {"type": "SQL", "dialect": "sqlite", "db": "t.db"},
            50,
            {
                "type": "bot.rasa.trackers.BoundedSQLTrackerStore",
                "dialect": "sqlite",
                "db": "t.db",
                "max_session_events": 50,
            },
        ),
        ({"type": "SQL", "dialect": "sqlite", "db": "t.db"}, 0, None),  # 0: Rasa's own store
        ({"type": "redis", "url": "h", "record_exp": 60}, 50, None),  # Redis: unchanged
    ],
)
def test_the_sql_tracker_store_is_bounded_unless_told_otherwise(endpoint, limit, expected):
    assert bounded_tracker_store(endpoint, limit) == (expected or endpoint)


def test_endpoints_with_passwords_are_private(tmp_path):
    settings = Settings(
        tracker_store_url="postgresql://rasa:pw@db/rasa", lock_store_url="redis://:pw2@cache:6379/3"
    )
    assert settings.tracker_database_url() == "postgresql://rasa:pw@db/rasa"
    old = os.umask(0)
    try:
        paths = write_runtime_config(settings, build_dir=tmp_path)
    finally:
        os.umask(old)
    for path in paths.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    endpoints = yaml.safe_load(paths["endpoints"].read_text())
    assert endpoints["tracker_store"]["password"] == "pw"
    assert endpoints["lock_store"]["db"] == 3
    # the daily purge follows the tracker store into PostgreSQL
    assert endpoints["event_broker"]["tracker_url"] == "postgresql://rasa:pw@db/rasa"


def test_a_redis_tracker_store_leaves_the_purge_on_the_absent_sqlite_file(tmp_path):
    settings = Settings(tracker_store_url="redis://127.0.0.1:6379/0", tracker_db=tmp_path / "t.db")
    assert settings.tracker_database_url() == f"sqlite:///{tmp_path / 't.db'}"


# -- Rasa builds its stores from the endpoints.yml we write ---------------------------------

DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")


def _rasa_stores(paths):
    from rasa.core.lock_store import LockStore
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import read_endpoint_config

    tracker = TrackerStore.create(read_endpoint_config(str(paths["endpoints"]), "tracker_store"))
    lock = LockStore.create(read_endpoint_config(str(paths["endpoints"]), "lock_store"))
    return tracker, lock


async def _round_trip(tracker_store) -> None:
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    sender = f"stores-{uuid.uuid4().hex[:8]}"
    tracker = DialogueStateTracker(sender, slots=[])
    tracker.update(UserUttered("长沙能推荐几个"))
    await tracker_store.save(tracker)
    loaded = await tracker_store.retrieve(sender)
    assert loaded is not None and loaded.latest_message.text == "长沙能推荐几个"


async def test_rasa_builds_the_embedded_default(tmp_path):
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.core.tracker_store import SQLTrackerStore

    paths = write_runtime_config(Settings(tracker_db=tmp_path / "t.db"), build_dir=tmp_path)
    tracker, lock = _rasa_stores(paths)
    assert isinstance(tracker, SQLTrackerStore) and isinstance(lock, InMemoryLockStore)
    await _round_trip(tracker)


@pytest.mark.postgres
@pytest.mark.skipif(
    not (DATABASE_URL and REDIS_URL),
    reason="TEST_DATABASE_URL and TEST_REDIS_URL (.ci/run sets them)",
)
async def test_rasa_builds_postgresql_tracker_and_redis_lock_store(tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore

    from bot.rasa.locks import HeartbeatLockStore

    settings = Settings(tracker_store_url=DATABASE_URL, lock_store_url=REDIS_URL)
    tracker, lock = _rasa_stores(write_runtime_config(settings, build_dir=tmp_path))
    assert isinstance(tracker, SQLTrackerStore) and tracker.engine.dialect.name == "postgresql"
    assert isinstance(lock, HeartbeatLockStore) and lock.key_prefix.startswith("shuangchuang:")
    await _round_trip(tracker)
    conversation = f"lock-{uuid.uuid4().hex[:8]}"
    async with lock.lock(conversation):
        assert lock.get_lock(conversation) is not None
    assert lock.get_lock(conversation) is None
    lock.red.close()


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set (.ci/run sets it)")
async def test_rasa_builds_a_redis_tracker_store_that_expires(tmp_path):
    from rasa.core.tracker_store import RedisTrackerStore

    settings = Settings(tracker_store_url=REDIS_URL, retention_days=2)
    tracker, _ = _rasa_stores(write_runtime_config(settings, build_dir=tmp_path))
    assert isinstance(tracker, RedisTrackerStore) and tracker.record_exp == 2 * DAY_SECONDS
    await _round_trip(tracker)
    for key in tracker.red.scan_iter("tracker:stores-*"):
        assert 0 < tracker.red.ttl(key) <= 2 * DAY_SECONDS
        tracker.red.delete(key)
    tracker.red.close()
