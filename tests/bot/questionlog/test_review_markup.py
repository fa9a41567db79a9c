"""review import: a new question is one plain line — no newline, no Rasa markup, no /intent."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rasa.shared.nlu.training_data.entities_parser import ENTITY_REGEX

from bot.cli import main as cli_main
from bot.kb.edit import clean_question
from bot.kb.load import load_knowledge
from tests.bot.questionlog.test_review import exported, fill  # noqa: F401  (fixture)


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("/deadline", "deadline"),
        ("／greet", "greet"),
        ("  //  /greet 你好", "greet 你好"),
        ("[长沙](city)能报几个", "长沙能报几个"),
        ("[长沙](city:长沙市)能报几个", "长沙能报几个"),
        ('[长沙]{"entity": "city", "value": "长沙市"}呢', "长沙呢"),
        ('{"intent": "deadline"}哪天截止', "哪天截止"),
        ("[[长沙](city)](city)", "长沙"),
        ("截止\n时间\r\n是\t哪天", "截止 时间 是 哪天"),
        ("a\u2028b\u2029c\x1bd\u200be", "a b c d e"),
        ("正常的问题？", "正常的问题？"),
        ("f(x) 和 [注]", "f(x) 和 ［注］"),
        ("[[长沙](city)", "［长沙"),
        ("[a][b]", "［a］［b］"),
        ("", ""),
    ],
)
def test_clean_question(raw, clean):
    assert clean_question(raw) == clean


@given(
    st.text(alphabet=st.sampled_from(list('[](){}"/ ／\n\r\t:长沙ab\x1b\u2028')), max_size=60)
    | st.text(max_size=60)
)
def test_clean_question_leaves_no_markup_or_line_breaks(text):
    cleaned = clean_question(text)
    assert "\n" not in cleaned and "\r" not in cleaned and "\x1b" not in cleaned
    assert not cleaned.startswith(("/", "／", " "))
    assert ENTITY_REGEX.search(cleaned) is None  # Rasa reads no entity annotation in it
    assert clean_question(cleaned) == cleaned


def test_clean_question_is_linear_on_hostile_input():
    nested = "[" * 20_000 + "a" + "](x)" * 20_000
    for hostile in ("[" * 100_000, "[a](" * 25_000, '{"' * 50_000, "/" * 100_000, nested):
        started = time.perf_counter()
        clean_question(hostile)
        assert time.perf_counter() - started < 1.0


def test_review_import_cleans_new_questions(exported, knowledge_copy):  # noqa: F811
    fill(
        exported,
        {
            2: {
                "处理方式": "加为相似问",
                "要加入的问法（每行一条）": "/deadline\n[截止](deadline)日期到底是几号啊\r\n",
            },
            4: {
                "处理方式": "新建问答",
                "问答ID": "makeup_materials",
                "新问答的标准问": "材料漏交了\n能补交吗？",
                "新问答的回答": "通知未规定补交办法，具体请咨询所在市州发展改革委。",
                "出处条款": "一",
                "要加入的问法（每行一条）": (
                    '[材料](city)交错了能不能补交\n{"intent": "greet"}可以补交材料吗\n'
                    "漏交的材料还能补吗\n补交材料找谁"
                ),
            },
        },
    )
    assert (
        cli_main(["review", "import", str(exported), "--knowledge-dir", str(knowledge_copy)]) == 0
    )
    kb = load_knowledge(knowledge_copy)
    assert {"deadline", "截止日期到底是几号啊"} <= set(kb.faq_entry("deadline").similar)
    new = kb.faq_entry("makeup_materials")
    assert new.question == "材料漏交了 能补交吗？"
    assert new.similar == [
        "材料交错了能不能补交",
        "可以补交材料吗",
        "漏交的材料还能补吗",
        "补交材料找谁",
    ]
