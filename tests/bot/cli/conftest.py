"""The CLI's entry points configure logging for their process (bot/logs.py); a test that runs one
gets the logging it found back, so a later test's capture is not written to a closed stream."""

from __future__ import annotations

import logging

import pytest
import structlog


@pytest.fixture(autouse=True)
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


@pytest.fixture(autouse=True)
def _cheap_password_hashing(cheap_password_hashing):
    """Every account these tests make or check is hashed cheaply (tests/support/fixtures.py)."""
