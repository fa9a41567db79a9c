"""kb try: the reply the assistant would give, from a parse result (real knowledge, real model)."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from bot import settings as bot_settings
from bot.answer.decision import CLAUSE, DIALOGUE, FALLBACK, FAQ, SILENT
from bot.answer.routing import QuestionRouter
from bot.cli import main as cli_main
from bot.ops.preview import (
    Preview,
    differences,
    preview_parse,
    read_questions,
    thresholds_from_config,
)

DAY = dt.date(2021, 11, 20)


def parse(text, intent, confidence=0.99, ranking=None, entities=(), routing=None):
    """A parse result shaped like Agent.parse_message's."""
    top = {"name": intent, "confidence": confidence}
    result = {
        "text": text,
        "intent": top,
        "intent_ranking": ranking or [top],
        "entities": list(entities),
    }
    if routing:
        result["routing"] = routing
    return result


@pytest.fixture(scope="module")
def router(kb):
    return QuestionRouter(kb, thresholds_from_config())


CITY = {"entity": "city", "value": "长沙市", "extractor": "KnowledgeEntityExtractor"}


@pytest.mark.parametrize(
    "question, parsed, topic, mechanism, clause, words",
    [
        (
            "申报截止时间是什么时候？",
            parse("申报截止时间是什么时候?", "deadline"),
            "deadline",
            FAQ,
            "四、2",
            "距截止还有8天",
        ),
        (
            "长沙能推荐几个？",
            parse("长沙能推荐几个?", "quota", entities=[CITY]),
            "quota",
            FAQ,
            "三",
            "长沙市推荐不超过4个",
        ),
        (
            "长沙能推荐3个吗",
            parse("长沙能推荐3个吗", "quota", entities=[CITY]),
            "quota",
            FAQ,
            "三",
            "可以。长沙市",
        ),
        (
            "申报要收费吗",
            parse("申报要收费吗", "fee_like_topic", 0.43),
            "not_in_notice",
            SILENT,
            None,
            "是否收费",
        ),
        (
            "今天天气怎么样",
            parse("今天天气怎么样", "out_of_scope", 1.0),
            "out_of_scope",
            FALLBACK,
            None,
            "没有把握",
        ),
        ("你好", parse("你好", "greet"), "greet", DIALOGUE, None, "可以解答双创示范基地申报的问题"),
        ("人工", parse("人工", "human_handoff"), "human_handoff", DIALOGUE, None, "0731-89991015"),
        (
            "我想自测一下",
            parse("我想自测一下", "selfcheck"),
            "selfcheck",
            DIALOGUE,
            None,
            "python -m bot chat",
        ),
        (
            "What is the deadline?",
            parse("what is the deadline?", "deadline"),
            "deadline",
            FAQ,
            "四、2",
            "Here is what the notice says",
        ),
    ],
)
def test_preview_of_a_parse(kb, router, question, parsed, topic, mechanism, clause, words):
    preview = preview_parse(kb, question, parsed, router, DAY)
    assert (preview.topic, preview.mechanism, preview.clause) == (topic, mechanism, clause)
    assert words in preview.reply


def test_unsure_model_offers_topics_without_choosing(kb, router):
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.7},
        {"name": "deadline", "confidence": 0.3},
        {"name": "copies", "confidence": 0.2},
    ]
    question = "纸质的那个时候"  # both topics fit (a word of each): both are offered
    preview = preview_parse(
        kb, question, parse(question, "nlu_fallback", 0.7, ranking), router, DAY
    )
    assert preview.mechanism == FALLBACK and preview.suggestions == (
        "申报截止时间是什么时候？",
        "纸质材料要交几份？",
    )


def test_a_routed_parse_is_routed_again_with_the_knowledge_under_test(kb, router, knowledge_copy):
    routed = parse(
        "申报要收费吗",
        "not_in_notice",
        1.0,
        entities=[
            {"entity": "silent_topic", "value": "fee", "extractor": "QuestionRouterComponent"}
        ],
        routing={
            "mechanism": "silent_topic",
            "model_intent": {"name": "copies", "confidence": 0.43},
        },
    )
    preview = preview_parse(kb, "申报要收费吗", routed, router, DAY)
    assert (preview.mechanism, preview.route, preview.confidence) == (SILENT, "silent_topic", 0.43)


def test_a_clause_answer_quotes_the_notice(kb, router):
    preview = preview_parse(
        kb, "工匠精神有什么要求", parse("工匠精神有什么要求", "nlu_fallback", 0.3), router, DAY
    )
    assert preview.mechanism == CLAUSE and preview.clause and "工匠精神" in preview.reply


