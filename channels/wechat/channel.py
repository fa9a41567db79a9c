"""WeChat official account (公众号) input channel.

Enable it in credentials.yml::

    channels.wechat.channel.WeChatInput:
      token: ${WECHAT_TOKEN}
      aes_key: ${WECHAT_AES_KEY}      # optional: 兼容/安全模式
      appid: ${WECHAT_APPID}
      secret: ${WECHAT_SECRET}        # optional: 客服消息 for slow answers

The webhook is ``/webhooks/wechat/webhook``. Protocol rules (signatures,
replay window, AES, the 5-second passive-reply rule, retries, message limits)
live here and in the other ``channels/wechat/`` modules, nowhere else.

Who may post: the query signature must verify and its (timestamp, nonce) must be new (the
nonce cache: memory, or Redis when ``REDIS_URL`` is set); with an EncodingAESKey only an
``<Encrypt>`` whose ``msg_signature`` verifies is read — a plaintext body is refused.
Bodies over ``WECHAT_MAX_BODY_BYTES`` are refused before they are read in full. At
shutdown, 客服消息 still going out are awaited for up to ``WECHAT_DRAIN_SECONDS``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Set

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.kb.load import load_asks
from bot.settings import get_settings
from channels.limits import rate_limited
from channels.plumbing import TTLMap, setting
from channels.privacy import protect
from channels.questions import Failsafe, feedback_payload, one_question_at_a_time
from channels.texts import channel_text
from channels.wechat.api import AsyncWeChatApi, make_client
from channels.wechat.dedupe import Turn, make_turn_cache
from channels.wechat.messages import (
    ASK_AGAIN_REPLY,
    MAX_BODY_BYTES,
    SORRY_REPLY,
    WELCOME_FALLBACK,
    Incoming,
    MalformedMessage,
    classify,
    render_text_reply,
    xml_fields,
)
from channels.wechat.nonces import NonceCache, delivery_digest, make_nonce_cache
from channels.wechat.reply import (
    Choice,
    answer_for,
    format_messages,
    picked_choice,
    split_text,
    trim_text,
)
from channels.wechat.security import DecryptError, MessageCrypto, RequestVerifier, SignatureError

logger = logging.getLogger(__name__)

DEFAULT_REPLY_BUDGET_SECONDS = 4.5  # WeChat gives up on a passive reply after 5 s
DEFAULT_REPLAY_WINDOW_SECONDS = 300.0
DEFAULT_DRAIN_SECONDS = 10.0
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class WeChatCollector(CollectingOutputChannel):
    """Collects the bot's messages for one turn (named so domain responses can target wechat)."""

    @classmethod
    def name(cls) -> str:
        return "wechat"


class WeChatInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> WeChatInput:
        credentials, settings = credentials or {}, get_settings()

        def pick(key: str, default: Any = None) -> Any:
            return setting(credentials, key, getattr(settings, f"wechat_{key}", default))

        token = pick("token")
        if not token:
            cls.raise_missing_credentials_exception()
        return cls(
            token=str(token),
            aes_key=pick("aes_key"),
            previous_aes_key=pick("previous_aes_key"),
            appid=pick("appid"),
            secret=pick("secret"),
            api_base_url=pick("api_base_url"),
            reply_budget_seconds=float(pick("reply_budget_seconds", DEFAULT_REPLY_BUDGET_SECONDS)),
            replay_window_seconds=float(
                pick("replay_window_seconds", DEFAULT_REPLAY_WINDOW_SECONDS)
            ),
            redis_url=setting(credentials, "redis_url", settings.redis_url),
            max_body_bytes=int(pick("max_body_bytes", MAX_BODY_BYTES)),
            drain_seconds=float(pick("drain_seconds", DEFAULT_DRAIN_SECONDS)),
        )

    def __init__(
        self,
        token: str,
        aes_key: str | None = None,
        previous_aes_key: str | None = None,
        appid: str | None = None,
        secret: str | None = None,
        api_base_url: str | None = None,
        reply_budget_seconds: float = DEFAULT_REPLY_BUDGET_SECONDS,
        replay_window_seconds: float = DEFAULT_REPLAY_WINDOW_SECONDS,
        redis_url: str | None = None,
        menu_asks: Dict[str, str] | None = None,
        api: AsyncWeChatApi | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        drain_seconds: float = DEFAULT_DRAIN_SECONDS,
        nonces: NonceCache | None = None,
    ) -> None:
        if max_body_bytes <= 0:
            raise ValueError("max_body_bytes must be positive")
        self.verifier = RequestVerifier(token, replay_window_seconds)
        # a timestamp is good from `window` before to `window` after it: remember twice as long
        self.nonces = nonces or make_nonce_cache(token, 2 * replay_window_seconds, redis_url)
        self.max_body_bytes = max_body_bytes
        self.drain_seconds = drain_seconds
        self.crypto = (
            MessageCrypto(token, aes_key, appid or "", previous_aes_key) if aes_key else None
        )
        if api is None and appid and secret:
            api = AsyncWeChatApi(make_client(appid, secret, api_base_url, redis_url))
        self.api = api  # None: no 客服消息, a slow answer gets "please ask again"
        self.reply_budget = reply_budget_seconds
        self.rest_delay_seconds = 1.0  # let the passive reply land before the overflow
        self.menu_asks = _load_asks() if menu_asks is None else dict(menu_asks)
        self.turns = make_turn_cache(token, redis_url)
        self.choices: TTLMap[List[Choice]] = TTLMap(10_000, 3600.0)
        self._background: Set[asyncio.Task[Any]] = set()

    # -- HTTP ---------------------------------------------------------------

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        # per-sender limit before the NLU (a WeChat retry never gets here twice);
        # then one question at a time
        # (an empty reply gets the channel's own welcome or sorry reply, see _run_turn)
        # any failure in Rasa ends in the unavailable reply and a logged question (Failsafe)
        module = inspect.getmodule(self)
        bp = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)
        failsafe = Failsafe(self.name())
        failsafe.attach(bp)
        on_new_message = failsafe.guard(
            rate_limited(one_question_at_a_time(failsafe.guard(on_new_message), unavailable=str))
        )

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            refused = self._refuse_unsigned(request) or await self._refuse_replayed(request)
            return refused or response.text(request.args.get("echostr", ""))

        @bp.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            return await self._receive(request, on_new_message)

        @bp.listener("before_server_stop")
        async def drain(app: Any, loop: Any) -> None:
            await self.drain()

        return bp

    def _refuse_unsigned(self, request: Request) -> HTTPResponse | None:
        args = request.args
        try:
            self.verifier.verify(args.get("signature"), args.get("timestamp"), args.get("nonce"))
        except SignatureError as err:
            logger.warning("wechat: refused an unsigned or stale request: %s", err)
            return response.text("forbidden", status=403)
        return None

    async def _refuse_replayed(
        self, request: Request, delivery: str | None = None
    ) -> HTTPResponse | None:
        """Called once the request is authentic: its (timestamp, nonce) is used up — except
        for the same delivery again (``delivery``: the body's digest), which nginx sends to
        the next instance when the first died while answering; the MsgId turn cache answers
        that one with the first attempt's reply (channels/wechat/nonces.py)."""
        args = request.args
        timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
        if await self.nonces.first_use(timestamp, nonce, delivery):
            return None
        logger.warning("wechat: refused a replayed request (timestamp and nonce already used)")
        return response.text("forbidden", status=403)

    async def _read_body(self, request: Request) -> bytes | None:
        """The body, or None when it is larger than allowed (not read any further)."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            return None
        if request.stream is None:  # already read (a non-streaming mount)
            body = request.body or b""
            return body if len(body) <= self.max_body_bytes else None
        chunks: List[bytes] = []
        size = 0
        while True:
            chunk = await request.stream.read()
            if chunk is None:
                return b"".join(chunks)
            size += len(chunk)
            if size > self.max_body_bytes:  # chunked, no Content-Length: stop here
                return None
            chunks.append(chunk)

    async def _receive(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        started = time.monotonic()
        refused = self._refuse_unsigned(request)
        if refused:
            return refused
        body = await self._read_body(request)
        if body is None:
            logger.warning("wechat: refused a body over %d bytes", self.max_body_bytes)
            return response.text("payload too large", status=413)
        args, crypto, delivery = request.args, None, delivery_digest(body)
        if self.crypto is not None:  # safe or compatible mode: only the signed <Encrypt> counts
            try:
                body, crypto = self.crypto.decrypt(
                    body, args.get("msg_signature"), args.get("timestamp"), args.get("nonce")
                )
            except SignatureError as err:
                logger.warning("wechat: refused a message: %s", err)
                return response.text("forbidden", status=403)
            except DecryptError as err:
                logger.warning("wechat: could not decrypt a message: %s", err)
                return response.text("cannot decrypt", status=400)
        try:
            fields = xml_fields(body)
        except MalformedMessage as err:
            logger.warning("wechat: malformed message: %s", err)
            return response.text("malformed message", status=400)
        if crypto is None and "Encrypt" in fields and not fields.get("FromUserName"):
            # 安全模式 without a key here; 兼容模式 (plaintext beside <Encrypt>) is read as 明文
            logger.warning("wechat: encrypted message but no EncodingAESKey is configured")
            return response.text("safe mode is not configured", status=400)
        refused = await self._refuse_replayed(request, delivery)
        if refused:
            return refused
        try:
            incoming = classify(fields, self.menu_asks)
        except MalformedMessage as err:
            logger.warning("wechat: malformed message: %s", err)
            return response.text("malformed message", status=400)

        content = await self._answer(incoming, on_new_message, started)
        if content is None:
            return response.text("success")
        xml = render_text_reply(incoming, content)
        if crypto is not None:
            xml = MessageCrypto.encrypt(crypto, xml, args.get("nonce"))
        return response.text(xml, content_type="application/xml; charset=utf-8")

    # -- answering ----------------------------------------------------------

    async def _answer(
        self, incoming: Incoming, on_new_message: OnNewMessage, started: float
    ) -> str | None:
        """The passive reply's text, or None for a bare ``success``."""
        if incoming.action == "ignore":
            return None
        if incoming.action == "reply":
            return incoming.text
        turn, _ = self.turns.join_or_start(
            incoming.dedupe_key, lambda: self._run_turn(incoming, on_new_message)
        )
        if turn.handed_off:
            return None  # a retry of a message already going out through 客服消息
        remaining = self.reply_budget - (time.monotonic() - started)
        try:
            text = await asyncio.wait_for(asyncio.shield(turn.task), timeout=max(remaining, 0.0))
        except asyncio.TimeoutError:
            return self._budget_exhausted(incoming, turn)
        if self.api is None:
            return trim_text(text)
        first, *rest = split_text(text) or [text]
        if rest and not turn.handed_off:
            turn.handed_off = True  # the overflow goes once, even if WeChat retries
            self._spawn(self._send_later(incoming.openid, rest, self.rest_delay_seconds))
        return first

    def _budget_exhausted(self, incoming: Incoming, turn: Turn) -> str | None:
        if self.api is None:
            logger.info(
                "wechat: no answer within %.1fs and no AppSecret: asking to retry",
                self.reply_budget,
            )
            return channel_text(ASK_AGAIN_REPLY)
        if not turn.handed_off:
            turn.handed_off = True
            logger.info(
                "wechat: no answer within %.1fs: it goes out through 客服消息", self.reply_budget
            )
            self._spawn(self._deliver_when_done(incoming.openid, turn.task))
        return None

    async def _run_turn(self, incoming: Incoming, on_new_message: OnNewMessage) -> str:
        text = incoming.text
        choice = picked_choice(text, self.choices.get(incoming.openid))
        if choice is not None:
            text = choice.as_user_text()
        sender_id, masked = protect("wechat", incoming.openid, text)
        # 有帮助 / 没帮助 (a tapped link or typed): the feedback payload, for the tapped answer
        # when WeChat said which (bizmsgmenuid)
        masked = feedback_payload(masked, answer_for(incoming.menu_id)) or masked
        collector = WeChatCollector()
        metadata = {"channel_message_id": incoming.channel_message_id(sender_id)}
        try:
            await on_new_message(
                UserMessage(
                    masked, collector, sender_id, input_channel=self.name(), metadata=metadata
                )
            )
        except Exception:
            logger.exception("wechat: the assistant failed on a %s message", incoming.msg_type)
            return channel_text(SORRY_REPLY)
        reply = format_messages(collector.messages)
        if reply.choices:
            self.choices.set(incoming.openid, reply.choices)
        elif incoming.openid in self.choices:
            self.choices.set(incoming.openid, [])  # the old numbers mean nothing any more
        if reply.text:
            return reply.text
        return channel_text(WELCOME_FALLBACK if incoming.welcome else SORRY_REPLY)

    # -- 客服消息 (customer-service messages) off the request path -------------

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Before the server stops: let pending 客服消息 go out (bounded), then close."""
        deadline = time.monotonic() + self.drain_seconds
        pending = {task for task in self._background if not task.done()}
        if pending:
            logger.info(
                "wechat: waiting up to %.0fs for %d 客服消息 still going out",
                self.drain_seconds,
                len(pending),
            )
        while pending and time.monotonic() < deadline:  # answers handed off meanwhile too
            await asyncio.wait(pending, timeout=deadline - time.monotonic())
            pending = {task for task in self._background if not task.done()}
        for task in pending:
            task.cancel()
        if pending:
            logger.warning("wechat: %d 客服消息 not sent before shutdown", len(pending))
        await self.nonces.close()
        await self.turns.close()
        if self.api is not None:
            self.api.close()

    async def _deliver_when_done(self, openid: str, task: asyncio.Task[str]) -> None:
        await self._send_later(openid, split_text(await task), 0.0)

    async def _send_later(self, openid: str, pieces: List[str], delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        assert self.api is not None
        for piece in pieces:
            try:
                await self.api.send_text(openid, piece)
            except Exception as err:  # keep the server up; the operator sees why in the log
                logger.warning("wechat: 客服消息 failed: %s", err)
                return


def _load_asks() -> Dict[str, str]:
    try:
        return load_asks()
    except Exception as err:  # a broken menu file must not keep the channel from starting
        logger.warning("wechat: menu file unreadable, CLICK events will get a hint: %s", err)
        return {}
