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
