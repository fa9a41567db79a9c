"""What a Telegram update asks of the assistant: pure functions, no network.

Commands become natural Chinese questions (the NLU strips a leading "/" so
nobody can force an intent); group messages count only when they address the
bot by @username or reply to one of its messages.

The one exception to "no network": ``SharedSeenUpdates`` (``REDIS_URL`` set) makes
"each update once, none lost" hold across instances behind a load balancer. The instance
that accepts an update claims it in Redis before it answers the webhook (one atomic step:
not answered yet → a short claim, ``SET NX PX``, and the update kept in a pending hash),
renews the claim every third of ``claim_seconds`` while it answers (a heartbeat), and marks
it answered for 24 hours when done (Telegram keeps an undelivered update that long). A
second delivery of the update — Telegram's retry, or nginx passing it on — finds the claim
or the mark and is acknowledged without being processed. When an instance dies after it
claimed an update, its claim lapses within ``claim_seconds`` and another instance's sweep
(``orphans``) takes the pending update over and answers it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, List, Tuple

from telegram import Message, Update, User
from telegram.constants import ChatType

from channels.plumbing import LazyRedis

# The one table of shortcuts: what each command says to the assistant (its input, not a
# reply). Unknown commands get the /help question.
COMMANDS = {
    "start": "你好",
    "help": "你能回答哪些问题",
    "deadline": "申报截止时间是什么时候？",
    "address": "申报材料交到哪里？",
    "selfcheck": "我想自测一下能不能申报",
}
HELP_COMMAND = "help"

# names in knowledge/messages.yml (channels.texts.channel_text)
NON_TEXT_REPLY = "telegram_non_text"
EXPIRED_BUTTON_REPLY = "telegram_expired_button"

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 1.0
UPDATE_TTL_SECONDS = 24 * 3600  # Telegram keeps an undelivered update for 24 hours
CLAIM_SECONDS = 3.0  # renewed while an update is answered; a dead instance's lapses

# KEYS: answered, claim, pending. ARGV: token, claim ms, update id, update JSON, pending ttl
CLAIM_UNLESS_ANSWERED = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[3], ARGV[5])
return 1
"""
# KEYS: claim. ARGV: token, claim ms
RENEW_CLAIM = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
# KEYS: answered, claim, pending. ARGV: token, update id, answered ttl
MARK_ANSWERED = """
redis.call('SET', KEYS[1], '1', 'EX', ARGV[3])
redis.call('HDEL', KEYS[3], ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
"""
# KEYS: pending. ARGV: claim prefix, answered prefix → {id, JSON, id, JSON, …} unclaimed
ORPHANS = """
local found = {}
local pending = redis.call('HGETALL', KEYS[1])
for i = 1, #pending, 2 do
  local id = pending[i]
  if redis.call('EXISTS', ARGV[2] .. id) == 1 then
    redis.call('HDEL', KEYS[1], id)
  elseif redis.call('EXISTS', ARGV[1] .. id) == 0 then
    table.insert(found, id)
    table.insert(found, pending[i + 1])
  end
end
return found
"""

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,64})(?:@([A-Za-z0-9_]+))?(?=\s|$)")
_GROUP_TYPES = {ChatType.GROUP, ChatType.SUPERGROUP}


@dataclass(frozen=True)
class Incoming:
    """One thing to do for an update.

    kind: "text" (send ``text`` to Rasa), "non_text" (answer politely without Rasa),
    "callback" (acknowledge ``callback_id``; ``text`` is the button's callback_data),
    "ack" (a button pressed where there is no chat to answer in: acknowledge only).
    """

    kind: str
    chat_id: int
    text: str = ""
    reply_to_message_id: int | None = None
    callback_id: str | None = None


class SeenUpdates:
    """Bounded memory of update ids already accepted (Telegram may deliver one twice)."""

    def __init__(self, max_size: int = 10_000) -> None:
        self._max_size = max_size
        self._ids: OrderedDict[int, None] = OrderedDict()

    def add(self, update_id: int) -> bool:
        """Remember ``update_id``; ``False`` when it was seen before."""
        if update_id in self._ids:
            return False
        self._ids[update_id] = None
        while len(self._ids) > self._max_size:
            self._ids.popitem(last=False)
        return True

    async def claim(self, update_id: int, update_json: str = "") -> bool:
        """Across instances: ``False`` when another instance took ``update_id``."""
        return True

    def keep_claim(self, update_id: int) -> asyncio.Task[Any] | None:
        """A heartbeat renewing this instance's claim while it answers (None: nothing to renew)."""
        return None

    async def answered(self, update_id: int) -> None:
        """``update_id`` is answered: never again, on any instance."""
        return None

    async def orphans(self) -> List[Tuple[int, str]]:
        """Updates claimed by an instance that died before answering them (id, JSON)."""
        return []

    async def close(self) -> None:
        """Release connections (the server is stopping)."""
        return None


