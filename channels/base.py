"""What every channel does the same way, once: ``ChannelBase``.

A channel (REST, WeChat, Telegram) subclasses ``ChannelBase`` and says only how it reads
from and writes to its platform — ``add_routes`` (its webhook routes), and if it needs
them ``health`` (more fields for ``GET /``), ``start`` / ``stop`` / ``close`` (its own
connections). The base's ``blueprint`` sets up the rest, in the same order for all:

* the blueprint, named after the class, and the health route ``GET /`` →
  ``{"status": "ok", …health()}``;
* the wrapping of Rasa's ``on_new_message`` — innermost first: ``Failsafe.guard`` (a failure
  inside Rasa ends in the ``unavailable`` reply and a logged question), one question at a
  time (``channels/questions.py``), the per-sender rate limit (``channels/limits.py``), and
  ``Failsafe.guard`` again around all of it; ``add_routes`` gets the wrapped handler;
* the server's lifecycle: ``start`` before the server starts, ``stop`` before it stops
  (drain what is still going out while Rasa's agent is there), ``close`` after it stopped —
  then the base closes the rate limiter it opened.

And for the routes: ``read_body`` (the body-size limit, before a byte more is read than
allowed: ``body_limit()``) and ``protect`` (the pseudonymous sender id and the masked
text, before anything reaches Rasa; ``channels/privacy.py``).
"""

from __future__ import annotations

import inspect
from typing import Any, Awaitable, Callable, Dict, Tuple

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.settings import get_settings
from channels.limits import rate_limited, read_body
from channels.privacy import protect
from channels.questions import Failsafe, one_question_at_a_time, unavailable_reply

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class ChannelBase(InputChannel):
    """An ``InputChannel`` whose blueprint, health route, limits, privacy and lifecycle are
    the same as every other channel's."""

    def body_limit(self) -> int:
        """The largest request body read (``MAX_BODY_BYTES``; WeChat has its own setting)."""
        return get_settings().max_body_bytes

    def no_reply(self) -> str:
        """What one question at a time sends when the assistant said nothing at all: the
        ``unavailable`` sentence (WeChat returns "" and answers with its own sentences)."""
        return unavailable_reply()

    # -- what a channel says about its platform ---------------------------------------

    def add_routes(self, blueprint: Blueprint, on_new_message: OnNewMessage) -> None:
        """The channel's webhook routes; ``on_new_message`` is wrapped already."""
        raise NotImplementedError

    def health(self) -> Dict[str, Any]:
        """More fields for the health route."""
        return {}

    async def start(self) -> None:
        """Before the server starts."""

    async def stop(self) -> None:
        """Before the server stops: let what is still going out go out (bounded)."""

    async def close(self) -> None:
        """After the server stopped: close the channel's own connections."""

    # -- the same for every channel --------------------------------------------------

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        module = inspect.getmodule(self)
        blueprint = Blueprint(
            f"custom_webhook_{type(self).__name__}", module.__name__ if module else None
        )
        failsafe = Failsafe(self.name())
        failsafe.attach(blueprint)
        limited = rate_limited(
            one_question_at_a_time(failsafe.guard(on_new_message), unavailable=self.no_reply)
        )
        self.failsafe, self.limiter = failsafe, limited.limiter  # type: ignore[attr-defined]

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", **self.health()})

        async def on_start(app: Any, loop: Any) -> None:
            await self.start()

        async def on_stop(app: Any, loop: Any) -> None:
            await self.stop()

        async def on_stopped(app: Any, loop: Any) -> None:
            try:
                await self.close()
            finally:
                await self.limiter.close()

        blueprint.listener("before_server_start")(on_start)
        blueprint.listener("before_server_stop")(on_stop)
        blueprint.listener("after_server_stop")(on_stopped)
        self.add_routes(blueprint, failsafe.guard(limited))
        return blueprint

    async def read_body(self, request: Request) -> bytes | None:
        """The request body, or None when it is over ``body_limit()`` (not read further)."""
        return await read_body(request, self.body_limit())

    def protect(self, raw_sender_id: str, text: str) -> Tuple[str, str]:
        """(pseudonymous sender id, masked text): all that Rasa ever sees of a message."""
        return protect(self.name(), raw_sender_id, text)
