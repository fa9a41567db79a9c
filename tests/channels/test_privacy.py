"""Privacy at the door (channels/privacy.py): pseudonymous sender ids, personal data masked in
the text as the NLU reads it, the notice's own contacts kept, linear time on any input."""

from __future__ import annotations

import re
import time

try:  # Python 3.11+
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # Python 3.10
    import sre_parse

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.answer.normalize import canonical, normalize
from channels import privacy
from channels.privacy import (
    MASKED_EMAIL,
    MASKED_ID_CARD,
    MASKED_LANDLINE,
    MASKED_MOBILE,
    mask_personal_data,
    mask_text,
    protect,
    pseudonymize,
    pseudonymous_id,
)
from tests.support.tiers import examples

PUBLIC = {
    "public_phones": ["0731-89991015", "0731-89990919"],
    "public_emails": ["hnfgwhzc@126.com"],
}


def mask(text: str) -> str:
    return mask_personal_data(text, **PUBLIC)


@pytest.fixture
def knowledge_settings(monkeypatch, tmp_path):
    """Settings with a pseudonymisation key and the project's knowledge/ (or a copy)."""
    from bot.settings import get_settings

    monkeypatch.setenv("QUESTION_LOG_SECRET", "test-secret")
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_pseudonym_is_keyed_stable_and_per_channel():
    a = pseudonymous_id("secret", "wechat", "oABCD1234openid")
    assert a == pseudonymous_id("secret", "wechat", "oABCD1234openid")
    assert a != pseudonymous_id("other-secret", "wechat", "oABCD1234openid")
    assert a != pseudonymous_id("secret", "telegram", "oABCD1234openid")
    assert "oABCD1234openid" not in a and a.startswith("we_") and len(a) == 35


def test_pseudonymize_uses_the_configured_secret(knowledge_settings):
    assert pseudonymize("rest", "13812345678") == pseudonymous_id(
        "test-secret", "rest", "13812345678"
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我的手机13812345678", f"我的手机{MASKED_MOBILE}"),
        ("电话 138-1234-5678 谢谢", f"电话 {MASKED_MOBILE} 谢谢"),
        ("+86 139 1234 5678", MASKED_MOBILE),
        ("(+86)139-1234-5678", MASKED_MOBILE),
        ("0086 13912345678", MASKED_MOBILE),
        ("8613912345678", MASKED_MOBILE),
        ("139.1234.5678", MASKED_MOBILE),
        ("１３９１２３４５６７８，谢谢", f"{MASKED_MOBILE}，谢谢"),
        ("139\u200b1234\u200b5678", MASKED_MOBILE),  # zero-width spaces between the groups
        ("139\u20601234\ufeff5678号", f"{MASKED_MOBILE}号"),  # word joiner, BOM
        ("139😀1234😀5678", MASKED_MOBILE),  # pictographs the NLU drops
        ("１３９ １２３４ ５６７８", MASKED_MOBILE),
        ("call13912345678now", f"call{MASKED_MOBILE}now"),
        ("身份证430102199001011234", f"身份证{MASKED_ID_CARD}"),
        ("身份证43010219900101123X。", f"身份证{MASKED_ID_CARD}。"),
        ("430102 19900307 123X", MASKED_ID_CARD),
        ("4301 0219 9003 0712 3x", MASKED_ID_CARD),
        ("ID43010219900307123xabc", f"ID{MASKED_ID_CARD}abc"),  # next to letters
        ("４３０１０２１９９００３０７１２３Ｘ", MASKED_ID_CARD),
        ("老身份证430102900101123", f"老身份证{MASKED_ID_CARD}"),
        ("座机0731-84567890", f"座机{MASKED_LANDLINE}"),
        ("(0731)84567890", MASKED_LANDLINE),
        ("0731 8456 7890", MASKED_LANDLINE),
        ("+86 731 84567890", MASKED_LANDLINE),
        ("010-62345678转", f"{MASKED_LANDLINE}转"),
        ("邮箱 Zhang.San@QQ.com", f"邮箱 {MASKED_EMAIL}"),
        ("手机13812345678，邮箱a@b.cn", f"手机{MASKED_MOBILE}，邮箱{MASKED_EMAIL}"),
        ("zhang＠qq．com", MASKED_EMAIL),
        ("zhang﹫qq.com", MASKED_EMAIL),
        ("请发到zhang@qq。com谢谢", f"请发到{MASKED_EMAIL}谢谢"),
        ("zhang @ 163.com 收", f"{MASKED_EMAIL} 收"),
        ("邮箱：张三@例子.中国", f"邮箱：{MASKED_EMAIL}"),
        ("li@公司.cn可以吗", f"{MASKED_EMAIL}可以吗"),
        ("a@mail.hunan.gov.cn。", f"{MASKED_EMAIL}。"),
    ],
)
def test_personal_data_is_masked(text, expected):
    assert mask(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "咨询电话0731-89991015",  # the commission's landline
        "0731 8999 1015",
        "０７３１－８９９９１０１５",
        "+86 731 89991015",
        "(0731)89990919",  # the web-site line of the footer
        "发到 hnfgwhzc@126.com 吗",
        "发到 HNFGWHZC＠126．COM 吗",
        "2021年11月28日前报送",
        "投资2000万元以上",
        "12号窗口",
        "编号138123456789012",  # 15 digits, no valid date: neither mobile nor ID
        "文号湘发改高技〔2021〕888号",
        "邮编410004",
        "第1、3、5条",
    ],
)
def test_public_contacts_and_ordinary_numbers_are_kept(text):
    assert mask(text) == text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a\x1b[31mb", "a[31mb"),  # ESC
        ("问\u202e题", "问题"),  # bidi override
        ("第一行\r\n第二行\t！", "第一行\n第二行 ！"),
        ("零\u200b宽", "零宽"),
    ],
)
def test_invisible_and_control_characters_are_dropped(text, expected):
    assert mask(text) == expected


