"""What the self-check asks, in which order, and how an answer is recorded (pure functions).

The questions come from knowledge/indicators.yml: the common checks, then the
direction's qualitative checks (yes/no), then its quantitative indicators.
Answers live in one dict slot, ``selfcheck_answers``: item id → recorded answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List

from actions.parsing import clean, is_skip, parse_amount, parse_yes_no
from bot.kb.loader import KnowledgeBase
from bot.kb.models import Threshold

SKIPPED = "跳过"  # value of a slot the applicant chose not to answer (only 市州 may be skipped)
MAX_FAILURES = 2  # after this many unusable answers the question is explained and 跳过 offered

EXAMPLES = {
    "count": "例如：120、约200人、两千",
    "money": "例如：300万元、三百万、1.5亿",
    "percent": "例如：15%、百分之十五",
    "yes_no": "请回答“是”或“否”（也可以说 有/没有）",
}


@dataclass(frozen=True)
class Item:
    id: str
    kind: str  # yes_no for the qualitative checks
    title: str  # short label in the result
    question: str
    help: str
    clause: str = ""
    unit: str | None = None
    requirement: str = ""
    source: str = ""
    threshold: Threshold | None = None


def items_for(kb: KnowledgeBase, direction_id: str | None) -> List[Item]:
    """Every question for ``direction_id``, in the order they are asked."""
    data = kb.indicators_file
    entry = kb.selfcheck_for(direction_id)
    checks = list(data.common_checks if data else []) + list(entry.checks if entry else [])
    items = [
        Item(c.id, "yes_no", c.requirement, c.question, c.help, clause=c.clause, requirement=c.requirement)
        for c in checks
    ]
    for ind in entry.indicators if entry else []:
        unit = f"（单位：{ind.unit}）" if ind.unit else ""
        question = f"“{ind.name}”是多少{unit}？" if ind.kind != "yes_no" else f"是否具备“{ind.name}”？"
        items.append(
            Item(ind.id, ind.kind, ind.name, question, ind.help, unit=ind.unit, source=ind.source, threshold=ind.threshold)
        )
    return items


def pending_items(kb: KnowledgeBase, direction_id: str | None, answers: Dict[str, Any] | None) -> List[Item]:
    answers = answers or {}
    return [item for item in items_for(kb, direction_id) if item.id not in answers]


def question_text(item: Item, number: int, total: int) -> str:
    hint = EXAMPLES["yes_no"] if item.kind == "yes_no" else EXAMPLES[item.kind]
    return f"第{number}/{total}题：{item.question}\n（{hint}；不清楚可回复“跳过”）"


def reask_text(item: Item, failures: int, said: str) -> str:
    """A specific re-ask; from the second failure on, explain the question and offer 跳过."""
    if item.kind == "yes_no":
        text = f"没能看懂“{clean(said)[:20]}”。{EXAMPLES['yes_no']}。"
    else:
        text = f"没能看懂“{clean(said)[:20]}”。请回复一个具体数字，{EXAMPLES[item.kind]}。"
    if failures >= MAX_FAILURES:
        text += f"\n说明：{item.help or item.question}\n如果暂时答不上来，可以回复“跳过”，结果中会标为“未回答”；回复“退出”结束自测。"
    return text


def record_answer(item: Item, text: str | None) -> Dict[str, Any] | None:
    """The stored answer, or None when ``text`` is not a usable answer to ``item``."""
    raw = clean(text)[:60]
    if is_skip(text):
        return {"value": None, "text": raw, "skipped": True}
    if item.kind == "yes_no":
        value: Any = parse_yes_no(text)
    else:
        value = parse_amount(text, item.kind, item.unit)
    if value is None:
        return None
    return {"value": value, "text": raw, "skipped": False}
