"""Privacy at the door: pseudonymous sender ids and masked personal data (channels/privacy.py, channels/rest.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from channels.privacy import (
    MASKED_EMAIL,
    MASKED_ID_CARD,
    MASKED_MOBILE,
    mask_personal_data,
    mask_text,
    protect,
    pseudonymize,
    pseudonymous_id,
)


def test_pseudonym_is_keyed_stable_and_per_channel():
    a = pseudonymous_id("secret", "wechat", "oABCD1234openid")
    assert a == pseudonymous_id("secret", "wechat", "oABCD1234openid")
    assert a != pseudonymous_id("other-secret", "wechat", "oABCD1234openid")
    assert a != pseudonymous_id("secret", "telegram", "oABCD1234openid")
    assert "oABCD1234openid" not in a and a.startswith("we_") and len(a) == 35


def test_pseudonymize_uses_the_configured_secret(settings_env):
    assert pseudonymize("rest", "13812345678") == pseudonymous_id("test-secret", "rest", "13812345678")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我的手机13812345678", f"我的手机{MASKED_MOBILE}"),
        ("电话 138-1234-5678 谢谢", f"电话 {MASKED_MOBILE} 谢谢"),
        ("+86 139 1234 5678", MASKED_MOBILE),
        ("8613912345678", MASKED_MOBILE),
        ("身份证430102199001011234", f"身份证{MASKED_ID_CARD}"),
        ("身份证43010219900101123X。", f"身份证{MASKED_ID_CARD}。"),
        ("老身份证430102900101123", f"老身份证{MASKED_ID_CARD}"),
        ("邮箱 Zhang.San@QQ.com", f"邮箱 {MASKED_EMAIL}"),
        ("手机13812345678，邮箱a@b.cn", f"手机{MASKED_MOBILE}，邮箱{MASKED_EMAIL}"),
    ],
)
def test_personal_data_is_masked(text, expected):
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "咨询电话0731-89991015",  # the commission's landline
        "2021年11月28日前报送",
        "投资2000万元以上",
        "12号窗口",
        "编号138123456789012",  # 15 digits: not a mobile number
        "文号湘发改高技〔2021〕888号",
    ],
)
def test_ordinary_numbers_are_not_masked(text):
    assert mask_personal_data(text) == text


def test_the_commissions_published_email_is_kept():
    assert mask_text("发到 hnfgwhzc@126.com 吗") == "发到 hnfgwhzc@126.com 吗"
    assert mask_text("发到 HNFGWHZC@126.com 吗") == "发到 HNFGWHZC@126.com 吗"
    assert mask_text("我的 someone@126.com") == f"我的 {MASKED_EMAIL}"


def test_protect_returns_pseudonym_and_masked_text(settings_env):
    sender, text = protect("wechat", "o_real_openid", "我是13812345678")
    assert sender == pseudonymous_id("test-secret", "wechat", "o_real_openid")
    assert text == f"我是{MASKED_MOBILE}"
    assert mask_text(None) == ""  # type: ignore[arg-type]


async def test_rest_channel_hands_rasa_only_protected_values(settings_env):
    from channels.rest import RestInput

    channel = RestInput()
    request = SimpleNamespace(json={
        "sender": "13812345678",
        "message": "我的身份证430102199001011234，电话13812345678",
        "metadata": {"channel_message_id": "client-42", "phone": "13812345678", "name": "张三"},
    })
    sender = await channel._extract_sender(request)
    assert sender == pseudonymous_id("test-secret", "rest", "13812345678")
    assert channel._extract_message(request) == f"我的身份证{MASKED_ID_CARD}，电话{MASKED_MOBILE}"
    assert channel.get_metadata(request) == {"channel_message_id": "client-42"}  # nothing else reaches the tracker
    assert channel.get_metadata(SimpleNamespace(json={"metadata": {"phone": "13812345678"}})) is None
    assert channel.get_metadata(SimpleNamespace(json={"metadata": "13812345678"})) is None
    long = SimpleNamespace(json={"message": "问" * 10_000})
    assert len(channel._extract_message(long)) == 4000


def test_no_personal_data_reaches_the_question_log(tmp_path, settings_env):
    """A masked message passing through the broker: the row holds the pseudonym and the mask only."""
    from rasa.shared.core.events import ActionExecuted, UserUttered

    from bot.questionlog import db
    from bot.questionlog.broker import QuestionLogBroker

    url = f"sqlite:///{tmp_path / 'q.db'}"
    sender, text = protect("rest", "13812345678", "联系我13812345678")
    broker = QuestionLogBroker(url=url)
    for event in (UserUttered(text, parse_data={"intent": {"name": "nlu_fallback", "confidence": 0.1}}, input_channel="rest"), ActionExecuted("action_listen")):
        broker.publish({"sender_id": sender, **event.as_dict()})
    assert broker.flush(10)
    broker.writer.stop(1)
    raw = (tmp_path / "q.db").read_bytes()
    assert b"13812345678" not in raw
    assert sender.encode() in raw and MASKED_MOBILE.encode() in raw
    db.dispose(url)
