"""The written result, indicators.yml checks, and pass/fail logic with fixture thresholds."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from actions.selfcheck_flow import items_for, question_text, record_answer
from actions.selfcheck_result import (
    BELOW,
    COMPARE,
    MAX_BYTES,
    MEETS,
    UNANSWERED,
    SelfcheckState,
    compose_result,
    reference_code,
    split_messages,
    verdict,
)
from bot.kb.load import check_directory, load_knowledge

BEFORE = dt.date(2021, 11, 20)
AFTER = dt.date(2026, 11, 26)


def edit_indicators(directory, change):
    path = directory / "indicators.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def indicator(data, item_id):
    for entry in data["directions"]:
        for ind in entry["indicators"]:
            if ind["id"] == item_id:
                return ind
    raise KeyError(item_id)


@pytest.fixture()
def kb_with_thresholds(knowledge_copy):
    def change(data):
        indicator(data, "cy_jobs")["threshold"] = {
            "op": ">=",
            "value": 100,
            "source": "测试用门槛（附件1第1项）",
        }
        indicator(data, "cy_new_firms_growth")["threshold"] = {
            "op": ">",
            "value": 10,
            "source": "测试用门槛",
        }

    edit_indicators(knowledge_copy, change)
    return load_knowledge(knowledge_copy)


def answers_for(kb, direction, text_by_kind):
    return {
        item.id: record_answer(item, text_by_kind[item.kind]) for item in items_for(kb, direction)
    }


def test_shipped_indicators_have_no_thresholds_and_public_names(kb):
    entry = kb.selfcheck_for("chuangye_jiuye")
    assert [i.name for i in entry.indicators] == [
        "近三年年均带动就业人数",
        "新企业主体年均增速",
        "年均双创投入",
    ]
    for direction in kb.indicators_file.directions:
        for ind in direction.indicators:
            assert ind.threshold is None and ind.source
    assert {d.direction for d in kb.indicators_file.directions} == {d.id for d in kb.directions}


@pytest.mark.parametrize(
    "item_id, text, expected",
    [
        ("cy_jobs", "120", MEETS),
        ("cy_jobs", "100", MEETS),
        ("cy_jobs", "约80人", BELOW),
        ("cy_jobs", "跳过", UNANSWERED),
        ("cy_new_firms_growth", "百分之十五", MEETS),
        ("cy_new_firms_growth", "10%", BELOW),
        ("cy_investment", "三百万", COMPARE),
    ],
)
def test_verdicts_with_fixture_thresholds(kb_with_thresholds, item_id, text, expected):
    item = next(i for i in items_for(kb_with_thresholds, "chuangye_jiuye") if i.id == item_id)
    assert verdict(item, record_answer(item, text))[0] == expected


def test_yes_no_verdicts(kb):
    item = items_for(kb, "chuangye_jiuye")[1]
    assert verdict(item, record_answer(item, "有"))[0] == MEETS
    assert verdict(item, record_answer(item, "没有"))[0] == BELOW
    assert verdict(item, None)[0] == UNANSWERED


def test_result_with_thresholds_names_the_source(kb_with_thresholds):
    kb = kb_with_thresholds
    answers = answers_for(
        kb, "chuangye_jiuye", {"yes_no": "是", "count": "80", "percent": "15%", "money": "300万"}
    )
    text = "\n".join(
        compose_result(
            kb, SelfcheckState("university", "长沙市", "chuangye_jiuye", answers), BEFORE, "ZC-TEST"
        )
    )
    assert (
        "近三年年均带动就业人数：80人 → 未达标（门槛：不低于100人，出处：测试用门槛（附件1第1项））"
        in text
    )
    assert "新企业主体年均增速：15% → 达标" in text
    assert "年均双创投入：300万元 → 需对照附件1" in text


@pytest.mark.parametrize(
    "kind, city, direction, quota, match",
    [
        ("university", "长沙市", "chuangye_jiuye", 4, "与通知一致"),
        ("enterprise", "湘西土家族苗族自治州", "rongtong_chuangxin", 2, "与通知一致"),
        ("institute", "株洲市", "jingyi_chuangye", 3, "与通知一致"),
        ("region", "岳阳市", "quanqiuhua_chuangye", 2, "自选"),
        ("enterprise", "湘潭市", "jingyi_chuangye", 3, "与通知不一致"),
    ],
)
def test_result_restates_everything(kb, kind, city, direction, quota, match):
    answers = answers_for(
        kb, direction, {"yes_no": "是", "count": "120", "percent": "15%", "money": "三百万"}
    )
    messages = compose_result(kb, SelfcheckState(kind, city, direction, answers), BEFORE, "ZC-AB12")
    text = "\n".join(messages)
    assert all(len(m.encode("utf-8")) <= MAX_BYTES for m in messages)
    assert f"{kb.applicant_type(kind).name}示范基地" in text
    assert f"{city}（推荐名额不超过{quota}个" in text
    assert kb.direction(direction).name in text and match in text
    for item in items_for(kb, direction):
        assert item.title in text
    facts = kb.notice
    for must in (
        "附件2",
        "附件3",
        "附件4",
        "推荐申报文件",
        "一式两份",
        facts.contacts.email,
        "距截止还有8天",
        f"{city}发展改革委",
        "不直接",
        "不是官方认定",
        "ZC-AB12",
    ):
        assert must in text, must
    assert facts.footer.website_phone not in text


def test_after_the_deadline_and_unanswered(kb):
    state = SelfcheckState("region", None, "chuangye_jiuye", {})
    text = "\n".join(compose_result(kb, state, AFTER, "ZC-0001"))
    assert "已截止" in text and "所在市州：未填写" in text
    assert f"未回答：{len(items_for(kb, 'chuangye_jiuye'))}项" in text


def test_materials_follow_the_knowledge(knowledge_copy):
    for name in ("notice.yml", "notice_text.yml"):  # the facts and the notice's own words agree
        path = knowledge_copy / name
        path.write_text(
            path.read_text(encoding="utf-8").replace("hnfgwhzc@126.com", "new@example.org"),
            encoding="utf-8",
        )
    kb = load_knowledge(knowledge_copy)
    text = "\n".join(
        compose_result(
            kb, SelfcheckState("university", "长沙市", "chuangye_jiuye", {}), BEFORE, "ZC-1"
        )
    )
    assert "new@example.org" in text and "hnfgwhzc" not in text


def test_split_messages_respects_wechat_limit():
    lines = [f"{i}. " + "很长的一行内容" * 30 for i in range(20)] + ["超" * 1000]
    parts = split_messages(lines)
    assert len(parts) > 1 and all(len(p.encode("utf-8")) <= MAX_BYTES for p in parts)
    assert "".join(parts).replace("\n", "") == "".join(lines)


def test_reference_code_is_short_and_stable():
    assert reference_code("a") == reference_code("a") != reference_code("b")
    assert reference_code("a").startswith("ZC-") and len(reference_code("a")) == 7


def test_question_text_numbers_and_examples(kb):
    item = items_for(kb, "chuangye_jiuye")[-1]
    text = question_text(kb, item, 7, 7)
    assert text.startswith("第7/7题") and "万元" in text and "跳过" in text


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda d: indicator(d, "cy_jobs").update(threshold={"op": ">=", "value": 100}),
            "必须写 source",
        ),
        (lambda d: indicator(d, "cy_jobs").update(kind="number"), "kind “number”不认识"),
        (lambda d: indicator(d, "cy_jobs").update(unit="万元"), "unit 应为"),
        (lambda d: indicator(d, "cy_investment").update(unit="人"), "unit 应为"),
        (
            lambda d: indicator(d, "cy_jobs").update(
                threshold={"op": "≥", "value": 1, "source": "附件1"}
            ),
            "op “≥”不认识",
        ),
        (
            lambda d: d["directions"][0].update(direction="chuangye"),
            "不是 directions.yml 中方向的 id",
        ),
        (lambda d: d["directions"].pop(), "缺少方向"),
        (lambda d: indicator(d, "cy_jobs").update(id="cy_groups"), "重复"),
        (
            lambda d: indicator(d, "cy_jobs").update(
                kind="yes_no", unit=None, threshold={"op": ">=", "value": 1, "source": "x"}
            ),
            "不设 threshold",
        ),
    ],
)
def test_kb_check_reports_indicator_mistakes(knowledge_copy, change, message):
    edit_indicators(knowledge_copy, change)
    problems = check_directory(knowledge_copy)
    assert any(message in str(p) for p in problems), [str(p) for p in problems]
    assert all(p.file == "indicators.yml" for p in problems)


def test_kb_check_accepts_a_sourced_threshold(knowledge_copy):
    edit_indicators(
        knowledge_copy,
        lambda d: indicator(d, "cy_jobs").update(
            threshold={"op": ">=", "value": 100, "source": "附件1第1项"}
        ),
    )
    assert check_directory(knowledge_copy) == []


def test_missing_indicators_file_is_reported(knowledge_copy):
    (knowledge_copy / "indicators.yml").unlink()
    assert any(p.file == "indicators.yml" for p in check_directory(knowledge_copy))
