"""Swap the model of the running Rasa server without holding up a single request.

Rasa's own ``PUT /model`` loads the new model on the server's event loop: every request
waits while it loads (tens of seconds on a small machine). This channel (always enabled by
``bot.ops.serve``; ``/webhooks/model/…``) loads it *beside* the loop instead:

``POST /webhooks/model/swap?token=…`` with ``{"model_file": path, "expect": {text: intent},
"min_right": 0.8}`` (and ``"yield_to_requests": false`` to load without the governor below,
for comparison)

1. builds a new ``MessageProcessor`` for the model in a worker thread
   (``loop.run_in_executor``) with the agent's own tracker store, lock store, NLG and action
   endpoint — the part that takes long: unpacking, building the graph, loading TensorFlow.
   That thread yields to the loop whenever the loop is busy (``LoopGovernor``): sharing the
   GIL evenly would slow every answer down several-fold while the model loads;
2. in that thread, parses every ``expect`` text with it (this also warms TensorFlow up, so
   the first applicant after the swap does not pay for it) and runs one policy prediction;
3. refuses the model (HTTP 422, nothing changed) when fewer than ``min_right`` of the texts
   get their intent;
4. otherwise installs it on the loop in one step (``agent.processor``, ``agent.domain``, the
   tracker store's domain): a request already running finishes with the old processor,
   every later one uses the new one. Nothing is dropped, nothing waits.

``GET /webhooks/model/status?token=…`` → the model in use. Both need the token of Rasa's
HTTP API (``RASA_API_TOKEN``, ``Settings.effective_rasa_api_token``); without it: 401.
One swap at a time (409 while another runs). The routes are for this machine's operator
(``python -m bot publish``); a reverse proxy should not expose ``/webhooks/model/``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.agent import Agent
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.processor import MessageProcessor
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.rasa.model_check import check_processor
from bot.settings import get_settings

logger = logging.getLogger(__name__)


@dataclass
class Staged:
    """A processor loaded beside the loop, with how it parsed the texts it was given."""

    processor: MessageProcessor
    load_seconds: float
    wrong: List[str] = field(default_factory=list)
    right: int = 0


class LoopGovernor:
    """Lets the loading thread run only while the event loop is idle.

    Both threads need the GIL. Left alone, the loader (Python-heavy: building the graph,
    tracing TensorFlow) would take half of it, and the loop would wait for it again after
    every I/O: answers would slow down several-fold for the whole load. Here the loop ticks
    every ``TICK_S``; a profile hook in the loader (``hook``, set for that thread only) looks
    at the last tick on every Python call, and while the loop is late — it is busy with a
    request — the loader sleeps (releasing the GIL) until the loop has ticked again. The
    loader then uses what the loop leaves; only C calls that hold the GIL themselves (up to
    about a second inside TensorFlow, once or twice a load) still delay the loop.
    """

    TICK_S = 0.005
    LATE_S = 0.015  # the loop counts as busy when its last tick is older than this
    PAUSE_S = 0.005
    CHECK_EVERY = 50  # Python calls between looks at the clock (the hook must stay cheap)

    def __init__(self) -> None:
        self.last_tick = time.monotonic()
        self.paused_s = 0.0
        self._calls = 0
        self._running = True

    async def tick(self) -> None:
        while self._running:
            self.last_tick = time.monotonic()
            await asyncio.sleep(self.TICK_S)

    def stop(self) -> None:
        self._running = False

    def hook(self, frame: Any, event: str, arg: Any) -> None:
        if event != "call":
            return
        self._calls += 1
        if self._calls < self.CHECK_EVERY:
            return
        self._calls = 0
        started = time.monotonic()
        while self._running and time.monotonic() - self.last_tick > self.LATE_S:
            time.sleep(self.PAUSE_S)
            if time.monotonic() - started > 1.0:
                break  # the loop is stuck elsewhere: do not wait for ever
        self.paused_s += time.monotonic() - started


def build_processor(
    agent: Agent,
    model_file: Path,
    expect: Dict[str, str],
    governor: Optional[LoopGovernor] = None,
) -> Staged:
    """Load ``model_file`` into a new processor sharing ``agent``'s stores (blocking: run it
    in a worker thread) and parse ``expect``'s texts with it; with ``governor`` the thread
    yields to the event loop whenever the loop is busy."""
    if governor is not None:
        sys.setprofile(governor.hook)  # this thread only
    try:
        return _build_processor(agent, model_file, expect)
    finally:
        sys.setprofile(None)


def _build_processor(agent: Agent, model_file: Path, expect: Dict[str, str]) -> Staged:
    started = time.monotonic()
    processor = MessageProcessor(
        model_path=model_file,
        tracker_store=agent.tracker_store,
        lock_store=agent.lock_store,
        action_endpoint=agent.action_endpoint,
        generator=agent.nlg,
        http_interpreter=agent.http_interpreter,
    )
    right, wrong = check_processor(processor, expect)
    return Staged(processor, time.monotonic() - started, wrong, right)


def install(agent: Agent, processor: MessageProcessor) -> None:
    """Make ``processor`` the agent's, in one step on the loop (as ``Agent.load_model``)."""
    agent.processor = processor
    agent.domain = processor.domain
    agent._set_fingerprint(None)
    agent.tracker_store.domain = processor.domain
    if hasattr(agent.nlg, "responses"):
        agent.nlg.responses = processor.domain.responses if processor.domain else {}


