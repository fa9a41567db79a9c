"""Answers as applicants type them: numbers, percentages, money, yes/no, 市州, types, directions."""

from __future__ import annotations

import pytest

from actions.parsing import (
    is_correction,
    is_skip,
    parse_amount,
    parse_applicant_type,
    parse_city,
    parse_direction,
    parse_number,
    parse_percent,
    parse_yes_no,
)


@pytest.mark.parametrize(
    "text, value",
    [
        ("120", 120),
        ("１２０", 120),
        ("约200人", 200),
        ("大约200人", 200),
        ("200人左右", 200),
        ("2,000", 2000),
        ("2，000", 2000),
        ("两千", 2000),
        ("两千人", 2000),
        ("三百", 300),
        ("1.5万", 15000),
        ("一万二", 12000),
        ("一点五万", 15000),
        ("三百万", 3_000_000),
        ("2千", 2000),
        ("近三年平均120人", 120),
        ("2020年带动了350人", 350),
        ("十五", 15),
        ("0", 0),
        ("没有", 0),
        ("大概两百多人", 200),
        ("1.2亿", 120_000_000),
        ("每年 80 人", 80),
    ],
)
def test_numbers(text, value):
    assert parse_number(text).value == pytest.approx(value)


@pytest.mark.parametrize(
    "text", ["", "不知道", "几十个", "若干", "很多", "好多人", "不清楚", "abc"]
)
def test_not_numbers(text):
    assert parse_number(text) is None


@pytest.mark.parametrize(
    "text, value",
    [
        ("15%", 15),
        ("15％", 15),
        ("百分之十五", 15),
        ("百分之15", 15),
        ("12.5%", 12.5),
        ("增长了百分之二十", 20),
        ("8个百分点", 8),
        ("15", 15),
        ("约10%", 10),
    ],
)
def test_percent(text, value):
    assert parse_percent(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["不知道", "很多", "300万"])
def test_not_percent(text):
    assert parse_percent(text) is None


@pytest.mark.parametrize(
    "text, unit, value",
    [
        ("300", "万元", 300),
        ("300万", "万元", 300),
        ("三百万", "万元", 300),
        ("300万元", "万元", 300),
        ("1.5亿", "万元", 15000),
        ("5000元", "万元", 0.5),
        ("1.5万", "元", 15000),
        ("两千万", "万元", 2000),
        ("1.2亿元", "亿元", 1.2),
    ],
)
def test_money_in_the_indicator_unit(text, unit, value):
    assert parse_amount(text, "money", unit) == pytest.approx(value)


def test_counts_ignore_units():
    assert parse_amount("1.5万", "count", "人") == 15000
    assert parse_amount("百分之十五", "percent", "%") == 15


@pytest.mark.parametrize(
    "text",
    [
        "是",
        "是的",
        "有",
        "有的",
        "对",
        "对的",
        "符合",
        "基本符合",
        "具备",
        "已经编制好了",
        "已完成",
        "嗯",
        "可以",
        "当然有",
        "Y",
        "yes",
        "有，没问题",
        "没问题",
        "我们有",
        "好的",
        "肯定的",
    ],
)
def test_yes(text):
    assert parse_yes_no(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "没有",
        "没",
        "无",
        "否",
        "不是",
        "不符合",
        "不具备",
        "尚未",
        "还没有",
        "还没编制",
        "暂无",
        "暂时没有",
        "N",
        "no",
        "目前没有",
        "未开展",
    ],
)
def test_no(text):
    assert parse_yes_no(text) is False


@pytest.mark.parametrize("text", ["不知道", "不清楚", "不确定", "说不好", "正在做", "", "120"])
def test_unclear_yes_no(text):
    assert parse_yes_no(text) is None


@pytest.mark.parametrize("text", ["跳过", "这题跳过", "下一题", "不清楚，跳过", "先不答", "skip"])
def test_skip(text):
    assert is_skip(text)


@pytest.mark.parametrize("text", ["是", "120", "没有"])
def test_not_skip(text):
    assert not is_skip(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("大学", "university"),
        ("我们是一所大学", "university"),
        ("高职院校", "university"),
        ("研究院", "institute"),
        ("我们是省属科研院所", "institute"),
        ("高新区", "region"),
        ("经开区管委会", "region"),
        ("民营公司", "enterprise"),
        ("我们是一家国企", "enterprise"),
        ("企业", "enterprise"),
        ("区域", "region"),
        ("region", "region"),
        ("大学生", None),
        ("不知道", None),
        ("企业孵化园区", None),
    ],
)
def test_applicant_type(kb, text, expected):
    assert parse_applicant_type(kb, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("长沙", "长沙市"),
        ("长沙市", "长沙市"),
        ("我们在湘西州", "湘西土家族苗族自治州"),
        ("吉首", "湘西土家族苗族自治州"),
        ("株洲的", "株洲市"),
        ("張家界", "张家界市"),
        ("娄底市", "娄底市"),
        ("北京", None),
        ("长沙和株洲", None),
    ],
)
def test_city(kb, text, expected):
    assert parse_city(kb, text) == expected


@pytest.mark.parametrize(
    "text, default, expected",
    [
        ("融通创新", None, "rongtong_chuangxin"),
        ("全球化", None, "quanqiuhua_chuangye"),
        ("2", None, "rongtong_chuangxin"),
        ("第三个", None, "jingyi_chuangye"),
        ("选4", None, "quanqiuhua_chuangye"),
        ("是", "chuangye_jiuye", "chuangye_jiuye"),
        ("按默认的", "jingyi_chuangye", "jingyi_chuangye"),
        ("就按这个", "rongtong_chuangxin", "rongtong_chuangxin"),
        ("是", None, None),
        ("不要", "chuangye_jiuye", None),
        ("我想换成精益创业", "chuangye_jiuye", "jingyi_chuangye"),
        ("创业就业和融通创新", None, None),
    ],
)
def test_direction(kb, text, default, expected):
    assert parse_direction(kb, text, default) == expected


@pytest.mark.parametrize(
    "text, expected",
    [("不对，我们是企业", True), ("改成株洲", True), ("是", False), ("120", False)],
)
def test_correction(text, expected):
    assert is_correction(text) is expected
