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
import logging
import os
import socket
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any, Dict, List, Optional

from bot.logs import configure_logging
from bot.rasa.handoff import STANDBY_TIMEOUT_S, CheckReport, write_status
from bot.rasa.main import prepare_rasa

logger = logging.getLogger(__name__)

MODEL_REFUSED_EXIT = 3


async def check_model(
    app: Any,
    expect: Dict[str, str],
    min_right: float,
    status: Path,
    started: float,
) -> CheckReport:
    """Check the loaded agent on ``expect``'s texts and warm it up (``bot.rasa.model_check``);
    write the ``loaded`` status; exit without serving if it is unfit."""
    from bot.rasa.model_check import check_processor

    agent = getattr(app.ctx, "agent", None)
    if agent is None or not agent.is_ready():
        write_status(status, "loaded", ok=False, error="model could not be loaded")
        raise SystemExit(MODEL_REFUSED_EXIT)
    right, wrong = check_processor(agent.processor, expect)
    report = CheckReport(right, len(expect), wrong, round(time.monotonic() - started, 2))
    ok = report.passes(min_right)
    write_status(
        status,
        "loaded",
        ok=ok,
        model_file=agent.processor.model_filename,
        **{k: v for k, v in vars(report).items()},
    )
    if not ok:
        raise SystemExit(MODEL_REFUSED_EXIT)
    return report


def serve(spec: Dict[str, Any], started: Optional[float] = None) -> None:
    from rasa.core.run import (
        close_resources,
        configure_app,
        create_http_input_channels,
        load_agent_on_start,
    )
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.common import update_sanic_log_level

    started = time.monotonic() if started is None else started
    status = Path(spec["status"])
    endpoints = AvailableEndpoints.read_endpoints(spec["endpoints"])
    app = configure_app(
        create_http_input_channels(None, spec["credentials"]),
        auth_token=spec.get("auth_token"),
        enable_api=True,
        port=int(spec["port"]),
        endpoints=endpoints,
    )
    expect = dict(spec.get("expect") or {})
    min_right = float(spec.get("min_right") or 0.0)

    async def check(app: Any, _loop: Any) -> None:
        await check_model(app, expect, min_right, status, started)

    async def accepting(app: Any, _loop: Any) -> None:
        write_status(status, "serving", model_file=app.ctx.agent.processor.model_filename)

    app.register_listener(
        partial(load_agent_on_start, spec["model"], endpoints, None), "before_server_start"
    )
    app.register_listener(check, "before_server_start")  # after the model is loaded
    app.register_listener(accepting, "after_server_start")
    app.register_listener(close_resources, "after_server_stop")
    update_sanic_log_level()
    listener = socket.socket(fileno=int(spec["fd"]))
    app.run(sock=listener, backlog=int(os.environ.get("SANIC_BACKLOG", "100")), workers=1)


def configure_process() -> None:
    """Logging and TensorFlow set up as ``rasa run`` sets them up, then the project's logging
    (``bot.logs``: structlog filtered by LOG_LEVEL, no applicant text below DEBUG)."""
    import rasa.utils.io
    import rasa.utils.tensorflow.environment as tf_env
    from rasa.utils.common import configure_logging_and_warnings

    configure_logging_and_warnings(None, None, warn_only_once=True, filter_repeated_logs=True)
    rasa.utils.io.configure_colored_logging(None)
    configure_logging()  # LOG_LEVEL for logging and structlog: no applicant text below DEBUG
    tf_env.setup_tf_environment()


def prepare_standby() -> None:
    """What every model load needs and takes seconds: Rasa's server, TensorFlow, the NLU
    components and jieba's dictionary (the model's tokenizer adds its words to it)."""
    import jieba
    import rasa.core.agent  # noqa: F401
    import rasa.core.run  # noqa: F401
    import rasa.nlu.classifiers.diet_classifier  # noqa: F401
    import rasa.nlu.tokenizers.jieba_tokenizer  # noqa: F401

    import nlu.components  # noqa: F401

    jieba.initialize()


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
    prepare_rasa()
    sys.path.insert(1, os.getcwd())
    configure_process()
    if not spec_file.exists():  # standby (bot.rasa.handoff.Request.standby)
        prepare_standby()
        if not wait_for(spec_file, parent):
            return
        started = time.monotonic()
    serve(json.loads(spec_file.read_text(encoding="utf-8")), started)


if __name__ == "__main__":
    main()