# -- the public contacts come from knowledge/ -------------------------------------------


def test_published_contacts_are_read_from_knowledge(knowledge_settings):
    assert mask_text("发到 hnfgwhzc@126.com 吗") == "发到 hnfgwhzc@126.com 吗"
    assert mask_text("打 0731-89991015 或 0731-89990919") == "打 0731-89991015 或 0731-89990919"
    assert mask_text("我的 someone@126.com") == f"我的 {MASKED_EMAIL}"
    assert mask_text(None) == ""  # type: ignore[arg-type]


def test_a_changed_notice_changes_what_is_public(knowledge_settings, knowledge_copy):
    for name in ("notice.yml", "notice_text.yml"):  # the facts and the notice's own words agree
        path = knowledge_copy / name
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace("0731-89991015", "0731-85550000").replace(
                "hnfgwhzc@126.com", "office@hn.gov.cn"
            ),
            encoding="utf-8",
        )
    knowledge_settings.setenv("KNOWLEDGE_DIR", str(knowledge_copy))
    from bot.settings import get_settings

    get_settings.cache_clear()
    assert mask_text("0731-85550000 office@hn.gov.cn") == "0731-85550000 office@hn.gov.cn"
    assert mask_text("0731-89991015 hnfgwhzc@126.com") == f"{MASKED_LANDLINE} {MASKED_EMAIL}"


def test_unreadable_knowledge_masks_everything(knowledge_settings, tmp_path):
    knowledge_settings.setenv("KNOWLEDGE_DIR", str(tmp_path / "missing"))
    from bot.settings import get_settings

    get_settings.cache_clear()
    assert mask_text("0731-89991015") == MASKED_LANDLINE


def test_protect_masks_before_cutting(knowledge_settings):
    sender, text = protect("wechat", "o_real_openid", "我是13812345678")
    assert sender == pseudonymous_id("test-secret", "wechat", "o_real_openid")
    assert text == f"我是{MASKED_MOBILE}"
    # a number across the cut: masked whole, never 10 of its 11 digits
    long = "问" * (privacy.MAX_MESSAGE_CHARS - 5) + "13812345678" + "问" * 50
    _, cut = protect("rest", "x", long)
    assert len(cut) == privacy.MAX_MESSAGE_CHARS
    assert not re.search(r"\d", cut)


# -- generated writings ----------------------------------------------------------------

FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
SEPARATORS = ["", "", " ", "-", ".", "－", "—", " - ", "\u3000", *INVISIBLE]
CJK_TEXT = st.text(alphabet="请问我的号码是申报截止时间联系邮箱，。？！ ", max_size=8)
NO_DIGITS = st.text(
    alphabet=st.characters(blacklist_categories=("Nd", "No", "Cs"), blacklist_characters="+@＠﹫"),
    max_size=6,
).filter(
    # a Chinese numeral beside a number is one more digit of it (channels/privacy.py › mask_view)
    lambda s: (
        not re.search(r"[\d０-９⁰-⁹₀-₉]", canonical(s))
        and privacy.CHINESE_DIGITS.keys().isdisjoint(s)
    )
)


@st.composite
def written(draw, digits: str, groups) -> str:
    """``digits`` as a person might type them: groups, separators, full-width, invisible chars."""
    pieces, start = [], 0
    for size in groups:
        pieces.append(digits[start : start + size])
        start += size
    sep = draw(st.sampled_from(SEPARATORS))
    out = []
    for index, piece in enumerate(pieces):
        if index:
            out.append(sep if draw(st.booleans()) else draw(st.sampled_from(SEPARATORS)))
        out.append(piece)
    text = "".join(out)
    if draw(st.booleans()):
        text = "".join(FULL_WIDTH.get(c, c) if draw(st.booleans()) else c for c in text)
    return text


