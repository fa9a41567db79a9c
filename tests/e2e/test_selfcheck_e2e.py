"""The guided self-check over HTTP against the real servers (assistant_url from
tests/e2e/conftest.py)."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.e2e.client import say, say_text

pytestmark = pytest.mark.e2e


def sender() -> str:
    return f"e2e-sc-{uuid.uuid4().hex[:8]}"


def converse(url: str, who: str, lines):
    return [say_text(url, who, line) for line in lines]


def test_university_full_path_with_faq_interruption_and_result_again(assistant_url):
    who = sender()
    replies = converse(
        assistant_url,
        who,
        [
            "我想自测一下能不能报",
            "我们是一所大学",
            "长沙",
            "是",
            "是的",
            "有",
            "截止时间是哪天？",
            "没有",
            "对",
            "约200人",
            "百分之十五",
            "三百万",
        ],
    )
    assert "申报主体" in replies[0]
    assert "市州" in replies[1]
    assert "创业就业" in replies[2] and "原则上" in replies[2]
    assert "第1/7题" in replies[3]
    assert (
        "11月28日" in replies[6] and "第3/7题" in replies[6]
    )  # answered, then the same question again
    result = replies[-1]
    for must in (
        "高校示范基地",
        "长沙市（推荐名额不超过4个",
        "与通知一致",
        "200人 → 需对照附件1",
        "15% → 需对照附件1",
        "300万元 → 需对照附件1",
        "推进社会服务领域运用“互联网平台+创业单元”",
        "→ 未达标",
        "附件2",
        "附件3",
        "附件4",
        "一式两份",
        "hnfgwhzc@126.com",
        "长沙市发展改革委",
        "不是官方认定",
    ):
        assert must in result, must
    code = re.search(r"ZC-[0-9A-F]{4}", result).group(0)
    again = say_text(assistant_url, who, f"查看自测结果 {code}")
    assert code in again and "200人" in again
    assert all(len(m.encode("utf-8")) <= 2000 for m in say(assistant_url, who, "再看一下自测结果"))


def test_enterprise_switches_direction_with_warning(assistant_url):
    replies = converse(
        assistant_url,
        sender(),
        ["自测", "民营公司", "湘西州", "我们想报精益创业", "是", "有", "是", "对"],
    )
    assert "融通创新" in replies[2]
    assert "⚠️" in replies[3] and "原则上" in replies[3] and "第1/4题" in replies[3]
    assert (
        "湘西土家族苗族自治州（推荐名额不超过2个" in replies[-1] and "与通知不一致" in replies[-1]
    )


def test_institute_default_direction(assistant_url):
    replies = converse(
        assistant_url, sender(), ["自测", "研究院", "株洲", "是", "是", "是", "是", "是"]
    )
    assert "精益创业" in replies[2]
    assert (
        "科研院所示范基地" in replies[-1]
        and "株洲市（推荐名额不超过3个" in replies[-1]
        and "达标：4项" in replies[-1]
    )


def test_region_chooses_by_number_skips_and_restarts(assistant_url):
    who = sender()
    replies = converse(
        assistant_url, who, ["自测", "高新区", "火星", "还是不知道", "跳过", "4", "不知道", "跳过"]
    )
    assert "例如" in replies[2]
    assert "跳过" in replies[3]  # second failure: explained, 跳过 offered
    assert "1. 创业就业" in replies[4]
    assert "第1/3题" in replies[5]
    assert "第2/3题" in replies[7]
    restarted = say_text(assistant_url, who, "重新开始")
    assert "重新开始" in restarted and "申报主体" in restarted
    replies = converse(assistant_url, who, ["经开区", "岳阳", "全球化创业", "是", "没有", "跳过"])
    assert (
        "区域示范基地" in replies[-1]
        and "岳阳市（推荐名额不超过2个" in replies[-1]
        and "未回答：1项" in replies[-1]
    )


def test_exit_then_questions_work_again(assistant_url):
    who = sender()
    replies = converse(assistant_url, who, ["自测", "大学", "不测了", "材料交到哪里"])
    assert "已退出自测" in replies[2]
    assert "银杏路6号" in replies[3]


def test_asking_for_the_self_check_while_in_it_goes_on_with_it(assistant_url):
    """The form refuses the message and no rule follows: without going back to the form,
    Rasa repeated the fallback ten times, then stopped answering the conversation."""
    who = sender()
    replies = converse(
        assistant_url, who, ["我想自测一下能不能申报", "有没有自评工具", "企业", "长沙"]
    )
    assert "申报主体属于哪一类" in replies[1] and "没有把握" not in replies[1]
    assert "市州" in replies[2]
    assert "融通创新" in replies[3]
    assert len(say(assistant_url, who, "有没有自评工具")) == 1
    assert "0731-89991015" not in say_text(assistant_url, who, "是")


def test_changed_mind_mid_way(assistant_url):
    replies = converse(
        assistant_url, sender(), ["自测", "研究院", "株洲", "是", "不对，我们是企业", "是"]
    )
    assert "主体类型改为企业" in replies[4] and "融通创新" in replies[4]
    assert "第1/4题" in replies[5]
