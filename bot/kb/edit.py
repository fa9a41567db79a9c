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
from typing import Dict, List, Mapping, Optional, Sequence, Union

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from bot.answer.normalize import normalize
from bot.kb import history as kb_history
from bot.kb.history import KNOWLEDGE_SUFFIXES, History, Version, default_operator, folder_files
from bot.kb.load import check_directory
from bot.kb.problems import Problem

FAQ_FILE = "faq.yml"
NOT_IN_NOTICE_FILE = "not_in_notice.yml"


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
class MarkNotInNotice:
    """Questions the notice does not cover: keywords and examples for a not_in_notice.yml topic
    (added to ``topic_id`` if it exists, else a new topic called ``name``)."""

    topic_id: str
    name: str
    keywords: Sequence[str]
    examples: Sequence[str] = ()


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


def apply_to_not_in_notice(data, edits: Sequence[MarkNotInNotice], result: EditResult) -> None:
    """Apply not-in-notice edits to a loaded not_in_notice.yml document in place (no I/O)."""
    if data.get("topics") is None:
        data["topics"] = CommentedSeq()
    topics = data["topics"]
    for edit in edits:
        entry = next((t for t in topics if t.get("id") == edit.topic_id), None)
        created = entry is None
        if created:
            entry = CommentedMap()
            entry["id"] = edit.topic_id
            entry["name"] = clean_question(edit.name)
            for name in ("keywords", "examples"):
                entry[name] = CommentedSeq()
                entry[name].fa.set_flow_style()
            topics.append(entry)
        added = {}
        for name, values in (("keywords", edit.keywords), ("examples", edit.examples)):
            if entry.get(name) is None:
                entry[name] = CommentedSeq()
            present = {normalize(str(v)) for v in entry[name]}
            added[name] = []
            for value in values:
                value = clean_question(value)
                key = normalize(value)
                if not key or key in present:
                    continue
                entry[name].append(value)
                present.add(key)
                added[name].append(value)
        keywords = "、".join(added["keywords"]) or "无"
        examples = len(added["examples"])
        if created:
            result.changes.append(
                f"新建“通知未涉及”事项 {edit.topic_id}：{entry['name']}"
                f"（关键词 {keywords}；例句 {examples} 条）"
            )
        elif added["keywords"] or added["examples"]:
            result.changes.append(
                f"“通知未涉及”事项 {edit.topic_id} 新增关键词 {keywords}，例句 {examples} 条"
            )
        else:
            result.skipped.append(f"“通知未涉及”事项 {edit.topic_id} 已有这些关键词和例句")


Texts = Mapping[str, Union[str, bytes]]


def _as_bytes(text: Union[str, bytes]) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


def _changed(directory: Path, texts: Texts) -> Dict[str, bytes]:
    changed = {}
    for name, text in texts.items():
        content = _as_bytes(text)
        path = directory / name
        if not path.is_file() or path.read_bytes() != content:
            changed[name] = content
    return changed


