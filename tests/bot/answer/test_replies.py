"""Replies composed from the knowledge base (bot/answer/replies.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.answer.normalize import normalize
from bot.answer.replies import (
    clause_reply,
    faq_reply,
    follow_up_topic,
    not_in_notice_reply,
    render_message,
)

TODAY = dt.date(2021, 11, 20)
PHONE = "0731-89991015"


def test_not_in_notice_names_the_topic_and_gives_the_contacts(kb):
    reply = not_in_notice_reply(kb, "申报要缴费吗", {"silent_topic": ["fee"]}, TODAY)
    assert "申报是否收费" in reply.text and "通知中没有" in reply.text and PHONE in reply.text
    assert reply.topic == "not_in_notice"
    for neighbour in ("银杏路", "11月28日", "一式两份"):
        assert neighbour not in reply.text


@pytest.mark.parametrize(
    "terms, shown, hidden",
    [
        (["家属"], "“家属”", None),
        (["x" * 3], "您问的这件事", "xxx"),  # only Chinese words are repeated back
        (["一二三四五六七八九"], "您问的这件事", "一二三四五六七八九"),  # nor a long run
    ],
)
def test_unknown_terms_are_echoed_only_when_safe(kb, terms, shown, hidden):
    text = not_in_notice_reply(kb, "问题", {"unknown_term": terms}, TODAY).text
    assert shown in text and (hidden is None or hidden not in text)


def test_english_not_in_notice_is_bilingual(kb):
    text = not_in_notice_reply(kb, "Is there an application fee?", {}, TODAY).text
    assert "does not cover" in text and "通知中没有" in text and PHONE in text


def test_clause_reply_quotes_only_the_notices_words(kb):
    clause = kb.clause("二（三）")
    sentence = (
        "大力弘扬科学家精神、劳动精神和工匠精神，构建专业化、全链条的创新创业服务体系，"
        "增强持续创新创业能力，加快培育成长型初创企业、“隐形冠军”企业和“专精特新”中小企业。"
    )
    assert sentence in clause.text
    reply = clause_reply(kb, {"notice_clause": ["二（三）"], "notice_quote": [sentence]}, TODAY)
    assert sentence in reply.text and "二（三）" in reply.text and PHONE in reply.text
    forged = clause_reply(
        kb, {"notice_clause": ["二（三）"], "notice_quote": ["不收任何费用。"]}, TODAY
    )
    assert forged is None


@pytest.mark.parametrize(
    "question, cities, expected",
    [
        ("长株潭三个市加起来最多推荐几个", [], ["合计最多可推荐10个", "长沙市不超过4个"]),
        ("衡阳能推荐3个吗", ["衡阳市"], ["不能", "最多只能推荐2个"]),
        ("长沙推4个可以吗", ["长沙市"], ["可以", "最多可推荐4个"]),
    ],
)
def test_quota_reasoning(kb, question, cities, expected):
    reply = faq_reply(kb, "quota", normalize(question), {"city": cities}, TODAY)
    assert all(part in reply.text for part in expected), reply.text
    assert "依据" in reply.text and "三" in reply.text


@pytest.mark.parametrize(
    "question, first",
    [("11月30号交还来得及吗", "来不及"), ("11月25号交可以吗", "2021年11月25日在截止时间之前")],
)
def test_deadline_yes_no_comes_first(kb, question, first):
    reply = faq_reply(kb, "deadline", normalize(question), {}, TODAY)
    assert reply.text.startswith(first) and "2021年11月28日" in reply.text


def test_policy_document_gets_title_number_and_role(kb):
    reply = faq_reply(
        kb, "policy_basis", "13号文", {"policy_document": ["湘政发〔2019〕13号"]}, TODAY
    )
    assert "湖南省人民政府关于推动创新创业高质量发展打造“双创”升级版的实施意见" in reply.text
    assert "湘政发〔2019〕13号" in reply.text and "政策依据" in reply.text


def test_english_question_gets_a_lead_and_the_chinese_facts(kb):
    reply = faq_reply(kb, "electronic_copy", "which email should we use?", {}, TODAY)
    assert reply.text.startswith(kb.english.lead) and "hnfgwhzc@126.com" in reply.text


@pytest.mark.parametrize(
    "intent, last, question, topic",
    [
        ("electronic_copy", "deadline", "电子版也是这个时间吗", "deadline"),
        ("electronic_copy", "submission_address", "那邮箱呢", "electronic_copy"),
        ("electronic_copy", "deadline", "电子版发哪个邮箱", "electronic_copy"),
        ("deadline", None, "那截止时间呢", "deadline"),
    ],
)
def test_follow_up_about_an_attribute(intent, last, question, topic):
    assert follow_up_topic(intent, last, question) == topic


def test_identity_says_it_is_automatic(kb):
    text = render_message(kb, "identity", TODAY)
    assert "自动" in text and "不是真人" in text and PHONE in text


def test_footer_entries_answer_footer_questions(kb):
    office = faq_reply(kb, "commission_office", "省发改委地址", {}, TODAY).text
    website = faq_reply(kb, "website_support", "附件下载不了", {}, TODAY).text
    # the commission's own address first; the submission window named as what it is not
    assert (
        office.index("湘府西路8号")
        < office.index("不是申报材料的报送地点")
        < office.index("银杏路")
    )
    assert "0731-89990919" in website and PHONE in website
    for entry in kb.faq:
        if not entry.footer:
            assert "0731-89990919" not in faq_reply(kb, entry.id, entry.question, {}, TODAY).text
