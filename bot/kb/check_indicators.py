"""Cross-file rules for knowledge/indicators.yml (the self-check questions), worded for staff."""

from __future__ import annotations

from typing import Dict, List

from bot.kb.models import ID_PATTERN, KnowledgeBase
from bot.kb.problems import Problem

FILE = "indicators.yml"
KINDS = ("count", "money", "percent", "yes_no")
UNITS_BY_KIND: Dict[str, tuple] = {
    "count": ("人", "个", "家", "项", "件", "次", "户", "名"),
    "money": ("元", "万元", "亿元"),
    "percent": ("%",),
    "yes_no": (),
}
OPERATORS = (">=", ">", "<=", "<", "==")


def indicator_problems(kb: KnowledgeBase) -> List[Problem]:
    data = kb.indicators_file
    if data is None:
        return []
    problems: List[Problem] = []
    direction_ids = {d.id for d in kb.directions}
    seen: Dict[str, str] = {}

    def claim(item_id: str, where: str) -> None:
        if not ID_PATTERN.match(item_id):
            problems.append(
                Problem(
                    FILE, where, f"id “{item_id}”只能用小写英文字母、数字和下划线，并以字母开头"
                )
            )
        if item_id in seen:
            problems.append(Problem(FILE, where, f"id “{item_id}”与 {seen[item_id]} 重复"))
        seen.setdefault(item_id, where)

    for check in data.common_checks:
        claim(check.id, f"common_checks › {check.id}")
    listed = [entry.direction for entry in data.directions]
    for direction_id in sorted(direction_ids - set(listed)):
        problems.append(
            Problem(
                FILE,
                "directions",
                f"缺少方向 {direction_id} 的自测题目（没有题目也要写 checks: [] 和 indicators: "
                "[]）",
            )
        )
    for entry in data.directions:
        label = f"directions › {entry.direction}"
        if entry.direction not in direction_ids:
            problems.append(
                Problem(
                    FILE,
                    label,
                    f"“{entry.direction}”不是 directions.yml 中方向的 id（可选："
                    f"{'、'.join(sorted(direction_ids))}）",
                )
            )
        if listed.count(entry.direction) > 1:
            problems.append(Problem(FILE, label, "同一方向出现了两次"))
        for check in entry.checks:
            claim(check.id, f"{label} › {check.id}")
        for indicator in entry.indicators:
            where = f"{label} › {indicator.id}"
            claim(indicator.id, where)
            problems += _indicator_problems(indicator, where)
    return problems


def _indicator_problems(indicator, where: str) -> List[Problem]:
    problems: List[Problem] = []
    if indicator.kind not in KINDS:
        problems.append(
            Problem(FILE, where, f"kind “{indicator.kind}”不认识，只能是 {'、'.join(KINDS)}")
        )
        return problems
    units = UNITS_BY_KIND[indicator.kind]
    if indicator.kind == "yes_no" and indicator.unit:
        problems.append(Problem(FILE, where, "是/否指标（yes_no）不要写 unit"))
    elif units and indicator.unit not in units:
        problems.append(
            Problem(
                FILE,
                where,
                f"{indicator.kind} 指标的 unit 应为 {'、'.join(units)} "
                f"之一（现在是“{indicator.unit or '空'}”）",
            )
        )
    threshold = indicator.threshold
    if threshold is None:
        return problems
    if not (threshold.source or "").strip():
        problems.append(
            Problem(
                FILE,
                where,
                "threshold 必须写 source（门槛出处，如“附件1第3项”）；不知道出处的门槛请不要填",
            )
        )
    if threshold.op not in OPERATORS:
        problems.append(
            Problem(
                FILE, where, f"threshold 的 op “{threshold.op}”不认识，只能是 {' '.join(OPERATORS)}"
            )
        )
    if indicator.kind == "yes_no":
        problems.append(Problem(FILE, where, "是/否指标（yes_no）不设 threshold：回答“是”即达标"))
    elif threshold.value < 0:
        problems.append(Problem(FILE, where, "threshold 的 value 不能是负数"))
    elif indicator.kind == "percent" and threshold.value > 1000:
        problems.append(Problem(FILE, where, "百分比门槛按“15 表示 15%”填写，数值明显过大"))
    return problems
