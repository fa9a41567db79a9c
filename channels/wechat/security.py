"""Who may talk to the webhook: signatures, replay window and AES (安全模式)."""

from __future__ import annotations

import hmac
import logging
import re
import time
from typing import List, Tuple

from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from channels.wechat.messages import MalformedMessage, xml_fields

logger = logging.getLogger(__name__)


class SignatureError(Exception):
    """The request is not from WeChat (forged, missing or stale signature)."""


class DecryptError(Exception):
    """The encrypted body could not be opened (wrong key, bad padding, wrong AppID)."""


# What WeChat sends; anything else is refused before it reaches hashing or int().
_SIGNATURE = re.compile(r"[0-9a-fA-F]{40}", re.ASCII)
_TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)
_NONCE = re.compile(r"[0-9A-Za-z]{1,64}", re.ASCII)


def _check_format(name: str, value: str | None, pattern: re.Pattern[str]) -> str:
    if not value:
        raise SignatureError(f"missing {name}")
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise SignatureError(f"malformed {name}")  # never echo the value itself
    return value


def signatures_match(expected: str, given: str | None, name: str = "signature") -> bool:
    """Constant-time comparison of a well-formed (40 hex digits) signature."""
    given = _check_format(name, given, _SIGNATURE)
    return hmac.compare_digest(expected.encode("ascii"), given.lower().encode("ascii"))


def make_signature(*parts: str) -> str:
    """WeChat's signature: sha1 of the sorted, concatenated parts."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


class RequestVerifier:
    def __init__(self, token: str, replay_window_seconds: float = 300.0):
        if not token:
            raise ValueError("the WeChat channel needs a token (WECHAT_TOKEN)")
        self.token = token
        self.window = replay_window_seconds

    def verify(
        self,
        signature: str | None,
        timestamp: str | None,
        nonce: str | None,
        now: float | None = None,
    ) -> None:
        """Raise :class:`SignatureError` unless the query string was signed by WeChat just now.

        Missing or malformed parameters of any kind (not ASCII, too long, a timestamp that is
        not a number) are a :class:`SignatureError` too, never another exception.
        """
        timestamp = _check_format("timestamp", timestamp, _TIMESTAMP)
        nonce = _check_format("nonce", nonce, _NONCE)
        expected = make_signature(self.token, timestamp, nonce)
        if not signatures_match(expected, signature):
            raise SignatureError("signature does not match")
        age = (time.time() if now is None else now) - int(timestamp)
        if abs(age) > self.window:
            raise SignatureError(f"timestamp is {age:.0f}s off (window {self.window:.0f}s)")


class MessageCrypto:
    """安全/兼容模式: decrypts with the current or the previous EncodingAESKey."""

    def __init__(self, token: str, aes_key: str, appid: str, previous_aes_key: str | None = None):
        if not appid:
            raise ValueError("WECHAT_AES_KEY needs WECHAT_APPID as well")
        self._cryptos: List[WeChatCrypto] = []
        for key in (aes_key, previous_aes_key):
            if key:
                try:
                    self._cryptos.append(WeChatCrypto(token, key, appid))
                except Exception as err:  # wechatpy asserts on the key length
                    raise ValueError(
                        "an EncodingAESKey must be the 43 characters shown by "
                        "the official account's settings"
                    ) from err
        self.token = token

    def decrypt(
        self, body: bytes, msg_signature: str | None, timestamp: str, nonce: str
    ) -> Tuple[str, WeChatCrypto]:
        """(plain XML, the crypto that opened it) — reply with the same key.

        Only an ``<Encrypt>`` covered by a valid ``msg_signature`` is accepted: a plaintext
        body (no ``<Encrypt>``) is a :class:`SignatureError`, because the query signature does
        not cover the body. In 兼容模式 the plaintext fields beside ``<Encrypt>`` are ignored.
        """
        try:
            encrypted = xml_fields(body).get("Encrypt", "")
        except MalformedMessage as err:
            raise DecryptError(str(err)) from err
        if not encrypted:
            raise SignatureError("plaintext body refused: an EncodingAESKey is configured")
        expected = make_signature(self.token, timestamp, nonce, encrypted)
        if not signatures_match(expected, msg_signature, "msg_signature"):
            raise SignatureError("msg_signature does not match")
        failures = []
        for crypto in self._cryptos:
            try:
                return crypto.decrypt_message(
                    {"Encrypt": encrypted}, msg_signature, timestamp, nonce
                ), crypto
            except Exception as err:  # any failure of the cipher means "cannot open"
                failures.append(type(err).__name__)
        raise DecryptError("decryption failed: " + ", ".join(failures))

    @staticmethod
    def encrypt(crypto: WeChatCrypto, reply: str, nonce: str) -> str:
        return crypto.encrypt_message(reply, nonce, str(int(time.time())))
