"""Small, safe edits of knowledge/faq.yml by program (the review import).

Round-trip YAML (ruamel.yaml) so staff comments, order and block styles survive.
Every change is first written to a scratch copy of knowledge/ and checked with
``bot.kb.check.check_directory``; the real file is replaced only when the check
passes, so a bad spreadsheet row can never break the assistant.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from bot.kb.load import check_directory
from bot.kb.problems import Problem
from bot.normalize import normalize

FAQ_FILE = "faq.yml"


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def question_key(text: str) -> str:
    """How kb check compares questions: normalised, without trailing punctuation."""
    return normalize(text).rstrip("?？。!！ ")


# Rasa training-data markup: [text](entity), [text](entity:value), [text]{"entity": …},
# a bare {"…"} annotation, and a leading / (the /intent shortcut). Bounded, linear patterns.
_ANNOTATED = re.compile(r"\[([^\[\]\n]{0,500})\](?:\([^()\n]{0,200}\)|\{[^{}\n]{0,500}\})")
_JSON_BLOCK = re.compile(r"\{\s*\"[^{}]{0,500}\}")
_LEADING_SLASH = re.compile(r"^[\s/／]+")


def clean_question(text: object) -> str:
    """A question from a spreadsheet as one plain line of training data.

    Newlines and other control characters become spaces; Rasa markup is reduced to its
    visible text (``[长沙](city)`` → ``长沙``) or removed (``{"entity": …}``, a leading
    ``/``); stray brackets become full-width. A new question can neither annotate entities
    nor name an intent.
    """
    line = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in str(text)
    )
    for _ in range(5):  # nested markup; what is left then is neutralised below
        previous = line
        line = _ANNOTATED.sub(r"\1", line)
        line = _JSON_BLOCK.sub(" ", line)
        line = _LEADING_SLASH.sub("", line)
        if line == previous:
            break
    # brackets left over can no longer open an annotation: Rasa only reads ASCII ones
    line = line.replace("[", "［").replace("]", "］")
    return " ".join(line.split())


@dataclass
class AddSimilar:
    faq_id: str
    questions: Sequence[str]


@dataclass
class NewFaq:
    id: str
    question: str
    answer: str
    clause: str
    similar: Sequence[str] = ()
    tags: Sequence[str] = ()


@dataclass
class EditResult:
    changes: List[str] = field(default_factory=list)  # what was done, worded for staff
    skipped: List[str] = field(default_factory=list)  # what was left out and why
    problems: List[Problem] = field(default_factory=list)  # kb check problems: nothing written
    written: bool = False


def load(path: Path):
    return _yaml().load(path.read_text(encoding="utf-8"))


def dump(data) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def _existing_keys(data) -> Dict[str, str]:
    keys: Dict[str, str] = {}
    for entry in data.get("faq") or []:
        for text in [entry.get("question"), *(entry.get("similar") or [])]:
            if text:
                keys.setdefault(question_key(str(text)), str(entry.get("id")))
    return keys


def _entry(data, faq_id: str) -> CommentedMap | None:
    return next((e for e in data.get("faq") or [] if e.get("id") == faq_id), None)


def apply_to_document(data, edits: Sequence[object], result: EditResult) -> None:
    """Apply edits to a loaded faq.yml document in place (no I/O)."""
    keys = _existing_keys(data)
    for edit in edits:
        if isinstance(edit, AddSimilar):
            entry = _entry(data, edit.faq_id)
            if entry is None:
                result.skipped.append(
                    f"问答 {edit.faq_id} 不存在，无法添加相似问：{'、'.join(edit.questions)}"
                )
                continue
            similar = entry.get("similar")
            if similar is None:
                similar = entry["similar"] = CommentedSeq()
            added = []
            for question in edit.questions:
                question = clean_question(question)
                key = question_key(question)
                if not key:
                    continue
                if key in keys:
                    owner = keys[key]
                    result.skipped.append(f"“{question}”已在问答 {owner} 中，未重复添加")
                    continue
                similar.append(question)
                keys[key] = edit.faq_id
                added.append(question)
            if added:
                result.changes.append(
                    f"问答 {edit.faq_id} 新增相似问 {len(added)} 条：{'、'.join(added)}"
                )
        elif isinstance(edit, NewFaq):
            if _entry(data, edit.id) is not None:
                result.skipped.append(
                    f"问答 id {edit.id} 已存在，未新建（如要补充问法请选“加为相似问”）"
                )
                continue
            entry = CommentedMap()
            entry["id"] = edit.id
            entry["question"] = clean_question(edit.question)
            entry["clause"] = edit.clause
            entry["tags"] = CommentedSeq(list(edit.tags))
            entry["tags"].fa.set_flow_style()
            answer = edit.answer.strip().replace("\r\n", "\n")
            entry["answer"] = LiteralScalarString(answer) if "\n" in answer else answer
            similar = CommentedSeq()
            for question in edit.similar:
                question = clean_question(question)
                key = question_key(question)
                if key and key not in keys and key != question_key(entry["question"]):
                    similar.append(question)
                    keys[key] = edit.id
                elif key in keys:
                    result.skipped.append(
                        f"“{question}”已在问答 {keys[key]} 中，未加入新问答 {edit.id}"
                    )
            entry["similar"] = similar
            keys[question_key(entry["question"])] = edit.id
            faq = data["faq"]
            faq.append(entry)
            faq.yaml_set_comment_before_after_key(len(faq) - 1, before="\n", indent=2)
            result.changes.append(
                f"新建问答 {edit.id}：{entry['question']}（相似问 {len(similar)} 条）"
            )
        else:
            raise TypeError(edit)


def check_and_write(directory: Path, texts: Dict[str, str]) -> List[Problem]:
    """Write ``texts`` (file name → new content) into ``directory`` if, and only if, the whole
    knowledge check passes on a scratch copy with them. The one write path for program edits.

    Each file is replaced atomically (written beside it, then renamed); files whose content
    would not change are not touched.
    """
    directory = Path(directory)
    changed = {
        name: text
        for name, text in texts.items()
        if not (directory / name).exists() or (directory / name).read_text(encoding="utf-8") != text
    }
    if not changed:
        return []
    with tempfile.TemporaryDirectory(prefix="kb-edit-") as scratch:
        scratch_dir = Path(scratch) / "knowledge"
        shutil.copytree(directory, scratch_dir)
        for name, text in changed.items():
            (scratch_dir / name).write_text(text, encoding="utf-8")
        problems = check_directory(scratch_dir)
    if problems:
        return problems
    temporaries = []
    for name, text in changed.items():
        temporary = directory / f".{name}.tmp"
        temporary.write_text(text, encoding="utf-8")
        temporaries.append((temporary, directory / name))
    for temporary, path in temporaries:
        os.replace(temporary, path)
    return []


def apply_edits(directory: Path, edits: Sequence[object]) -> EditResult:
    """Apply edits to ``directory``/faq.yml if, and only if, the knowledge check then passes."""
    directory = Path(directory)
    result = EditResult()
    data = load(directory / FAQ_FILE)
    apply_to_document(data, edits, result)
    if not result.changes:
        return result
    result.problems = check_and_write(directory, {FAQ_FILE: dump(data)})
    result.written = not result.problems
    return result
