"""明文, 兼容 and 安全 modes: requests encrypted with wechatpy's own crypto, key rotation, bad
input."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest
from wechatpy.crypto import WeChatCrypto

from tests.support.wechat_fakes import (
    AES_KEY,
    APPID,
    OLD_AES_KEY,
    TOKEN,
    FakeBot,
    WeChatServer,
    make_channel,
    open_reply,
    payload,
    reply_content,
    serve_channel,
    wechat_signature,
)

pytestmark = pytest.mark.usefixtures("channel_settings")


def safe_channel(**kwargs):
    return make_channel(aes_key=AES_KEY, appid=APPID, **kwargs)


@pytest.mark.parametrize("compat", [False, True], ids=["safe", "compatible"])
async def test_encrypted_message_gets_an_encrypted_reply(compat):
    bot = FakeBot()
    async with serve_channel(safe_channel(), bot) as url:
        status, body, crypto = await WeChatServer(url).post_encrypted(
            payload("text.xml", content="申报截止时间", openid="o_enc"), compat=compat
        )
    assert status == 200 and "<Encrypt>" in body and "申报截止时间" not in body
    reply = open_reply(body, crypto)
    assert reply.findtext("Content") == "收到：申报截止时间"
    assert reply.findtext("ToUserName") == "o_enc"
    assert bot.texts == ["申报截止时间"]


@pytest.mark.parametrize(
    "extra",
    [
        {},  # 明文模式 request
        {"encrypt_type": "aes"},  # claims safe mode, carries no <Encrypt>
        {"encrypt_type": "aes", "msg_signature": "0" * 40},
        {"encrypt_type": "raw"},
    ],
    ids=["plain", "claims-aes", "forged-msg-signature", "raw"],
)
async def test_plaintext_is_refused_on_a_safe_mode_channel(extra):
    """The query signature does not cover the body: a signed URL must not carry any message."""
    bot = FakeBot()
    async with serve_channel(safe_channel(), bot) as url:
        wechat = WeChatServer(url)
        status, body = await wechat.post(
            payload("text.xml", content="你好"), query={**wechat.query(), **extra}
        )
        assert status == 403 and "收到" not in body
        status, body = await WeChatServer(url, aes_key=AES_KEY).post(
            payload("text.xml", content="加密的还行")
        )
        assert status == 200 and reply_content(body) == "收到：加密的还行"
    assert bot.texts == ["加密的还行"]


async def test_compatible_mode_reads_only_the_encrypted_part():
    """兼容模式 sends the plaintext beside <Encrypt>: a tampered plaintext part is ignored."""
    bot = FakeBot()
    async with serve_channel(safe_channel(), bot) as url:
        wechat = WeChatServer(url)
        crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
        query = wechat.query()
        envelope = crypto.encrypt_message(
            payload("text.xml", content="真的问题"), query["nonce"], query["timestamp"]
        )
        encrypted = ET.fromstring(envelope).findtext("Encrypt")
        compat = payload("text.xml", content="伪造的问题").replace(
            "</xml>", f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        )
        query.update(
            encrypt_type="aes",
            msg_signature=wechat_signature(TOKEN, query["timestamp"], query["nonce"], encrypted),
        )
        status, body = await wechat.post(compat, query=query)
    assert status == 200 and open_reply(body, crypto).findtext("Content") == "收到：真的问题"
    assert bot.texts == ["真的问题"]


async def test_previous_key_still_opens_messages_during_rotation():
    bot = FakeBot()
    async with serve_channel(safe_channel(previous_aes_key=OLD_AES_KEY), bot) as url:
        wechat = WeChatServer(url)
        status, body, old = await wechat.post_encrypted(
            payload("text.xml", content="旧密钥"), aes_key=OLD_AES_KEY
        )
        assert status == 200 and open_reply(body, old).findtext("Content") == "收到：旧密钥"
        status, body, new = await wechat.post_encrypted(payload("text.xml", content="新密钥"))
        assert status == 200 and open_reply(body, new).findtext("Content") == "收到：新密钥"


@pytest.mark.parametrize(
    "aes_key,appid",
    [
        (OLD_AES_KEY, APPID),  # a key the channel does not know
        (AES_KEY, "wx_someone_else"),  # right key, another account's AppID
    ],
    ids=["wrong-key", "wrong-appid"],
)
async def test_undecryptable_messages_get_a_clean_400(aes_key, appid, caplog):
    bot = FakeBot()
    async with serve_channel(safe_channel(), bot) as url:
        wechat = WeChatServer(url)
        status, body, _ = await wechat.post_encrypted(
            payload("text.xml", content="x"), aes_key=aes_key, appid=appid
        )
        assert status == 400 and "Traceback" not in body
        _, ok = await WeChatServer(url, aes_key=AES_KEY).post(payload("text.xml", content="还在吗"))
        assert reply_content(ok) == "收到：还在吗"
    assert bot.texts == ["还在吗"]
    assert any("could not decrypt" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "encrypt",
    [
        "not base64 at all!",
        base64.b64encode(b"0123456789abcdef" * 3).decode(),  # decrypts to garbage, bad padding
        base64.b64encode(b"short").decode(),  # not a whole AES block
    ],
)
async def test_garbage_ciphertext_gets_a_clean_400(encrypt):
    async with serve_channel(safe_channel(), FakeBot()) as url:
        wechat = WeChatServer(url)
        query = wechat.query()
        query.update(
            encrypt_type="aes",
            msg_signature=wechat_signature(TOKEN, query["timestamp"], query["nonce"], encrypt),
        )
        status, body = await wechat.post(
            f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>", query=query
        )
    assert status == 400 and "Traceback" not in body


async def test_forged_msg_signature_is_refused():
    bot = FakeBot()
    async with serve_channel(safe_channel(), bot) as url:
        wechat = WeChatServer(url)
        crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
        query = wechat.query()
        envelope = crypto.encrypt_message(
            payload("text.xml", content="x"), query["nonce"], query["timestamp"]
        )
        query.update(encrypt_type="aes", msg_signature="f" * 40)
        status, _ = await wechat.post(envelope, query=query)
    assert status == 403 and bot.messages == []


async def test_encrypted_message_without_a_configured_key_is_a_400():
    async with serve_channel(make_channel(), FakeBot()) as url:
        status, _, _ = await WeChatServer(url).post_encrypted(payload("text.xml", content="x"))
    assert status == 400


async def test_compatible_mode_without_a_key_reads_the_plaintext_part():
    """Switching modes: the account sends 兼容模式 before the key is set here (docs/wechat.md)."""
    bot = FakeBot()
    async with serve_channel(make_channel(), bot) as url:
        status, body, _ = await WeChatServer(url).post_encrypted(
            payload("text.xml", content="过渡期"), compat=True
        )
    assert status == 200 and reply_content(body) == "收到：过渡期" and bot.texts == ["过渡期"]


def test_a_malformed_aes_key_is_refused_at_start():
    with pytest.raises(ValueError, match="43"):
        make_channel(aes_key="too-short", appid=APPID)
