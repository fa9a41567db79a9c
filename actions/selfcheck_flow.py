"""What the self-check asks, in which order, and how an answer is recorded (pure functions).

The questions come from knowledge/indicators.yml: the common checks, then the
direction's qualitative checks (yes/no), then its quantitative indicators.
Answers live in one dict slot, ``selfcheck_answers``: item id → recorded answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from actions.parsing import clean, is_skip, parse_amount, parse_yes_no
from bot.answer.replies import render_message
from bot.kb.indicators import Threshold
from bot.kb.models import KnowledgeBase

# value of a slot the applicant chose not to answer (only 市州 may be skipped); never shown
SKIPPED = "跳过"
MAX_FAILURES = 2  # after this many unusable answers the question is explained and 跳过 offered
KINDS = ("count", "money", "percent", "yes_no")  # messages.yml: selfcheck_hint_<kind>


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
        Item(
            c.id,
            "yes_no",
            c.requirement,
            c.question,
            c.help,
            clause=c.clause,
            requirement=c.requirement,
        )
        for c in checks
    ]
    for ind in entry.indicators if entry else []:
        if ind.kind == "yes_no":
            question = render_message(
                kb, "selfcheck_indicator_yes_no", dt.date.today(), name=ind.name
            )
        else:
            unit = (
                render_message(kb, "selfcheck_indicator_unit", dt.date.today(), unit=ind.unit)
                if ind.unit
                else ""
            )
            question = render_message(
                kb, "selfcheck_indicator_question", dt.date.today(), name=ind.name, unit_note=unit
            )
        items.append(
            Item(
                ind.id,
                ind.kind,
                ind.name,
                question,
                ind.help,
                unit=ind.unit,
                source=ind.source,
                threshold=ind.threshold,
            )
        )
    return items


def pending_items(
    kb: KnowledgeBase, direction_id: str | None, answers: Dict[str, Any] | None
) -> List[Item]:
    answers = answers or {}
    return [item for item in items_for(kb, direction_id) if item.id not in answers]


def hint(kb: KnowledgeBase, kind: str, today: Optional[dt.date] = None) -> str:
    """How to answer a question of ``kind`` (messages.yml: selfcheck_hint_<kind>)."""
    kind = kind if kind in KINDS else "yes_no"
    return render_message(kb, f"selfcheck_hint_{kind}", today or dt.date.today())


def question_text(
    kb: KnowledgeBase, item: Item, number: int, total: int, today: Optional[dt.date] = None
) -> str:
    today = today or dt.date.today()
    return render_message(
        kb,
        "selfcheck_question",
        today,
        number=str(number),
        total=str(total),
        question=item.question,
        hint=hint(kb, item.kind, today),
    )


def reask_text(
    kb: KnowledgeBase, item: Item, failures: int, said: str, today: Optional[dt.date] = None
) -> str:
    """A specific re-ask; from the second failure on, explain the question and offer 跳过."""
    today = today or dt.date.today()
    name = "selfcheck_reask_yes_no" if item.kind == "yes_no" else "selfcheck_reask_number"
    text = render_message(kb, name, today, said=clean(said)[:20], hint=hint(kb, item.kind, today))
    if failures >= MAX_FAILURES:
        explain = render_message(
            kb, "selfcheck_explain_answer", today, help=item.help or item.question
        )
        text += f"\n{explain}"
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