class SharedSeenUpdates(SeenUpdates):
    """``SeenUpdates`` plus a claim in Redis, so one update is processed by one instance.

    While Redis does not answer, each instance relies on its own memory (logged).
    """

    def __init__(
        self,
        redis_url: str,
        namespace: str,
        max_size: int = 10_000,
        ttl_seconds: int = UPDATE_TTL_SECONDS,
        claim_seconds: float = CLAIM_SECONDS,
    ) -> None:
        super().__init__(max_size)
        self.redis_url = redis_url
        space = hashlib.sha256(namespace.encode()).hexdigest()[:16]
        self.prefix = f"telegram:update:{space}:"  # answered
        self.claim_prefix = f"telegram:claim:{space}:"
        self.pending_key = f"telegram:pending:{space}"
        self.ttl = ttl_seconds
        self.claim_seconds = claim_seconds
        self.claim_ms = max(100, round(claim_seconds * 1000))
        self.token = uuid.uuid4().hex
        self._redis = LazyRedis(redis_url, REDIS_TIMEOUT_SECONDS, "the Redis update memory")

    def _keys(self, update_id: int) -> Tuple[str, str, str]:
        return f"{self.prefix}{update_id}", f"{self.claim_prefix}{update_id}", self.pending_key

    async def _eval(self, script: str, keys: Tuple[str, ...], *args: Any) -> Any:
        return await asyncio.wait_for(
            self._redis().eval(script, len(keys), *keys, *args), 2 * REDIS_TIMEOUT_SECONDS
        )

    async def claim(self, update_id: int, update_json: str = "") -> bool:
        try:
            added = await self._eval(
                CLAIM_UNLESS_ANSWERED,
                self._keys(update_id),
                self.token,
                self.claim_ms,
                update_id,
                update_json,
                self.ttl,
            )
        except Exception as err:
            logger.warning(
                "telegram: update memory in Redis unavailable (%s), using memory",
                type(err).__name__,
            )
            return True
        return bool(added)

    def keep_claim(self, update_id: int) -> asyncio.Task[Any] | None:
        return asyncio.ensure_future(self._keep_claim(update_id))

    async def _keep_claim(self, update_id: int) -> None:
        _, claim, _ = self._keys(update_id)
        while True:
            await asyncio.sleep(self.claim_seconds / 3)
            try:
                renewed = await self._eval(RENEW_CLAIM, (claim,), self.token, self.claim_ms)
            except Exception as err:  # Redis away: the claim may lapse; the reply still goes
                logger.warning("telegram: could not renew a claim (%s)", type(err).__name__)
                continue
            if not renewed:
                logger.warning(
                    "telegram: the claim on update %s lapsed while answering (event loop "
                    "stalled for more than %.1fs): another instance may answer it too",
                    update_id,
                    self.claim_seconds,
                )
                return

    async def answered(self, update_id: int) -> None:
        try:
            await self._eval(MARK_ANSWERED, self._keys(update_id), self.token, update_id, self.ttl)
        except Exception as err:
            logger.warning(
                "telegram: could not mark update %s answered (%s)", update_id, type(err).__name__
            )

    async def orphans(self) -> List[Tuple[int, str]]:
        found = await self._eval(ORPHANS, (self.pending_key,), self.claim_prefix, self.prefix)
        return [
            (int(found[i]), found[i + 1].decode("utf-8", "replace"))
            for i in range(0, len(found), 2)
        ]

    async def close(self) -> None:
        await self._redis.close()


def make_seen_updates(token: str | None, redis_url: str | None) -> SeenUpdates:
    """In memory, or shared through Redis (namespaced by a hash of the bot token)."""
    if not redis_url or not token:
        return SeenUpdates()
    return SharedSeenUpdates(redis_url, namespace=token)


def command_text(text: str, bot_username: str | None) -> str | None:
    """Natural text for a "/command" (``text`` itself when it isn't one).

    ``None`` for a command addressed to another bot ("/help@other_bot").
    """
    match = _COMMAND.match(text)
    if not match:
        return text
    name, target = match.group(1).lower(), match.group(2)
    if target and (not bot_username or target.lower() != bot_username.lower()):
        return None
    return COMMANDS.get(name, COMMANDS[HELP_COMMAND])


def _mention(bot_username: str) -> re.Pattern[str]:
    return re.compile(rf"@{re.escape(bot_username)}(?![A-Za-z0-9_])", re.IGNORECASE)


def _addresses_bot(message: Message, me: User | None) -> bool:
    if me is None:
        return False
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == me.id:
        return True
    text = message.text or message.caption or ""
    return bool(me.username and _mention(me.username).search(text))


def _strip_mention(text: str, me: User | None) -> str:
    if me is not None and me.username:
        text = _mention(me.username).sub(" ", text)
    return " ".join(text.split())


def interpret(update: Update, me: User | None) -> Incoming | None:
    """What to do with ``update`` (``None``: nothing). ``me`` is the bot's own user (getMe)."""
    if update.callback_query is not None:
        query = update.callback_query
        if query.message is None:  # inline-mode button: no chat to answer in
            return Incoming("ack", 0, callback_id=query.id)
        return Incoming(
            "callback", query.message.chat.id, text=query.data or "", callback_id=query.id
        )

    message = update.message
    if message is None or (message.from_user is not None and message.from_user.is_bot):
        return None  # edits, channel posts, member updates, other bots: not questions
    if message.chat.type == ChatType.CHANNEL:
        return None
    in_group = message.chat.type in _GROUP_TYPES
    if in_group and not _addresses_bot(message, me):
        return None
    reply_to = message.message_id if in_group else None

    if message.text is None:
        if message.effective_attachment is None:
            return None  # service message (someone joined, pinned, …)
        return Incoming("non_text", message.chat.id, reply_to_message_id=reply_to)

    text = _strip_mention(message.text, me)
    natural = command_text(text, me.username if me else None) if text else COMMANDS["start"]
    if natural is None:
        return None
    return Incoming("text", message.chat.id, text=natural, reply_to_message_id=reply_to)
