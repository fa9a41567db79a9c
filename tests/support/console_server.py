"""``python -m tests.support.console_server PORT WORKDIR``: the console exactly as ``python -m bot
console`` serves it (settings from the environment), except that publishing is played by
``tests/support/fake_publish.py`` — a real publish trains a model for minutes — and keeps its
log in WORKDIR instead of the project's .build/."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.console.app import ConsoleConfig, run


def main() -> None:
    config = ConsoleConfig.from_settings()
    config.publish_command = [sys.executable, "-m", "tests.support.fake_publish"]
    config.publish_log = Path(sys.argv[2]) / "console-publish.log"
    run(config, "127.0.0.1", int(sys.argv[1]))


if __name__ == "__main__":
    main()