@st.composite
def mobiles(draw) -> str:
    number = (
        "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))
    )
    groups = draw(st.sampled_from([(11,), (3, 4, 4), (3, 8), (4, 4, 3), (2, 3, 3, 3), (1,) * 11]))
    body = draw(written(number, groups))
    prefix = draw(
        st.sampled_from(["", "", "+86", "+86 ", "0086", "0086-", "86", "(+86)", "＋８６ "])
    )
    return prefix + body


@st.composite
def id_numbers(draw) -> str:
    area = draw(st.sampled_from("123456789")) + draw(st.text("0123456789", min_size=5, max_size=5))
    year = draw(st.integers(1930, 2020))
    month, day = draw(st.integers(1, 12)), draw(st.integers(1, 28))
    seq = draw(st.text("0123456789", min_size=3, max_size=3))
    if draw(st.booleans()):
        number = f"{area}{year}{month:02d}{day:02d}{seq}" + draw(st.sampled_from("0123456789Xx"))
        groups = draw(
            st.sampled_from([(18,), (6, 8, 4), (6, 8, 3, 1), (4, 4, 4, 4, 2), (3, 3, 4, 4, 4)])
        )
    else:
        number = f"{area}{year % 100:02d}{month:02d}{day:02d}{seq}"
        groups = draw(st.sampled_from([(15,), (6, 6, 3), (3, 3, 3, 3, 3)]))
    text = draw(written(number, groups))
    return text if draw(st.booleans()) else text.replace("X", "Ｘ")


@st.composite
def landlines(draw) -> str:
    area = draw(st.sampled_from(["10", "20", "21", "731", "755", "371", "736"]))
    length = 8 if len(area) == 2 or draw(st.booleans()) else 7
    local = draw(st.sampled_from("23456789")) + draw(
        st.text("0123456789", min_size=length - 1, max_size=length - 1)
    )
    assume(f"0{area}-{local}" not in PUBLIC["public_phones"])
    form = draw(
        st.sampled_from(
            ["0{a}-{l}", "0{a}{l}", "(0{a}){l}", "0{a} {l}", "+86 {a} {l}", "+86-{a}-{l}"]
        )
    )
    text = form.format(a=area, l=local)
    if draw(st.booleans()):
        text = "".join(FULL_WIDTH.get(c, c) for c in text)
    return text


LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)


@st.composite
def emails(draw) -> str:
    local = draw(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC0123456789._-", min_size=1, max_size=20)
    )
    local = draw(st.sampled_from([local, "张三", "李四光"]))
    domain = draw(
        st.sampled_from(
            [
                [draw(LABEL), draw(st.sampled_from(["com", "cn", "net", "org"]))],
                [draw(LABEL), draw(LABEL), "com", "cn"],
                ["例子", "中国"],
                ["湖南大学", "cn"],
                [draw(LABEL), "公司"],
            ]
        )
    )
    at = draw(st.sampled_from(["@", "＠", "﹫", " @ "]))
    dot = draw(st.sampled_from([".", "．", "。"]))
    address = f"{local}{at}{dot.join(domain)}"
    assume(canonical(address).lower().replace("。", ".") != "hnfgwhzc@126.com")
    return address


def _leftover_digits(masked: str) -> str:
    return "".join(ch for ch in canonical(masked) if ch.isdigit())


@settings(max_examples=examples(300), deadline=None)
@given(before=CJK_TEXT, number=mobiles(), after=CJK_TEXT)
def test_generated_mobile_numbers_are_masked(before, number, after):
    masked = mask(before + number + after)
    assert MASKED_MOBILE in masked
    assert _leftover_digits(masked) == ""
    assert not re.search(r"\d", normalize(masked))  # what the question log's `normalized` holds


@settings(max_examples=examples(300), deadline=None)
@given(before=NO_DIGITS, number=id_numbers(), after=NO_DIGITS)
def test_generated_id_numbers_are_masked(before, number, after):
    masked = mask(before + number + after)
    assert MASKED_ID_CARD in masked
    assert _leftover_digits(masked) == ""


@settings(max_examples=examples(200), deadline=None)
@given(before=CJK_TEXT, number=landlines(), after=CJK_TEXT)
def test_generated_landlines_are_masked(before, number, after):
    masked = mask(before + number + after)
    assert MASKED_LANDLINE in masked
    assert _leftover_digits(masked) == ""


@settings(max_examples=examples(300), deadline=None)
@given(before=CJK_TEXT, address=emails(), after=CJK_TEXT)
def test_generated_emails_are_masked(before, address, after):
    masked = mask(before + address + " " + after)
    assert MASKED_EMAIL in masked
    rest = canonical(masked).replace(MASKED_EMAIL, "")
    assert not re.search(r"[A-Za-z0-9@]", rest), masked


