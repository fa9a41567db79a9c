"""The written self-check result (pure functions): verdicts, checklist, next step, WeChat-sized
parts."""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

from actions.selfcheck_flow import SKIPPED, Item, items_for
from bot.answer.replies import render_message
from bot.kb.models import KnowledgeBase

MAX_BYTES = 2000  # a WeChat customer-service text message
# verdicts (messages.yml: selfcheck_verdict_<verdict>)
MEETS, BELOW, COMPARE, UNANSWERED = "meets", "below", "compare", "unanswered"
OPERATORS = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}
OP_NAMES = {">=": "ge", ">": "gt", "<=": "le", "<": "lt", "==": "eq"}  # selfcheck_op_<name>


@dataclass(frozen=True)
class SelfcheckState:
    applicant_type: str | None
    city: str | None
    direction: str | None
    answers: Dict[str, Dict[str, Any]]


def reference_code(seed: str) -> str:
    return "ZC-" + hashlib.sha1(seed.encode("utf-8")).hexdigest()[:4].upper()


def _number(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e15 else str(value)


def verdict(item: Item, answer: Dict[str, Any] | None) -> Tuple[str, str]:
    """(verdict, what the applicant said) for one question; a yes/no answer is said as
    "yes"/"no"."""
    if not answer or answer.get("skipped") or answer.get("value") is None:
        return UNANSWERED, ""
    value = answer["value"]
    if item.kind == "yes_no":
        return (MEETS, "yes") if value else (BELOW, "no")
    said = f"{_number(value)}{item.unit or ''}"
    threshold = item.threshold
    if threshold is None or threshold.op not in OPERATORS:
        return COMPARE, said
    passed = OPERATORS[threshold.op](float(value), threshold.value)
    return (MEETS if passed else BELOW), said


class _Words:
    """messages.yml sentences for one result, rendered for one day."""

    def __init__(self, kb: KnowledgeBase, today: dt.date):
        self.kb, self.today = kb, today

    def __call__(self, name: str, **values: str) -> str:
        return render_message(self.kb, f"selfcheck_{name}", self.today, **values)

    def verdict(self, result: str) -> str:
        return self(f"verdict_{result}")


def _answer_line(say: _Words, number: int, item: Item, answer: Dict[str, Any] | None) -> str:
    result, said = verdict(item, answer)
    word = say.verdict(result)
    if result == UNANSWERED:
        return say("line_unanswered", number=str(number), title=item.title, verdict=word)
    if item.kind == "yes_no":
        note = say("clause_note", clause=item.clause) if item.clause else ""
        return say(
            "line_check",
            number=str(number),
            title=item.title,
            clause_note=note,
            said=say(f"said_{said}"),
            verdict=word,
        )
    line = say("line_indicator", number=str(number), title=item.title, said=said, verdict=word)
    threshold = item.threshold
    if threshold is not None:
        op = say(f"op_{OP_NAMES[threshold.op]}") if threshold.op in OP_NAMES else threshold.op
        line += say(
            "threshold_note",
            op=op,
            value=_number(threshold.value),
            unit=item.unit or "",
            source=threshold.source,
        )
    elif result == COMPARE:
        line += say("no_threshold_note")
    return line


def _profile(kb: KnowledgeBase, say: _Words, state: SelfcheckState, code: str) -> List[str]:
    kind = kb.applicant_type(state.applicant_type)
    direction = kb.direction(state.direction)
    city = kb.city(state.city)
    lines = [say("result_title", code=code)]
    lines.append(say("profile_type", type=kind.name if kind else say("not_filled")))
    if city:
        lines.append(
            say(
                "profile_city",
                city=city.name,
                quota=str(city.quota),
                clause=kb.cities_file.quota_clause,
            )
        )
    else:
        lines.append(say("profile_no_city"))
    default = kb.direction(kind.default_direction) if kind else None
    if direction is None:
        lines.append(say("profile_no_direction"))
    elif kind and kind.default_direction is None:
        lines.append(say("profile_direction_free", direction=direction.name))
    elif default:
        name = (
            "profile_direction_default" if default.id == direction.id else "profile_direction_other"
        )
        lines.append(say(name, direction=direction.name, type=kind.name, default=default.name))
    return lines


def _answers(kb: KnowledgeBase, say: _Words, state: SelfcheckState) -> List[str]:
    items = items_for(kb, state.direction)
    lines = [say("answers_title")]
    counts: Dict[str, int] = {}
    for number, item in enumerate(items, 1):
        answer = state.answers.get(item.id)
        counts[verdict(item, answer)[0]] = counts.get(verdict(item, answer)[0], 0) + 1
        lines.append(_answer_line(say, number, item, answer))
    summary = "；".join(
        say("summary_item", verdict=say.verdict(name), count=str(counts[name]))
        for name in (MEETS, BELOW, COMPARE, UNANSWERED)
        if counts.get(name)
    )
    lines.insert(1, say("summary", total=str(len(items)), summary=summary or say("summary_none")))
    entry = kb.selfcheck_for(state.direction)
    if entry is not None and not entry.indicators:
        lines.append(say("no_indicators"))
    return lines


def _materials(kb: KnowledgeBase, say: _Words, state: SelfcheckState, code: str) -> List[str]:
    city = kb.city(state.city)
    city_name = city.name if city else say("unknown_city")
    return say("materials", city_name=city_name, code=code).splitlines()


def split_messages(lines: List[str], limit: int = MAX_BYTES) -> List[str]:
    """Pack lines into messages of at most ``limit`` UTF-8 bytes (a line longer than that is
    cut)."""
    messages: List[str] = []
    current = ""
    for line in lines:
        while len(line.encode("utf-8")) > limit:
            head = line.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
            if current:
                messages.append(current)
                current = ""
            messages.append(head)
            line = line[len(head) :]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode("utf-8")) > limit:
            messages.append(current)
            current = line
        else:
            current = candidate
    if current:
        messages.append(current)
    return messages


def compose_result(
    kb: KnowledgeBase, state: SelfcheckState, today: dt.date, code: str
) -> List[str]:
    """The result as WeChat-sized messages: profile, each answer, checklist, deadline, next step."""
    say = _Words(kb, today)
    blocks = [
        _profile(kb, say, state, code),
        _answers(kb, say, state),
        _materials(kb, say, state, code),
    ]
    messages: List[str] = []
    for block in blocks:
        for part in split_messages(block):
            joined = f"{messages[-1]}\n\n{part}" if messages else part
            if messages and len(joined.encode("utf-8")) <= MAX_BYTES:
                messages[-1] = joined
            else:
                messages.append(part)
    return messages


def city_label(city: str | None) -> str | None:
    return None if city in (None, SKIPPED) else city