@pytest.mark.parametrize(
    "old, expected",
    [
        (Preview("q", "deadline", 1.0, FAQ, None, "四、2", "a"), []),
        (Preview("q", "deadline", 1.0, FAQ, None, "四、2", "b"), ["回答文字不同"]),
        (
            Preview("q", "copies", 1.0, FAQ, None, "四、1", "a"),
            ["答法从 FAQ·copies 变为 FAQ·deadline", "出处从 四、1 变为 四、2"],
        ),
        (
            Preview("q", "nlu_fallback", 0.2, FALLBACK, None, None, "a", ("x",)),
            [
                "答法从 兜底·nlu_fallback 变为 FAQ·deadline",
                "出处从 无 变为 四、2",
                "供选择的问题不同",
            ],
        ),
    ],
)
def test_differences(old, expected):
    assert differences(Preview("q", "deadline", 1.0, FAQ, None, "四、2", "a"), old) == expected


def test_read_questions(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text("\ufeff# 注释\n截止时间\n\n  材料交到哪  \n", encoding="utf-8")
    assert read_questions(["你好", " "], path) == ["你好", "截止时间", "材料交到哪"]


def test_thresholds_are_those_of_config_yml():
    thresholds = thresholds_from_config()
    assert (thresholds.fallback, thresholds.trust_model, thresholds.clause_score) == (0.5, 0.9, 4.0)


def test_cli_without_questions_says_how(capsys):
    assert cli_main(["kb", "try"]) == 1
    assert "请给出要试的问题" in capsys.readouterr().err


def test_kb_try_with_the_trained_model_flags_an_edited_answer(
    trained_model, knowledge_copy, tmp_path, monkeypatch, capsys
):
    """The real model (`make test` trains it first): a changed answer is flagged by --compare."""
    old = tmp_path / "old"
    shutil.copytree(knowledge_copy, old)
    faq = knowledge_copy / "faq.yml"
    faq.write_text(
        faq.read_text(encoding="utf-8").replace(
            "报至{submission_window}，地址", "报至{submission_window}（请提前预约），地址", 1
        ),
        encoding="utf-8",
    )
    questions = tmp_path / "questions.txt"
    questions.write_text("申报截止时间是什么时候？\n申报材料交到哪里？\n", encoding="utf-8")
    monkeypatch.setenv("KNOWLEDGE_DIR", str(knowledge_copy))
    monkeypatch.setenv("BOT_TODAY", "2021-11-20")
    bot_settings.get_settings.cache_clear()
    try:
        assert (
            cli_main(
                [
                    "kb",
                    "try",
                    "--file",
                    str(questions),
                    "--compare",
                    str(old),
                    "--model",
                    str(trained_model),
                ]
            )
            == 0
        )
    finally:
        bot_settings.get_settings.cache_clear()
    out = capsys.readouterr().out
    assert "主题：deadline｜机制：FAQ" in out and "主题：submission_address｜机制：FAQ" in out
    assert "（请提前预约）" in out and out.count("⚠ 与对比版本不同：回答文字不同") == 1
    assert "共 2 个问题，1 个的回答与" in out


def test_kb_try_asks_the_running_assistant_and_prints_only_answers(
    knowledge_copy, monkeypatch, capfd
):
    """With the assistant running (here its NLU's stand-in), no model is loaded: about a
    second, and nothing on the terminal but the answers (no warnings, no loading notes)."""
    import time

    from tests.support.fake_rasa_parse import serving

    with serving("try-token") as url:
        monkeypatch.setenv("PORT", url.rsplit(":", 1)[1])
        monkeypatch.setenv("RASA_API_TOKEN", "try-token")
        monkeypatch.setenv("KNOWLEDGE_DIR", str(knowledge_copy))
        monkeypatch.setenv("BOT_TODAY", "2021-11-20")
        bot_settings.get_settings.cache_clear()
        try:
            started = time.monotonic()
            assert cli_main(["kb", "try", "申报截止时间是什么时候？", "现场有停车位吗"]) == 0
            seconds = time.monotonic() - started
        finally:
            bot_settings.get_settings.cache_clear()
    out, err = capfd.readouterr()
    assert err == ""
    assert "主题：deadline｜机制：FAQ" in out and "出处：四、2" in out
    assert "主题：submission_address" in out
    assert seconds < 5.0  # ≈ 0.1 s here once jieba is loaded; the model would take 30 s


def test_the_server_parser_says_when_the_assistant_is_not_there():
    from bot.ops.preview import ParserUnavailable, ServerParser
    from tests.support.fake_rasa_parse import serving

    with serving("right") as url:
        assert ServerParser(url, "right").parse("截止时间")["intent"]["name"] == "deadline"
        with pytest.raises(ParserUnavailable, match="401"):
            ServerParser(url, "wrong").parse("截止时间")
    with pytest.raises(ParserUnavailable):
        ServerParser(url, "right", timeout=1).parse("截止时间")
