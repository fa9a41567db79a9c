"""Who may talk to the webhook: signatures, replay window and AES (安全模式)."""

from __future__ import annotations

import hmac
import logging
import time
from typing import List, Tuple

from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

logger = logging.getLogger(__name__)


class SignatureError(Exception):
    """The request is not from WeChat (forged, missing or stale signature)."""


class DecryptError(Exception):
    """The encrypted body could not be opened (wrong key, bad padding, wrong AppID)."""


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

    def verify(self, signature: str | None, timestamp: str | None, nonce: str | None,
               now: float | None = None) -> None:
        """Raise :class:`SignatureError` unless the query string was signed by WeChat just now."""
        if not (signature and timestamp and nonce):
            raise SignatureError("missing signature, timestamp or nonce")
        expected = make_signature(self.token, timestamp, nonce)
        if not hmac.compare_digest(expected, signature.lower()):
            raise SignatureError("signature does not match")
        try:
            age = (time.time() if now is None else now) - int(timestamp)
        except ValueError as err:
            raise SignatureError("timestamp is not a number") from err
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
                    raise ValueError("an EncodingAESKey must be the 43 characters shown by "
                                     "the official account's settings") from err
        self.token = token

    def decrypt(self, body: bytes, msg_signature: str | None, timestamp: str,
                nonce: str) -> Tuple[str, WeChatCrypto]:
        """(plain XML, the crypto that opened it) — reply with the same key."""
        from channels.wechat_messages import MalformedMessage, xml_fields

        try:
            encrypted = xml_fields(body).get("Encrypt", "")
        except MalformedMessage as err:
            raise DecryptError(str(err)) from err
        if not encrypted:
            raise DecryptError("no <Encrypt> element")
        expected = make_signature(self.token, timestamp, nonce, encrypted)
        if not (msg_signature and hmac.compare_digest(expected, msg_signature.lower())):
            raise SignatureError("msg_signature does not match")
        failures = []
        for crypto in self._cryptos:
            try:
                return crypto.decrypt_message({"Encrypt": encrypted}, msg_signature, timestamp,
                                              nonce), crypto
            except Exception as err:  # any failure of the cipher means "cannot open"
                failures.append(type(err).__name__)
        raise DecryptError("decryption failed: " + ", ".join(failures))

    @staticmethod
    def encrypt(crypto: WeChatCrypto, reply: str, nonce: str) -> str:
        return crypto.encrypt_message(reply, nonce, str(int(time.time())))
