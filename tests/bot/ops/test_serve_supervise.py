"""bot/ops/serve.py: a dead action server is started again while the Rasa server runs."""

from __future__ import annotations

import subprocess
import sys


def process(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code])


def test_a_dead_action_server_is_restarted_and_the_rasa_exit_code_returned(capsys):
    from bot.ops.serve import supervise

    rasa = process("import time; time.sleep(2.5); raise SystemExit(7)")
    restarted = []

    def restart() -> subprocess.Popen:
        replacement = process("import time; time.sleep(30)")
        restarted.append(replacement)
        return replacement

    try:
        assert supervise(rasa, process("raise SystemExit(3)"), restart, poll_seconds=0.1) == 7
    finally:
        for replacement in restarted:
            replacement.kill()
            replacement.wait()
    assert len(restarted) == 1  # once: the replacement kept running
    assert "退出码 3" in capsys.readouterr().err
