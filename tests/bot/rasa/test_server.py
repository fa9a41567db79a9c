"""bot/rasa/server.py: a Rasa server on a socket it is handed never accepts a connection
before its model is loaded and checked; a model that does not load is reported and the
process exits without having taken a connection (the e2e tests serve real models with it)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
import yaml

from bot.ops.commands import child_env
from bot.rasa.handoff import MODEL_REFUSED_EXIT, read_json
from bot.settings import PROJECT_DIR


@pytest.mark.model
def test_a_model_that_does_not_load_exits_without_taking_a_connection(tmp_path):
    listener = socket.create_server(("127.0.0.1", 0))
    listener.set_inheritable(True)
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not a model")
    (tmp_path / "credentials.yml").write_text(yaml.safe_dump({"rest": None}))
    (tmp_path / "endpoints.yml").write_text("{}\n")
    status = tmp_path / "status.json"
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "fd": listener.fileno(),
                "port": listener.getsockname()[1],
                "model": str(broken),
                "credentials": str(tmp_path / "credentials.yml"),
                "endpoints": str(tmp_path / "endpoints.yml"),
                "auth_token": "t",
                "status": str(status),
            }
        )
    )
    # a client already waiting in the socket's queue while the process starts
    client = socket.create_connection(listener.getsockname(), timeout=5)
    result = subprocess.run(
        [sys.executable, "-m", "bot.rasa.server", str(spec)],
        cwd=PROJECT_DIR,
        env=child_env(),
        pass_fds=(listener.fileno(),),
        capture_output=True,
        timeout=300,
    )
    assert result.returncode == MODEL_REFUSED_EXIT, result.stderr.decode()[-2000:]
    assert read_json(status) == {
        "phase": "loaded",
        "pid": read_json(status)["pid"],
        "ok": False,
        "error": "model could not be loaded",
    }
    # the waiting client is still in the queue: whoever serves next answers it
    listener.settimeout(5)
    accepted, _ = listener.accept()
    accepted.close()
    client.close()
    listener.close()
