"""What a Rasa process on a handed socket does (``python -m bot.rasa.server``, which imports this
module once ``bot.rasa.patches.install_all`` has run: Rasa is imported here at the top).

What ``rasa run`` does (``rasa.core.run.serve_application``), on the socket in the spec: the
model is loaded and checked before a connection is accepted (``bot.rasa.server`` says why).
"""

from __future__ import annotations

import os
import socket
import time
from functools import partial
from pathlib import Path
from typing import Any, Dict, Optional

import jieba
import rasa.core.agent  # noqa: F401  # the standby imports the server's modules
import rasa.nlu.classifiers.diet_classifier  # noqa: F401
import rasa.nlu.tokenizers.jieba_tokenizer  # noqa: F401
import rasa.utils.io
import rasa.utils.tensorflow.environment as tf_env
from rasa.core.run import (
    close_resources,
    configure_app,
    create_http_input_channels,
    load_agent_on_start,
)
from rasa.core.utils import AvailableEndpoints
from rasa.shared.utils.common import class_from_module_path
from rasa.utils.common import configure_logging_and_warnings, update_sanic_log_level

from bot.logs import configure_logging
from bot.rasa.config import pipeline_component_names
from bot.rasa.handoff import MODEL_REFUSED_EXIT, CheckReport, write_status
from bot.rasa.model_check import check_processor


async def check_model(
    app: Any,
    expect: Dict[str, str],
    min_right: float,
    status: Path,
    started: float,
) -> CheckReport:
    """Check the loaded agent on ``expect``'s texts and warm it up (``bot.rasa.model_check``);
    write the ``loaded`` status; exit without serving if it is unfit."""
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
    configure_logging_and_warnings(None, None, warn_only_once=True, filter_repeated_logs=True)
    rasa.utils.io.configure_colored_logging(None)
    configure_logging()
    tf_env.setup_tf_environment()


def prepare_standby() -> None:
    """What every model load needs and takes seconds: Rasa's server and TensorFlow (imported
    with this module), the components config.yml names (the project's NLU components among
    them, found by name as Rasa finds them) and jieba's dictionary (the model's tokenizer adds
    its words to it)."""
    for name in pipeline_component_names():
        if "." in name:
            class_from_module_path(name)
    jieba.initialize()
