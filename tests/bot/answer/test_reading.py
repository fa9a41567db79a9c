"""Reading the whole message (bot/answer/reading.py): which clauses ask, what is set apart."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.answer.compound import questions_in
from bot.answer.normalize import normalize
from bot.answer.reading import (
    ASIDE,
    ASK,
    CONDITION,
    COURTESY,
    MAX_QUESTIONS,
    PREAMBLE,
    asked_text,
    classify,
    read,
)
from bot.kb.load import load_knowledge

KB = load_knowledge()


def questions(text: str) -> list:
    return list(read(normalize(text), KB).questions)


@pytest.mark.parametrize(
    "clause, kind",
    [
        ("老师您好", COURTESY),
        ("麻烦老师百忙之中回复一下", COURTESY),
        ("万分感谢", COURTESY),
        ("不好意思这么晚打扰您", COURTESY),
        ("想问两个问题", PREAMBLE),
        ("简单问一句", PREAMBLE),
        ("我是邵阳经开区管委会的小刘", ASIDE),
        ("因为我们市里想早点定下来报哪几家", ASIDE),  # a reason, though it has 哪/几
        ("连门朝哪开都不知道", ASIDE),  # a figure of speech
        ("学校让我咨询", ASIDE),  # a request with nothing to ask
        ("园区申报的话", CONDITION),
        ("材料交到哪里", ASK),
        ("窗口星期六开不开", ASK),  # A不A
        ("想跟您确认下省里收材料的地点和窗口", ASK),
        ("编制提纲是干嘛用的", ASK),
    ],
)
def test_each_clause_is_sorted(clause, kind):
    assert classify(normalize(clause)) == kind


@pytest.mark.parametrize(
    "text, expected",
    [
        # greetings, introductions, reasons and thanks are set apart
        (
            "老师您好，我是邵阳经开区管委会的小刘，领导交代下周要把材料送上去，"
            "想跟您确认下省里收材料的地点和窗口，麻烦了",
            ["想跟您确认下省里收材料的地点和窗口"],
        ),
        (
            "您好，我是衡阳一家企业的行政，老板让我问一下最迟哪天要交上去",
            ["最迟哪天要交上去"],
        ),
        # the 市州 / type of the introduction goes with a question that needs it
        ("你好，我们是益阳的一家公司，想问报什么方向", ["益阳、公司,想问报什么方向"]),
        # a story the question leans on stays with it
        ("我们12月3号才能把材料送过去，还来得及吗", ["我们12月3号才能把材料送过去,还来得及吗"]),
        (
            "通知里说要弘扬工匠精神，这个是在哪一部分提的",
            ["通知里说要弘扬工匠精神,这个是在哪一部分提的"],
        ),
        ("官网上的附件下载不下来，打哪个电话", ["官网上的附件下载不下来,打哪个电话"]),
        # several questions, one each
        (
            "纸质材料往哪送，电子版往哪发，有事打哪个电话",
            ["纸质材料往哪送", "电子版往哪发", "有事打哪个电话"],
        ),
        (
            "想问两个问题\n一是邵阳能推荐几家\n二是科研院所报什么方向",
            ["邵阳能推荐几家", "科研院所报什么方向"],
        ),
        (
            "How many paper copies are needed? And when is the deadline?",
            ["how many paper copies are needed", "when is the deadline"],
        ),
        # English: “for A and for B”, “the email and the phone number”, single words
        (
            "What are the directions for companies and for research institutes?",
            [
                "what are the directions for companies",
                "what are the directions for research institutes",
            ],
        ),
        (
            "What is the email address and the phone number for questions?",
            ["what is the email address", "what is the phone number for questions"],
        ),
        ("quota for Changsha and Yueyang?", ["quota for changsha", "quota for yueyang"]),
        ("Deadline, address, email?", ["the deadline", "the address", "the email"]),
        ("When was the notice published, and by whom?", ["when was the notice published,by whom"]),
        # a clause that only points back belongs to the question before it
        ("实施方案怎么写，有模板吗", ["实施方案怎么写,有模板吗"]),
        (
            "我想弄清楚我们企业是自己直接交到省里，还是要先报给市里",
            ["我想弄清楚我们企业是自己直接交到省里,还是要先报给市里"],
        ),
        # keyword lists
        ("邮箱 份数 联系人", ["邮箱", "份数", "联系人"]),
        ("截止？份数？邮箱？", ["截止", "份数", "邮箱"]),
        (
            "请问一下：1.截止时间 2.报送地点 3.要几份 4.电子邮箱",
            ["截止时间", "报送地点", "要几份", "电子邮箱"],
        ),
        ("常德 名额 企业 方向", ["常德名额", "企业方向"]),
        ("联系人/附件", ["联系人", "附件"]),
    ],
)
def test_messages_are_read_whole(text, expected):
    assert questions(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "申报截止时间是什么时候",
        "说错了，是衡阳",  # a correction: no question of its own, the context decides
        "那株洲呢",
        "企业，高校",
        "长沙株洲湘潭三个加起来呢",
        "hnfgwhzc@126.com这个邮箱是干什么用的",  # the e-mail's dot ends no clause
        "11.28还能交吗",
        "What about Changsha, Zhuzhou and Xiangtan combined?",  # asked together
        "我的电话是[手机号],截止时间?",  # a statement about oneself, then one question
        "你好",
    ],
)
def test_a_plain_message_is_left_as_it_is(text):
    assert questions(text) == [normalize(text)]


@pytest.mark.parametrize(
    "text, asked",
    [
        ("老师好，我是郴州高新区的，平时管食堂后勤，纸质的要准备几套", "纸质的要准备几套"),
        ("老师好，我现在在去长沙的路上，材料送到哪个地方？多谢", "材料送到哪个地方"),
        ("我们是株洲芦淞区一家电子公司，想确认株洲最多能推荐几家", "想确认株洲最多能推荐几家"),
    ],
)
def test_only_the_asking_clauses_can_name_the_subject(text, asked):
    assert asked_text(normalize(text), KB) == asked


def test_at_most_four_questions():
    text = "截止是哪天？交几份？邮箱是什么？电话多少？附件有哪些？方向有哪些？"
    assert len(questions(text)) == MAX_QUESTIONS
    assert len(questions_in(text, KB)) == MAX_QUESTIONS


@given(st.text(max_size=300))
def test_any_text_reads_into_a_bounded_list_of_non_empty_questions(text):
    found = read(normalize(text), KB).questions
    assert 1 <= len(found) <= MAX_QUESTIONS
    assert all(q.strip() for q in found) or found == (normalize(text),)
    parts = questions_in(text, KB)
    assert 1 <= len(parts) <= MAX_QUESTIONS


@given(
    st.lists(st.sampled_from(["您好", "谢谢", "麻烦了", "辛苦了", "老师好", "感谢"]), max_size=3)
)
def test_courtesy_around_a_question_never_changes_it(words):
    question = "纸质材料要交几份"
    text = "，".join([*words, question, *words])
    assert questions(text) == [question]
