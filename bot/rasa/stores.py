"""Rasa's tracker store and lock store endpoints from one URL each (TRACKER_STORE_URL,
LOCK_STORE_URL) — pure functions, no connection is made here.

The keys are those Rasa 3.6 reads (rasa/core/tracker_store.py, rasa/core/lock_store.py):

* ``type: SQL`` → ``SQLTrackerStore(host=url, dialect, port, db, username, password,
  login_db, query)``; ``login_db`` (PostgreSQL only) is the database Rasa connects to first
  to create ``db`` when it is missing;
* ``type: bot.rasa.trackers.BoundedSQLTrackerStore`` → the same with ``max_session_events``
  (``TRACKER_MAX_SESSION_EVENTS``; see bot/rasa/trackers.py);
* ``type: redis`` → ``RedisTrackerStore(host=url, port, db, username, password, use_ssl,
  record_exp)`` — conversations expire after the retention period;
* ``type: bot.rasa.locks.HeartbeatLockStore`` → Rasa's ``RedisLockStore(host=url, port, db,
  username, password, use_ssl, key_prefix)`` with short tickets renewed while a message is
  processed, so an instance that dies holds a conversation for seconds, not a minute
  (bot/rasa/locks.py).

Messages name the setting and the problem, never the password.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

REDIS_SCHEMES = ("redis", "rediss")
SQL_BACKENDS = ("postgresql", "sqlite")
LOCK_KEY_PREFIX = "shuangchuang"
DAY_SECONDS = 24 * 3600
BOUNDED_SQL_TRACKER_STORE = "bot.rasa.trackers.BoundedSQLTrackerStore"
HEARTBEAT_LOCK_STORE = "bot.rasa.locks.HeartbeatLockStore"


class StoreURLError(ValueError):
    """A store URL that cannot be used; the message never contains the password."""


def _scheme(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else ""


def redis_endpoint(url: str, setting: str) -> Dict[str, Any]:
    """host/port/db/username/password/use_ssl of a ``redis://`` or ``rediss://`` URL."""
    scheme = _scheme(url)
    if scheme not in REDIS_SCHEMES:
        raise StoreURLError(f"{setting} 必须以 redis:// 或 rediss:// 开头")
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise StoreURLError(f"{setting} 的端口不是 1–65535 之间的数字") from None
    if not parts.hostname:
        raise StoreURLError(f"{setting} 缺少主机名（例如 redis://127.0.0.1:6379/0）")
    if parts.query or parts.fragment:
        raise StoreURLError(f"{setting} 不支持查询参数（?…）")
    endpoint: Dict[str, Any] = {"type": "redis", "url": parts.hostname}
    if port is not None:
        endpoint["port"] = port
    path = parts.path.strip("/")
    if path:
        if not path.isdigit():
            raise StoreURLError(f"{setting} 的数据库编号必须是数字（…/0 到 …/15）")
        endpoint["db"] = int(path)
    if parts.username:
        endpoint["username"] = unquote(parts.username)
    if parts.password:
        endpoint["password"] = unquote(parts.password)
    if scheme == "rediss":
        endpoint["use_ssl"] = True
    return endpoint


def sql_endpoint(url: str, setting: str) -> Dict[str, Any]:
    """dialect/host/port/db/username/password/login_db/query of a PostgreSQL or SQLite URL."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise StoreURLError(f"{setting} 不是有效的数据库地址") from None
    backend = parsed.get_backend_name()
    if backend not in SQL_BACKENDS:
        raise StoreURLError(f"{setting} 只支持 postgresql://、sqlite:/// 或 redis://")
    if not parsed.database:
        raise StoreURLError(f"{setting} 缺少数据库名（例如 postgresql://user@host:5432/rasa）")
    if backend == "sqlite":
        return {"type": "SQL", "dialect": "sqlite", "db": parsed.database}
    if not parsed.host:
        raise StoreURLError(f"{setting} 缺少主机名")
    endpoint: Dict[str, Any] = {
        "type": "SQL",
        "dialect": parsed.drivername,
        "url": parsed.host,
        "db": parsed.database,
    }
    if parsed.port is not None:
        endpoint["port"] = parsed.port
    if parsed.username:
        endpoint["username"] = parsed.username
    if parsed.password:
        endpoint["password"] = str(parsed.password)
    query = dict(parsed.query)
    login_db = query.pop("login_db", None)
    if login_db:
        endpoint["login_db"] = login_db
    if query:
        endpoint["query"] = query
    return endpoint


def tracker_store_endpoint(
    url: Optional[str], sqlite_file: Path, retention_days: int
) -> Dict[str, Any]:
    """Rasa's ``tracker_store`` endpoint; no URL: the embedded SQLite file."""
    if not url:
        return {"type": "SQL", "dialect": "sqlite", "db": str(sqlite_file)}
    if _scheme(url) in REDIS_SCHEMES:
        endpoint = redis_endpoint(url, "TRACKER_STORE_URL")
        endpoint["record_exp"] = max(1, retention_days) * DAY_SECONDS
        return endpoint
    return sql_endpoint(url, "TRACKER_STORE_URL")


def bounded_tracker_store(endpoint: Dict[str, Any], max_session_events: int) -> Dict[str, Any]:
    """The SQL tracker store as ``bot.rasa.trackers.BoundedSQLTrackerStore`` (a new session, slots
    carried over, once a session holds more than ``max_session_events`` events); 0 or a
    Redis tracker store: unchanged."""
    if max_session_events <= 0 or endpoint.get("type") != "SQL":
        return endpoint
    return {**endpoint, "type": BOUNDED_SQL_TRACKER_STORE, "max_session_events": max_session_events}


def lock_store_endpoint(url: Optional[str]) -> Optional[Dict[str, Any]]:
    """Rasa's ``lock_store`` endpoint (Redis), or None for Rasa's in-memory lock store."""
    if not url:
        return None
    endpoint = redis_endpoint(url, "LOCK_STORE_URL")
    endpoint["type"] = HEARTBEAT_LOCK_STORE
    endpoint["key_prefix"] = LOCK_KEY_PREFIX
    return endpoint
