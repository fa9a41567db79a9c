"""bot/rasa/main.py: Rasa's command line, in a process where jax is never imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.ops.commands import child_env, rasa_command
from bot.settings import PROJECT_DIR

PROBE = """
import sys
from bot.rasa.main import main
sys.argv = ["probe"]
try:
    main(["--version"])
except SystemExit:
    pass
import tensorflow  # noqa: F401  (imports its TF Lite converter, which tries jax)
util = sys.modules["tensorflow.lite.python.util"]
print("jax" in sys.modules and sys.modules["jax"] is not None, util._xla_computation is None)
"""


@pytest.mark.model
def test_rasa_runs_with_jax_marked_absent():
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=PROJECT_DIR,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Rasa Version" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "False True"


def test_the_servers_and_training_go_through_it():
    assert rasa_command("run", "--port", "5005")[1:4] == ["-m", "bot.rasa.main", "run"]


LOGGING_PROBE = """
import argparse
import logging
import sys

import structlog

import bot.rasa.main as entry

def command(args):
    log = structlog.get_logger("rasa.core.processor")
    log.debug("processor.message.parse", parse_data_text="MARKER-TEXT")
    log.warning("message.parsing.failed", user_text="MARKER-TEXT")
    logging.getLogger("rasa.core.processor").info("served")

def parser():
    made = argparse.ArgumentParser()
    made.add_argument("--debug", dest="loglevel", action="store_const", const=logging.DEBUG)
    made.set_defaults(func=command)
    return made

from bot.rasa.patches import install_all
install_all()
import rasa.__main__ as rasa_cli
rasa_cli.create_argument_parser = parser
entry.main([])
print("-- now with --debug --", flush=True)
entry.main(["--debug"])
"""


@pytest.mark.model
def test_rasa_run_logs_no_applicant_text_below_debug():
    """What the cluster's instances run (``bot.rasa.main run``): Rasa's CLI sets up logging,
    with the project's structlog configuration (bot/logs.py) in place of Rasa's own."""
    env = {**child_env(), "RASA_TELEMETRY_ENABLED": "false"}
    env.pop("LOG_LEVEL", None)
    result = subprocess.run(
        [sys.executable, "-c", LOGGING_PROBE],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    default, debug = result.stdout.split("-- now with --debug --")
    assert "message.parsing.failed" in default and "served" in default
    assert "MARKER-TEXT" not in default and "processor.message.parse" not in default
    assert debug.count("MARKER-TEXT") == 2  # --debug logs the text, as documented
