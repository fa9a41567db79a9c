"""What a run of the assistant is configured with, from the environment: credentials.yml and
endpoints.yml (written at start-up, never committed), and the checks that refuse to start
with a clear message (a shared database without a secret, a store URL Rasa cannot use)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Optional

import yaml

from bot.rasa.stores import (
    StoreURLError,
    bounded_tracker_store,
    lock_store_endpoint,
    tracker_store_endpoint,
)
from bot.settings import BUILD_DIR, PROJECT_DIR, MissingSecret, Settings


def store_endpoints(settings: Settings) -> Dict[str, dict]:
    """``tracker_store`` (and ``lock_store`` when LOCK_STORE_URL is set) for endpoints.yml."""
    tracker_store = tracker_store_endpoint(
        settings.tracker_store_url, settings.tracker_db, settings.retention_days
    )
    endpoints = {
        "tracker_store": bounded_tracker_store(tracker_store, settings.tracker_max_session_events)
    }
    lock_store = lock_store_endpoint(settings.lock_store_url)
    if lock_store is not None:
        endpoints["lock_store"] = lock_store
    return endpoints


def check_stores(settings: Settings) -> None:
    """Refuse to start, with a clear message, on a tracker or lock store URL Rasa cannot use."""
    try:
        store_endpoints(settings)
    except StoreURLError as exc:
        raise SystemExit(f"无法启动：{exc}") from None


def check_secret(settings: Settings) -> None:
    """Refuse to start without QUESTION_LOG_SECRET where instances may share the database."""
    try:
        settings.effective_question_log_secret()
    except MissingSecret as exc:
        raise SystemExit(f"无法启动：{exc}") from None


def write_runtime_config(settings: Settings, build_dir: Path = BUILD_DIR) -> Dict[str, Path]:
    """credentials.yml / endpoints.yml for this run, from the environment (never committed).

    endpoints.yml may hold store passwords: it is readable by its owner only.
    """
    build_dir.mkdir(parents=True, exist_ok=True)
    credentials: Dict[str, Optional[dict]] = {"channels.rest.RestInput": None}
    if settings.wechat_token:
        credentials["channels.wechat.channel.WeChatInput"] = {}
    if settings.telegram_token:
        credentials["channels.telegram.channel.TelegramInput"] = {}
    endpoints: Dict[str, dict] = {
        "action_endpoint": {"url": f"http://127.0.0.1:{settings.action_port}/webhook"},
        **store_endpoints(settings),
    }
    broker = PROJECT_DIR / "bot" / "questionlog" / "broker.py"
    if broker.exists():
        # the broker also purges the question log and this tracker store once a day
        endpoints["event_broker"] = {
            "type": "bot.questionlog.broker.QuestionLogBroker",
            "tracker_url": settings.tracker_database_url(),
            "retention_days": settings.retention_days,
        }
    paths = {"credentials": build_dir / "credentials.yml", "endpoints": build_dir / "endpoints.yml"}
    for name, content in (("credentials", credentials), ("endpoints", endpoints)):
        write_private(paths[name], yaml.safe_dump(content, allow_unicode=True))
    return paths


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (mode 0600), replacing it atomically."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
