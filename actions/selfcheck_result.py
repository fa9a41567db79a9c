"""The written self-check result (pure functions): verdicts, checklist, next step, WeChat-sized parts."""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

from actions.selfcheck_flow import SKIPPED, Item, items_for
from bot.kb.answers import source_note
from bot.kb.facts import deadline_status, render, static_facts
from bot.kb.loader import KnowledgeBase

MAX_BYTES = 2000  # a WeChat customer-service text message
MEETS, BELOW, COMPARE, UNANSWERED = "达标", "未达标", "需对照附件1", "未回答"
OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}
OP_WORDS = {">=": "不低于", ">": "高于", "<=": "不高于", "<": "低于", "==": "等于"}


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
    """(verdict, what the applicant said) for one question."""
    if not answer or answer.get("skipped") or answer.get("value") is None:
        return UNANSWERED, "未回答"
    value = answer["value"]
    if item.kind == "yes_no":
        return (MEETS, "是") if value else (BELOW, "否")
    said = f"{_number(value)}{item.unit or ''}"
    threshold = item.threshold
    if threshold is None or threshold.op not in OPERATORS:
        return COMPARE, said
    passed = OPERATORS[threshold.op](float(value), threshold.value)
    return (MEETS if passed else BELOW), said


def _answer_line(number: int, item: Item, answer: Dict[str, Any] | None) -> str:
    result, said = verdict(item, answer)
    if result == UNANSWERED:
        return f"{number}. {item.title}：{UNANSWERED}"
    if item.kind == "yes_no":
        note = f"（通知{item.clause}）" if item.clause else ""
        return f"{number}. {item.title}{note}：{said} → {result}"
    line = f"{number}. {item.title}：{said} → {result}"
    if item.threshold is not None:
        line += f"（门槛：{OP_WORDS.get(item.threshold.op, item.threshold.op)}{_number(item.threshold.value)}{item.unit or ''}，出处：{item.threshold.source}）"
    elif result == COMPARE:
        line += "（本系统未收录该指标的门槛值，请对照附件1）"
    return line


def _profile(kb: KnowledgeBase, state: SelfcheckState, code: str) -> List[str]:
    kind = kb.applicant_type(state.applicant_type)
    direction = kb.direction(state.direction)
    city = kb.city(state.city)
    lines = [f"【双创示范基地申报自测结果】编号 {code}"]
    lines.append(f"主体类型：{kind.name if kind else '未填写'}示范基地")
    if city:
        lines.append(f"所在市州：{city.name}（推荐名额不超过{city.quota}个，通知{kb.cities_file.quota_clause}）")
    else:
        lines.append("所在市州：未填写（各市州推荐名额见通知三，请向所在市州发展改革委确认）")
    default = kb.direction(kind.default_direction) if kind else None
    if direction is None:
        lines.append("建设方向：未选择")
    elif kind and kind.default_direction is None:
        lines.append(f"建设方向：{direction.name}（区域示范基地根据自身特色和优势从四个方向中自选，通知二）")
    elif default and default.id == direction.id:
        lines.append(f"建设方向：{direction.name}（与通知一致：{kind.name}示范基地原则上聚焦{default.name}方向，通知二）")
    elif default:
        lines.append(
            f"建设方向：{direction.name}。⚠️ 与通知不一致：{kind.name}示范基地原则上聚焦{default.name}方向（通知二），"
            "选择其他方向请先与所在市州发展改革委沟通。"
        )
    return lines


def _answers(kb: KnowledgeBase, state: SelfcheckState) -> List[str]:
    items = items_for(kb, state.direction)
    lines = ["【逐项自测】"]
    counts: Dict[str, int] = {}
    for number, item in enumerate(items, 1):
        answer = state.answers.get(item.id)
        counts[verdict(item, answer)[0]] = counts.get(verdict(item, answer)[0], 0) + 1
        lines.append(_answer_line(number, item, answer))
    summary = "；".join(f"{name}：{counts[name]}项" for name in (MEETS, BELOW, COMPARE, UNANSWERED) if counts.get(name))
    lines.insert(1, f"共{len(items)}项：{summary or '无'}。")
    entry = kb.selfcheck_for(state.direction)
    if entry is not None and not entry.indicators:
        lines.append("本方向的量化指标以附件1为准（本系统尚未收录），请对照附件1逐项填报。")
    return lines


def _materials(kb: KnowledgeBase, state: SelfcheckState, today: dt.date, code: str) -> List[str]:
    facts = static_facts(kb)
    city = kb.city(state.city)
    city_name = city.name if city else "所在市州"

    def fact(name: str) -> str:
        return render(facts[name].text, facts)

    return [
        "【申报材料清单】",
        f"1. 建设实施方案：{fact('plan_requirement')}",
        f"2. {fact('attachment_1')}：{fact('indicators_note')}",
        f"3. {fact('attachment_3')}",
        f"4. {fact('attachment_4')}",
        f"5. {city_name}发展改革委的推荐申报文件（{fact('city_review')}）",
        f"6. 份数：{fact('copies')}",
        f"7. 电子版：{fact('electronic_copy')}",
        f"【截止时间】{fact('deadline')}。{deadline_status(kb, today)}",
        "【下一步】" + f"把材料交给{city_name}发展改革委，{fact('submission_route')}。{fact('selection')}。",
        "【说明】本结果只是自测参考，不是官方认定；能否推荐、能否入选以市州发展改革委审查和省发展改革委评审为准。"
        + source_note(kb, "二、三、四"),
        f"需要再看这份结果，请回复“查看自测结果 {code}”；重新自测请回复“重新开始”。",
    ]


def split_messages(lines: List[str], limit: int = MAX_BYTES) -> List[str]:
    """Pack lines into messages of at most ``limit`` UTF-8 bytes (a line longer than that is cut)."""
    messages: List[str] = []
    current = ""
    for line in lines:
        while len(line.encode("utf-8")) > limit:
            head = line.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
            if current:
                messages.append(current)
                current = ""
            messages.append(head)
            line = line[len(head):]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode("utf-8")) > limit:
            messages.append(current)
            current = line
        else:
            current = candidate
    if current:
        messages.append(current)
    return messages


def compose_result(kb: KnowledgeBase, state: SelfcheckState, today: dt.date, code: str) -> List[str]:
    """The result as WeChat-sized messages: profile, each answer, checklist, deadline, next step."""
    blocks = [_profile(kb, state, code), _answers(kb, state), _materials(kb, state, today, code)]
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