def check_changes(directory: Path, texts: Texts, remove: Sequence[str] = ()) -> List[Problem]:
    """The knowledge check of ``directory`` with ``texts`` written and ``remove`` deleted,
    run on a scratch copy; nothing is written."""
    directory = Path(directory)
    with tempfile.TemporaryDirectory(prefix="kb-edit-") as scratch:
        scratch_dir = Path(scratch) / "knowledge"
        shutil.copytree(directory, scratch_dir)
        for name, content in texts.items():
            (scratch_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (scratch_dir / name).write_bytes(_as_bytes(content))
        for name in remove:
            (scratch_dir / name).unlink(missing_ok=True)
        return check_directory(scratch_dir)


def check_and_write(
    directory: Path,
    texts: Texts,
    *,
    by: Optional[str] = None,
    action: str = "edit",
    summary: Optional[Sequence[str]] = None,
    remove: Sequence[str] = (),
) -> List[Problem]:
    """Write ``texts`` (file name → new content) into ``directory`` — and delete the files
    named in ``remove`` — if, and only if, the whole knowledge check passes on a scratch copy
    with them. The one write path for program edits (spreadsheet and review import, revert,
    the web console).

    ``by`` names the operator (default: the OS user); ``action`` and ``summary`` say what
    was done. The state before (if nobody recorded it yet) and the state after are kept as
    versions in the history folder (``bot.kb.history``), under its lock, so two writers
    never interleave. Each file is replaced atomically (written beside it, then renamed);
    files whose content would not change are not touched.
    """
    directory = Path(directory)
    history = History.for_folder(directory)
    with history.locked():
        changed = _changed(directory, texts)
        removed = [name for name in remove if (directory / name).exists()]
        if not changed and not removed:
            return []
        problems = check_changes(directory, changed, removed)
        if problems:
            return problems
        history.record_if_unrecorded(directory)
        temporaries = []
        for name, content in changed.items():
            path = directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.tmp")
            temporary.write_bytes(content)
            temporaries.append((temporary, path))
        for temporary, path in temporaries:
            os.replace(temporary, path)
        for name in removed:
            (directory / name).unlink()
        history.record(
            directory, by=by or default_operator(), action=action, summary=list(summary or [])
        )
    return []


def apply_edits(
    directory: Path,
    edits: Sequence[object],
    *,
    by: Optional[str] = None,
    action: str = "review",
) -> EditResult:
    """Apply edits to ``directory``/faq.yml (and not_in_notice.yml for ``MarkNotInNotice``)
    if, and only if, the knowledge check then passes (``by``: the operator, recorded in the
    history with ``action``; default the OS user)."""
    directory = Path(directory)
    result = EditResult()
    silent = [e for e in edits if isinstance(e, MarkNotInNotice)]
    faq_edits = [e for e in edits if not isinstance(e, MarkNotInNotice)]
    texts: Dict[str, str] = {}
    if faq_edits:
        data = load(directory / FAQ_FILE)
        apply_to_document(data, faq_edits, result)
        texts[FAQ_FILE] = dump(data)
    if silent:
        path = directory / NOT_IN_NOTICE_FILE
        data = load(path) if path.exists() else CommentedMap()
        apply_to_not_in_notice(data, silent, result)
        texts[NOT_IN_NOTICE_FILE] = dump(data)
    if not result.changes:
        return result
    result.problems = check_and_write(
        directory, texts, by=by, action=action, summary=result.changes
    )
    result.written = not result.problems
    return result


@dataclass
class RevertResult:
    version: Optional[Version]  # the version asked for (None: no such version of this folder)
    problems: List[Problem] = field(default_factory=list)
    written: bool = False
    changed_files: List[str] = field(default_factory=list)


def revert(directory: Path, number: int, *, by: Optional[str] = None) -> RevertResult:
    """Write version ``number`` of ``directory`` back, through the same check as every write.

    Knowledge files (``*.yml``) the version did not have are removed; other files are left
    alone. The state before is kept in the history, so a revert can be reverted.
    """
    directory = Path(directory)
    history = History.for_folder(directory)
    version = history.get(number)
    if version is None or version.knowledge_dir != str(directory.resolve()):
        return RevertResult(None)
    texts = history.restore_texts(version)
    remove = [
        name
        for name in folder_files(directory)
        if name not in texts and name.endswith(KNOWLEDGE_SUFFIXES)
    ]
    changed = sorted([*_changed(directory, texts), *remove])
    result = RevertResult(version, changed_files=changed)
    if not changed:
        return result
    when = kb_history.beijing_time(version.time)
    summary = [f"恢复为版本 {number}（{when}，{version.by}，{version.label}）"]
    result.problems = check_and_write(
        directory, texts, by=by, action="revert", summary=summary, remove=remove
    )
    result.written = not result.problems
    return result
