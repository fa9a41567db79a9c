"""The REST channel (POST /webhooks/rest/webhook), with privacy at the door.

Same protocol as Rasa's own RestInput (``{"sender": …, "message": …}`` → a JSON list of
replies, ``?stream=true`` for a stream), made safe to expose:

* a body over ``MAX_BODY_BYTES`` (64 KB) → 413 before it is read in full or parsed;
  a body that is not a JSON object → 400; no ``sender`` → 400 (no shared conversation);
  no text ``message`` → 400 — always a JSON ``{"error": …}``, never a traceback;
* the sender id is pseudonymised and personal data is masked (on the whole message, then
  the message is cut), before anything reaches Rasa;
* the channel recorded for statistics is always ``rest`` (never what the client says);
* at most ``RATE_LIMIT_PER_MINUTE`` messages per sender a minute, and at most
  ``RATE_LIMIT_PER_ADDRESS_PER_MINUTE`` per client address (X-Forwarded-For only from
  ``TRUSTED_PROXIES``) — over either, the polite ``rate_limited`` reply (``channels.limits``);
* a client's message id is scoped by the text (``get_metadata``): a retry is one row, a reused id
  with another question is another row.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import logging
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.settings import get_settings
from channels.limits import (
    address_limiter_from_settings,
    rate_limited,
    rate_limited_reply,
    read_body,
    request_address,
)
from channels.privacy import mask_text, pseudonymize, valid_unicode
from channels.questions import Failsafe, one_question_at_a_time

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 256
# the question log keeps 128 characters of a message id: the client's part, "#", the text's digest
# and room for the question number of a split message ("#2")
MAX_CLIENT_ID_CHARS = 100


class BadRequest(Exception):
    """What is wrong with a request, for the client (HTTP 400)."""


class RestInput(RasaRestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    # -- what reaches Rasa --------------------------------------------------------------

    async def _extract_sender(self, req: Request) -> str | None:
        raw = _payload(req).get("sender")
        if raw is None or isinstance(raw, (dict, list, bool)) or not str(raw).strip():
            return None
        return pseudonymize(self.name(), str(raw)[:MAX_SENDER_CHARS])

    def _extract_message(self, req: Request) -> str | None:
        text = _payload(req).get("message")
        if text is None or isinstance(text, (dict, list)):
            return None
        return mask_text(str(text))

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()  # set by the server: a client cannot write into the channel statistics

    def get_metadata(self, request: Request) -> Dict[str, Any] | None:
        """Only a client's message id (for de-duplicating retries) passes; any other metadata could
        carry personal data into the tracker store, so it is dropped.

        The id is scoped by the text: ``<client id>#<16 hex of a keyed hash of the message>``, so a
        retry (same id, same text) is still one question-log row, while a client that reuses an
        id for a different question cannot make it vanish into the first one's row."""
        payload = _payload(request)
        metadata = payload.get("metadata")
        if not isinstance(metadata, dict):
            return None
        message_id = metadata.get("channel_message_id") or metadata.get("message_id")
        if message_id is None or isinstance(message_id, (dict, list)):
            return None
        client_id = mask_text(str(message_id), limit=MAX_CLIENT_ID_CHARS)
        return {"channel_message_id": f"{client_id}#{text_digest(payload.get('message'))}"}

    # -- the route ----------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        webhook = Blueprint(
            f"custom_webhook_{type(self).__name__}", module.__name__ if module else None
        )
        # any failure, in Rasa or here, ends in the unavailable reply and a logged question
        failsafe = Failsafe(self.name())
        failsafe.attach(webhook)
        limited = rate_limited(one_question_at_a_time(failsafe.guard(on_new_message)))
        handle = failsafe.guard(limited)
        per_address = address_limiter_from_settings()

        async def close_limiter(app: Any, loop: Any) -> None:
            await limited.limiter.close()  # type: ignore[attr-defined]
            await per_address.close()

        webhook.listener("after_server_stop")(close_limiter)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> Any:
            limit = get_settings().max_body_bytes
            if await read_body(request, limit) is None:
                return response.json(
                    {"error": f"request body larger than {limit} bytes"}, status=413
                )
            try:
                sender_id, text = await self._checked(request)
            except BadRequest as problem:
                return response.json({"error": str(problem)}, status=400)
            if not await per_address.allow(pseudonymize("address", request_address(request))):
                reply = rate_limited_reply()  # the polite sentence, as for one sender
                return response.json([{"recipient_id": sender_id, "text": reply}] if reply else [])
            metadata = self.get_metadata(request)
            if _stream_wanted(request):
                return response.stream(
                    self.stream_response(handle, text, sender_id, self.name(), metadata),
                    content_type="text/event-stream",
                )
            collector = CollectingOutputChannel()
            try:
                await handle(
                    UserMessage(
                        text, collector, sender_id, input_channel=self.name(), metadata=metadata
                    )
                )
            except Exception:  # the reply so far; the traceback stays in the log
                logger.exception("rest: the assistant failed on a message")
            return response.json(collector.messages)

        return webhook

    async def _checked(self, request: Request) -> tuple:
        try:
            payload = request.json
        except Exception as exc:  # Sanic raises on a body that is not JSON
            raise BadRequest("the body must be a JSON object") from exc
        if not isinstance(payload, dict):
            raise BadRequest("the body must be a JSON object")
        sender_id = await self._extract_sender(request)
        if sender_id is None:
            raise BadRequest("'sender' is missing: give each conversation its own sender id")
        text = self._extract_message(request)
        if text is None:
            raise BadRequest("'message' is missing: send the user's text as 'message'")
        return sender_id, text


def text_digest(text: Any) -> str:
    """16 hex digits of a keyed hash (the pseudonymisation key) of the message as sent: equal
    for equal texts, different for different ones, and no way back to the text."""
    secret = get_settings().effective_question_log_secret().encode()
    message = valid_unicode("" if text is None else text).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:16]


def _payload(request: Request) -> Dict[str, Any]:
    try:
        payload = request.json
    except Exception:
        return {}
    return payload if isinstance(payload, dict) else {}


def _stream_wanted(request: Request) -> bool:
    value = request.args.get("stream", "false")
    return str(value).lower() in ("true", "1", "yes")