@st.composite
def public_writings(draw) -> str:
    number = draw(st.sampled_from(["073189991015", "073189990919"]))
    if draw(st.booleans()):
        return draw(written(number, draw(st.sampled_from([(4, 8), (4, 4, 4), (12,)]))))
    text = "+86 " + number[1:4] + " " + number[4:]
    return "".join(FULL_WIDTH.get(c, c) if draw(st.booleans()) else c for c in text)


@settings(max_examples=examples(200), deadline=None)
@given(before=CJK_TEXT, number=public_writings(), after=CJK_TEXT)
def test_the_notices_phone_numbers_stay_readable_however_written(before, number, after):
    masked = mask(before + number + after)
    assert MASKED_LANDLINE not in masked and MASKED_MOBILE not in masked
    assert _leftover_digits(masked) == _leftover_digits(number)


@settings(max_examples=examples(500), deadline=None)
@given(st.text(max_size=200))
def test_any_text_masks_without_error_and_masking_is_stable(text):
    once = mask(text)
    assert mask(once) == once
    assert not any(ch in once for ch in "\x00\x1b\r\u200b\u202e\ufeff")


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.one_of(mobiles(), id_numbers(), landlines(), emails(), CJK_TEXT), max_size=6))
def test_mixed_messages_leave_no_personal_digits(parts):
    masked = mask("，".join(parts))
    assert mask(masked) == masked
    assert "@" not in canonical(masked).replace("hnfgwhzc@126.com", "")


# -- linear time -----------------------------------------------------------------------

N = 100_000
ADVERSARIAL = {
    "letters": "a" * N,
    "dotted letters": "a." * (N // 2),
    "no at": "a-b_c%d+" * (N // 8),
    "at signs": "a@" * (N // 2),
    "long domain": "x@" + "a." * (N // 2),
    "only at": "@" * N,
    "digits": "1" * N,
    "digit pairs": "13 " * (N // 3),
    "dashed digits": "1-" * (N // 2),
    "zero-width digits": "1\u200b" * (N // 2),
    "full-width digits": "１" * N,
    "country codes": "+86" * (N // 3),
    "area codes": "0731-" * (N // 5),
    "id prefixes": "430102 " * (N // 7),
    "almost ids": "4301021990030" * (N // 13),
    "chinese at": "张@" * (N // 2),
    "chinese dots": "例." * (N // 2),
    "chinese domain": "a@" + "例." * (N // 2),
    "brackets": "1(" * (N // 2),
    "mixed": "1a@.-。例 " * (N // 9),
    "numerals": "一" * N,
    "spaced numerals": "一 " * (N // 2),
    "dashed numerals": "三——" * (N // 3),
    "mixed numerals": "1一" * (N // 2),
    "hash signs": "a#" * (N // 2),
    "chinese at and dot": "a艾特b点" * (N // 6),
    "spaced at": "a at " * (N // 5),
    "qq cues": "QQ1" * (N // 3),
    "wechat cues": "微信a" * (N // 3),
    "wxid": "wxid_" * (N // 5),
}


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_masking_is_linear_on_100_kb_adversarial_input(name):
    text = ADVERSARIAL[name]
    started = time.process_time()
    masked = mask_personal_data(text)
    elapsed = time.process_time() - started
    assert elapsed < 3.0, f"{name}: {elapsed:.2f}s"  # a quadratic pattern takes minutes here
    assert len(masked) <= len(text) + 10


def _nested_repeats(items, inside: bool = False) -> list:
    """Repeats (``*``, ``+``, ``{m,n}``, ``?``) found inside another repeat of a parsed pattern."""
    found = []
    for op, av in items:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            if inside:
                found.append(av[:2])
            found += _nested_repeats(av[2], True)
        elif name == "SUBPATTERN":
            found += _nested_repeats(av[-1], inside)
        elif name == "BRANCH":
            for branch in av[1]:
                found += _nested_repeats(branch, inside)
        elif name in ("ASSERT", "ASSERT_NOT"):
            found += _nested_repeats(av[1], inside)
    return found


@pytest.mark.parametrize(
    "name",
    ["MOBILE", "LANDLINE", "ID_CARD", "EMAIL", "QQ", "WECHAT", "WECHAT_INTERNAL_ID", "LONG_NUMBER"],
)
def test_no_pattern_nests_quantifiers(name):
    """A repeat of something itself repeated is how backtracking turns quadratic or worse."""
    assert _nested_repeats(sre_parse.parse(getattr(privacy, name).pattern)) == []


def test_the_nesting_check_sees_nesting():
    assert _nested_repeats(sre_parse.parse(r"(?:a+b)+")) != []
    assert _nested_repeats(sre_parse.parse(r"(?:a|)[0-9]{3}")) == []