def _authorised(request: Request) -> bool:
    given = request.args.get("token") or ""
    header = request.headers.get("authorization") or ""
    if header.lower().startswith("bearer "):
        given = header[7:]
    expected = get_settings().effective_rasa_api_token()
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def _error(status: int, message: str, **extra: Any) -> HTTPResponse:
    return response.json({"error": message, **extra}, status=status)


def _model_info(agent: Optional[Agent]) -> Dict[str, Any]:
    processor = agent.processor if agent is not None else None
    if processor is None:
        return {"model_file": None, "model_path": None}
    return {"model_file": processor.model_filename, "model_path": str(processor.model_path)}


class ModelSwapInput(InputChannel):
    """Not a conversation channel: the operator's way to swap models off the event loop."""

    @classmethod
    def name(cls) -> str:
        return "model"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("model_swap", __name__)
        swapping = asyncio.Lock()

        @blueprint.route("/status", methods=["GET"])
        async def status(request: Request) -> HTTPResponse:
            if not _authorised(request):
                return _error(401, "token required")
            return response.json(_model_info(getattr(request.app.ctx, "agent", None)))

        @blueprint.route("/swap", methods=["POST"])
        async def swap(request: Request) -> HTTPResponse:
            if not _authorised(request):
                return _error(401, "token required")
            body = request.json if isinstance(request.json, dict) else {}
            model_file = Path(str(body.get("model_file") or ""))
            expect = body.get("expect") or {}
            min_right = float(body.get("min_right") or 0.0)
            if not model_file.is_file():
                return _error(400, f"no model file {model_file}")
            if not isinstance(expect, dict):
                return _error(400, "expect must map texts to intents")
            agent: Optional[Agent] = getattr(request.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return _error(503, "no agent loaded")
            if swapping.locked():
                return _error(409, "another swap is running")
            async with swapping:
                before = _model_info(agent)
                loop = asyncio.get_running_loop()
                executor = ThreadPoolExecutor(1, thread_name_prefix="model-swap")
                governor = LoopGovernor() if body.get("yield_to_requests", True) else None
                ticker = loop.create_task(governor.tick()) if governor else None
                try:
                    staged = await loop.run_in_executor(
                        executor, build_processor, agent, model_file, dict(expect), governor
                    )
                except Exception as exc:  # any failure to load leaves the old model serving
                    logger.exception("model %s could not be loaded", model_file)
                    return _error(500, f"{type(exc).__name__}: {exc}", swapped=False)
                finally:
                    if governor is not None:
                        governor.stop()
                        await ticker
                    executor.shutdown(wait=False)  # its one thread is idle: never block the loop
                result = {
                    "previous": before,
                    "model_file": staged.processor.model_filename,
                    "load_seconds": round(staged.load_seconds, 2),
                    "yielded_seconds": round(governor.paused_s, 2) if governor else 0.0,
                    "right": staged.right,
                    "checked": len(expect),
                    "wrong": staged.wrong,
                }
                if expect and staged.right < min_right * len(expect):
                    return response.json({**result, "swapped": False}, status=422)
                install(agent, staged.processor)
                logger.info(
                    "model %s now serving (was %s), loaded in %.1f s off the loop",
                    staged.processor.model_filename,
                    before["model_file"],
                    staged.load_seconds,
                )
                return response.json({**result, "swapped": True})

        return blueprint
