"""bot/ops/publish.py: the handoff is the one way to swap a model. A server on the port that
``bot run`` did not start (an instance of ``make cluster`` or of the systemd units) is not
switched: publish says the model is ready and how to roll it out."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.ops.publish import PublishError, switch_model
from bot.settings import Settings
from tests.support.ports import free_port


def test_a_server_not_started_by_bot_run_is_not_switched():
    settings = Settings(_env_file=None, port=free_port())
    with pytest.raises(PublishError) as refused:
        switch_model(settings, Path("models/new.tar.gz"), {"截止时间": "deadline"}, 0.8)
    message = str(refused.value)
    assert "new.tar.gz 已准备好" in message and "逐个重启实例" in message
