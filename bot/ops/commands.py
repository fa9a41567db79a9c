"""The command lines and environments of the processes the operator tools start: Rasa (through
``bot.rasa.main``, without the modules a Rasa process never uses) and the action server."""

from __future__ import annotations

import logging
import os
import sys
from typing import Dict, List

from bot.logs import log_level
from bot.settings import PROJECT_DIR, Settings


def child_env() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_DIR), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def rasa_command(*args: str) -> List[str]:
    """``python -m rasa …`` without the modules a Rasa process never uses (bot/rasa/main.py)."""
    return [sys.executable, "-m", "bot.rasa.main", *args]


def action_server_env(settings: Settings) -> Dict[str, str]:
    """The action server's environment: rasa_sdk binds to SANIC_HOST (its own default: all
    interfaces); it only talks to the Rasa server next to it, so loopback unless ACTION_HOST says.
    """
    env = child_env()
    env["SANIC_HOST"] = settings.action_host
    return env


def action_server_command(settings: Settings) -> List[str]:
    """rasa_sdk configures its own logging (INFO: no applicant text); ``--debug`` only when
    LOG_LEVEL=DEBUG (``bot.logs``)."""
    command = [
        sys.executable,
        "-m",
        "rasa_sdk",
        "--actions",
        "actions",
        "--port",
        str(settings.action_port),
    ]
    return command + (["--debug"] if log_level() <= logging.DEBUG else [])
