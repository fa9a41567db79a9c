"""Logging of every process (bot/logs.py): structlog filtered by LOG_LEVEL, the fields that carry
applicant text hidden below DEBUG, shown at DEBUG."""

from __future__ import annotations

import io
import logging

import pytest
import structlog

from bot.logs import HIDDEN, configure_logging, log_level

TEXT = "我的问题暗号X"


@pytest.fixture
def restore_logging():
    """The loggers ``emit`` writes to start as a fresh process has them: an earlier test in the
    same worker (Sanic's or Rasa's logging set-up) may have disabled them or raised their level
    (tests/conftest.py puts them back after this test)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    for name in ("rasa", "rasa.core", "rasa.core.processor"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.NOTSET)
        logger.disabled, logger.propagate = False, True
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def emit(level) -> str:
    out = io.StringIO()
    configure_logging(level, stream=out)
    log = structlog.get_logger("rasa.core.processor")
    log.debug("processor.message.parse", parse_data_text=TEXT)
    log.warning("message.parsing.failed", user_text=TEXT)
    log.info("agent.started", model="m.tar.gz")
    logging.getLogger("rasa.core.processor").debug("Received user message '%s'", TEXT)
    return out.getvalue()


def test_the_default_level_logs_events_but_no_applicant_text(restore_logging, monkeypatch):
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    output = emit(None)
    assert "message.parsing.failed" in output and "agent.started" in output
    assert "m.tar.gz" in output and HIDDEN in output
    assert TEXT not in output and "processor.message.parse" not in output


def test_debug_logs_the_text_as_documented(restore_logging, monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    output = emit(None)
    assert output.count(TEXT) == 3 and HIDDEN not in output


@pytest.mark.parametrize(
    "asked, env, level",
    [
        (None, None, logging.INFO),
        (None, "warning", logging.WARNING),
        ("DEBUG", "ERROR", logging.DEBUG),
        (logging.ERROR, None, logging.ERROR),
        (None, "nonsense", logging.INFO),
    ],
)
def test_the_level_comes_from_the_command_else_log_level_else_info(monkeypatch, asked, env, level):
    if env is None:
        monkeypatch.delenv("LOG_LEVEL", raising=False)
    else:
        monkeypatch.setenv("LOG_LEVEL", env)
    assert log_level(asked) == level


def test_http_client_urls_are_not_logged_at_the_default_level(restore_logging, monkeypatch):
    """httpx logs each request's URL at INFO; Telegram's URLs carry the bot token."""
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    out = io.StringIO()
    configure_logging(None, stream=out)
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot1:secret/getMe")
    logging.getLogger("httpx").warning("retrying")
    assert "bot1:secret" not in out.getvalue() and "retrying" in out.getvalue()
