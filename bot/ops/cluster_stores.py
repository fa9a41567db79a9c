"""The shared stores a cluster runs on (``bot.ops.cluster``, ``make cluster``): their local
defaults, a check that each answers before anything starts, the PostgreSQL database created when
it is missing and the tables created once, before the instances start together.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Dict, List

from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.utils.endpoints import read_endpoint_config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.questionlog.db import dispose, upgrade
from bot.settings import Settings

DEFAULTS = {
    "TRACKER_STORE_URL": "postgresql://postgres@127.0.0.1:5432/shuangchuang",
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/shuangchuang",
    "LOCK_STORE_URL": "redis://127.0.0.1:6379/1",
    "REDIS_URL": "redis://127.0.0.1:6379/2",
    # nginx runs on loopback in front of the instances: believe its X-Forwarded-For, so REST's
    # per-address limit counts each client, not all of them as 127.0.0.1
    "TRUSTED_PROXIES": "127.0.0.1",
}


def cluster_environment(environ: Dict[str, str]) -> Dict[str, str]:
    """The environment every process of the cluster gets: the shared stores' defaults."""
    env = dict(environ)
    for name, default in DEFAULTS.items():
        if not env.get(name):
            env[name] = default
    return env


def ensure_postgres_database(url: str) -> bool:
    """Create the database of ``url`` when it is missing (PostgreSQL). True when created."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        return False
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("select 1 from pg_database where datname = :name"), {"name": parsed.database}
            ).scalar()
            if exists:
                return False
            quoted = admin.dialect.identifier_preparer.quote(parsed.database)
            connection.execute(text(f"create database {quoted}"))
            return True
    finally:
        admin.dispose()


def prepare_schemas(settings: Settings, endpoints: Path) -> None:
    """Create the tracker-store and question-log tables once, before N instances start at
    the same moment (their concurrent CREATE TABLEs would race on an empty database)."""
    store = TrackerStore.create(read_endpoint_config(str(endpoints), "tracker_store"))
    if isinstance(store, SQLTrackerStore):
        store.engine.dispose()
    upgrade(settings.effective_database_url())
    dispose(settings.effective_database_url())


def answers(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def check_services(env: Dict[str, str]) -> List[str]:
    """What does not answer (host:port of each store), for a clear message before starting."""
    missing = []
    for name in ("TRACKER_STORE_URL", "DATABASE_URL", "LOCK_STORE_URL", "REDIS_URL"):
        url = make_url(env[name]) if "://" in env[name] else None
        if url is None or url.get_backend_name() == "sqlite":
            continue
        port = url.port or {"postgresql": 5432, "redis": 6379}.get(url.get_backend_name(), 0)
        if not answers(url.host or "127.0.0.1", port):
            missing.append(f"{name}（{url.host}:{port}）")
    return missing
