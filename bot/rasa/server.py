"""``python -m bot.rasa.server SPEC.json``: one Rasa server on a socket it is handed.

What ``rasa run`` does (``rasa.core.run.serve_application``: the same channels, HTTP API,
endpoints and listeners), with three differences that let ``bot.ops.serve`` swap models
without downtime (``bot.rasa.handoff``):

* it serves on the listening socket ``bot.ops.serve`` opened and passed down (``fd``) instead
  of binding its own, so an old and a new process can share one port;
* before it accepts a connection it loads the model, parses the texts it was given to
  check it (``expect``: text → intent; also warms TensorFlow up) and predicts one action:
  Sanic runs ``before_server_start`` listeners before it creates the server. A model that
  does not load or fails the check is reported and the process exits (code 3) without
  having accepted anything;
* it reports its progress in its status file (``loaded``, then ``serving``).

Started before SPEC.json exists, it is a standby: it imports Rasa, TensorFlow and the NLU
components and loads jieba's dictionary, then waits for the spec (``bot.ops.serve`` writes it
when the model is trained: the handoff then only loads the model).

SPEC.json (written by ``bot.ops.serve``, owner-only: it holds the API token) has ``fd``,
``model``, ``credentials``, ``endpoints``, ``auth_token``, ``port``, ``status`` and
optionally ``expect`` and ``min_right``. Like ``bot.rasa.main``, jax is never imported.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import List, Optional

from bot.rasa.handoff import STANDBY_TIMEOUT_S
from bot.rasa.patches import install_all


def wait_for(spec_file: Path, parent: int, timeout: float = STANDBY_TIMEOUT_S) -> bool:
    """Wait for the spec (written atomically by bot.ops.serve); False if the supervisor is gone."""
    deadline = time.monotonic() + timeout
    while not spec_file.exists():
        if os.getppid() != parent or time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def main(argv: Optional[List[str]] = None) -> None:
    started = time.monotonic()
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m bot.rasa.server SPEC.json")
    spec_file = Path(args[0])
    parent = os.getppid()
    install_all()
    # Rasa itself, imported by this module: after the patches
    from bot.rasa import serving

    sys.path.insert(1, os.getcwd())
    serving.configure_process()
    if not spec_file.exists():  # standby (bot.rasa.handoff.Request.standby)
        serving.prepare_standby()
        if not wait_for(spec_file, parent):
            return
        started = time.monotonic()
    serving.serve(json.loads(spec_file.read_text(encoding="utf-8")), started)


if __name__ == "__main__":
    main()
