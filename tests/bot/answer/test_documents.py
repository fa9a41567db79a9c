"""Policy documents named by number or title in any common writing (bot/answer/documents.py)."""

from __future__ import annotations

import pytest

from bot.answer.documents import documents_named, number_parts
from bot.answer.normalize import normalize

GUOBAN = "国办发〔2020〕26号"
FAGAI = "发改办高技〔2021〕46号"
XIANGZHENG = "湘政发〔2019〕13号"


@pytest.fixture(scope="module")
def documents(kb):
    return kb.notice.policy_basis.documents


@pytest.fixture(scope="module")
def background(kb):
    from bot.answer.routing import QuestionRouter

    return QuestionRouter(kb).background


def named(question, documents, background):
    return [d.number for d in documents_named(normalize(question), documents, background)]


@pytest.mark.parametrize(
    "question, expected",
    [
        ("湘政发〔2019〕13号是个什么文件", [XIANGZHENG]),
        ("湘政发[2019]13号", [XIANGZHENG]),
        ("湘政发（2019）13号讲的啥", [XIANGZHENG]),
        ("湘政发2019年13号", [XIANGZHENG]),
        ("國辦發〔2020〕26號是什麼", [GUOBAN]),
        ("国办发(2020)第26号", [GUOBAN]),
        ("2020年第26号文件", [GUOBAN]),
        ("46号文是哪个部门发的", [FAGAI]),
        ("发改办高技【2021】46号", [FAGAI]),
        ("打造双创升级版的那个文件", [XIANGZHENG]),
        ("抓好双创示范基地建设管理工作的通知是谁发的", [FAGAI]),
        ("26号文和13号文有什么关系", [GUOBAN, XIANGZHENG]),
        ("国家发改委关于抓好双创示范基地建设管理工作的通知，文号是？", [FAGAI]),
    ],
)
def test_documents_are_recognised(question, expected, documents, background):
    assert named(question, documents, background) == expected


@pytest.mark.parametrize(
    "question",
    [
        "11月13号截止吗",  # a day of the month
        "大众创业万众创新示范基地是什么",  # the notice's own title, not a policy document
        "截止时间是11月28号吗",
        "长沙能推荐4个吗",
        "国办发〔2020〕99号",  # not one of the notice's documents
        "双创示范基地有哪几个建设方向",  # words of a title that the notice uses everywhere
        # 发展改革委 is in a title, but also in the FAQ (the whole FAQ, not its first 300
        # characters, is the background)
        "湖南省发展改革委的办公地址在哪里？",
        "省发展改革委电话多少",
    ],
)
def test_other_numbers_are_not_documents(question, documents, background):
    assert named(question, documents, background) == []


def test_number_parts_of_every_document(documents):
    for document in documents:
        assert number_parts(document.number) is not None


def test_no_faq_question_but_the_policy_basis_ones_names_a_document(kb, documents, background):
    for entry in kb.faq:
        if entry.id == "policy_basis":
            continue
        for question in [entry.question, *entry.similar]:
            assert named(question, documents, background) == [], (entry.id, question)


def test_the_background_is_the_whole_notice_and_faq(kb, background):
    last_clause = [c for c in kb.clauses if c.clause != kb.notice.policy_basis.clause][-1]
    assert normalize(last_clause.text, limit=None)[-20:] in background
    assert normalize(kb.faq[-1].question) in background
