"""Changing FAQ entries and fixed replies in the loaded round-trip YAML documents (no I/O):
only what differs is touched, so comments, order and block styles survive. Used by the
spreadsheet import (``bot.kb.sheet_import``) and the console's editor (``bot.console.editing``);
the result is written by ``bot.kb.edit.check_and_write``, the one write path."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Tuple

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from bot.kb.edit import clean_question

YES, NO = "是", "否"
WHEN_KINDS = ("city", "applicant_type", "direction")
TAG_SEPARATORS = ("、", ",", "，", ";", "；")


def cell_text(value: object) -> str:
    return "" if value is None else str(value)


def faq_row(entry) -> Dict[str, str]:
    """One FAQ entry (a loaded YAML mapping) as the spreadsheet's cells."""
    when = entry.get("when") or {}
    row = {
        "id": cell_text(entry.get("id")),
        "question": cell_text(entry.get("question")),
        "similar": "\n".join(str(q) for q in entry.get("similar") or []),
        "answer": cell_text(entry.get("answer")),
        "clause": cell_text(entry.get("clause")),
        "tags": "、".join(str(t) for t in entry.get("tags") or []),
        "footer": YES if entry.get("footer") else NO,
    }
    for kind in WHEN_KINDS:
        row[f"when.{kind}"] = cell_text(when.get(kind))
    return row


@dataclass
class Changes:
    added: List[str] = field(default_factory=list)
    removed: List[str] = field(default_factory=list)
    changed: List[str] = field(default_factory=list)  # "id：标准问、回答…" per entry
    similar_added: List[Tuple[str, str]] = field(default_factory=list)
    similar_removed: List[Tuple[str, str]] = field(default_factory=list)
    answers_changed: List[str] = field(default_factory=list)
    messages_changed: List[str] = field(default_factory=list)
    messages_added: List[str] = field(default_factory=list)
    messages_removed: List[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(vars(self).values())

    @property
    def needs_training(self) -> bool:
        """New or removed entries, or changed questions: the NLU model must learn them."""
        questions = any("标准问" in c for c in self.changed)
        return bool(
            self.added or self.removed or self.similar_added or self.similar_removed or questions
        )

    def lines(self) -> List[str]:
        out = []
        out += [f"新增问答：{i}" for i in self.added]
        out += [f"删除问答：{i}" for i in self.removed]
        out += [f"修改问答：{c}" for c in self.changed]
        out += [f"  {i} 新增相似问：{q}" for i, q in self.similar_added]
        out += [f"  {i} 删除相似问：{q}" for i, q in self.similar_removed]
        out += [f"回答改动：{i}" for i in self.answers_changed]
        out += [f"修改固定回复：{n}" for n in self.messages_changed]
        out += [f"新增固定回复：{n}" for n in self.messages_added]
        out += [f"删除固定回复：{n}" for n in self.messages_removed]
        return out


def _block(text: str):
    return LiteralScalarString(text) if "\n" in text else text


def template_text(text: str):
    """Answers and message texts are written as ``|-`` blocks, like the shipped files."""
    return LiteralScalarString(text)


def set_text(mapping, key: str, value: str, template: bool = False) -> bool:
    """Set ``mapping[key]`` to ``value`` unless it already says that; True when changed."""
    old = mapping.get(key)
    if old is not None and str(old) == value:
        return False
    if not value:
        if key in mapping:
            del mapping[key]
            return True
        return False
    mapping[key] = (
        template_text(value) if template or isinstance(old, LiteralScalarString) else _block(value)
    )
    return True


def lines_of(text: str) -> List[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _tags(text: str) -> List[str]:
    for separator in TAG_SEPARATORS[1:]:
        text = text.replace(separator, TAG_SEPARATORS[0])
    return [t.strip() for t in text.split(TAG_SEPARATORS[0]) if t.strip()]


def update_similar(entry, wanted: List[str], changes: Changes) -> None:
    faq_id = str(entry.get("id"))
    current = [str(q) for q in entry.get("similar") or []]
    if current == wanted:
        return
    similar = entry.get("similar")
    if similar is None:
        similar = entry["similar"] = CommentedSeq()
    for index in reversed(range(len(current))):
        if current[index] not in wanted:
            changes.similar_removed.append((faq_id, current[index]))
            del similar[index]
    kept = set(current)
    for question in wanted:
        if question not in kept:
            similar.append(question)
            kept.add(question)
            changes.similar_added.append((faq_id, question))


def update_entry(entry, cells: Dict[str, str], changes: Changes) -> None:
    faq_id = str(entry.get("id"))
    what = []
    if set_text(entry, "question", clean_question(cells["question"])):
        what.append("标准问")
    if set_text(entry, "clause", cells["clause"]):
        what.append("出处")
    tags = _tags(cells["tags"])
    if [str(t) for t in entry.get("tags") or []] != tags:
        seq = CommentedSeq(tags)
        seq.fa.set_flow_style()
        entry["tags"] = seq
        what.append("标签")
    if set_text(entry, "answer", cells["answer"], template=True):
        what.append("回答")
        changes.answers_changed.append(faq_id)
    when = entry.get("when")
    wanted_when = {kind: cells[f"when.{kind}"] for kind in WHEN_KINDS if cells[f"when.{kind}"]}
    current_when = {k: str(v) for k, v in (when or {}).items()}
    if current_when != wanted_when:
        if not wanted_when:
            del entry["when"]
        else:
            if when is None:
                when = CommentedMap()
                _insert_after(entry, "when", when, "answer")
            for kind in WHEN_KINDS:
                set_text(when, kind, wanted_when.get(kind, ""), template=True)
        what.append("专门回答")
        if faq_id not in changes.answers_changed:
            changes.answers_changed.append(faq_id)
    footer = cells["footer"] == YES
    if bool(entry.get("footer")) != footer:
        if footer:
            entry["footer"] = True
        else:
            del entry["footer"]
        what.append("页脚信息")
    before = len(changes.similar_added) + len(changes.similar_removed)
    update_similar(entry, [clean_question(q) for q in lines_of(cells["similar"])], changes)
    if len(changes.similar_added) + len(changes.similar_removed) != before:
        what.append("相似问")
    if what:
        changes.changed.append(f"{faq_id}（{'、'.join(what)}）")


def _insert_after(mapping: CommentedMap, key: str, value, after: str) -> None:
    keys = list(mapping.keys())
    position = keys.index(after) + 1 if after in keys else len(keys)
    mapping.insert(position, key, value)


def new_entry(cells: Dict[str, str]) -> CommentedMap:
    entry = CommentedMap()
    entry["id"] = cells["id"]
    entry["question"] = clean_question(cells["question"])
    entry["clause"] = cells["clause"]
    tags = CommentedSeq(_tags(cells["tags"]))
    tags.fa.set_flow_style()
    entry["tags"] = tags
    entry["answer"] = template_text(cells["answer"])
    when = CommentedMap()
    for kind in WHEN_KINDS:
        if cells[f"when.{kind}"]:
            when[kind] = template_text(cells[f"when.{kind}"])
    if when:
        entry["when"] = when
    entry["similar"] = CommentedSeq([clean_question(q) for q in lines_of(cells["similar"])])
    if cells["footer"] == YES:
        entry["footer"] = True
    return entry
