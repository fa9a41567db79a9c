"""编辑知识库 in the console: FAQ answers and similar questions, fixed replies, not-in-notice
topics. A form is turned into new YAML texts (``bot.kb.entries``: only what differs changes)
and written through ``bot.kb.edit.check_and_write`` — the same checks and the same history
(under the account's name) as the spreadsheet import. "试答" answers with the draft first,
writing nothing. What needs training is marked and leads to the publish page."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from aiohttp import web
from ruamel.yaml.comments import CommentedSeq

from bot.console import store
from bot.console.trying import answer, questions_from
from bot.console.web import CONFIG, BadQuery, ConsoleConfig, db, for_the_page, needs, render
from bot.kb.edit import FAQ_FILE, NOT_IN_NOTICE_FILE, check_and_write, check_changes, dump, load
from bot.kb.entries import Changes, faq_row, set_text, update_entry
from bot.kb.facts import static_facts
from bot.kb.load import load_knowledge
from bot.kb.messages import MESSAGE_VALUES
from bot.kb.sheet_layout import MESSAGES_FILE

KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
FAQ, MESSAGE, SILENT = "faq", "message", "silent"
# the fields of each kind: (form name, label, several lines, hint)
FIELDS: Dict[str, List[Tuple[str, str, bool, str]]] = {
    FAQ: [
        ("question", "标准问", False, "改了标准问要发布后助手才能识别新问法"),
        ("answer", "回答", True, "日期、电话、邮箱请用下面列出的 {名称}，不要直接写"),
        ("clause", "出处条款", False, "通知第几条，如 四、2"),
        ("similar", "相似问（每行一条）", True, "新增或删除相似问要发布后才生效"),
    ],
    MESSAGE: [("text", "内容", True, "只能用下面列出的 {名称}")],
    SILENT: [
        ("name", "名称（回答里怎么称呼这件事）", False, ""),
        ("keywords", "关键词（每行一个；要具体，如“页数”“盖章”）", True, ""),
        ("examples", "例句（每行一句，每句须含一个关键词）", True, ""),
    ],
}
KIND_LABELS = {FAQ: "问答", MESSAGE: "固定回复", SILENT: "通知未涉及事项"}


@dataclass
class Draft:
    texts: Dict[str, str] = field(default_factory=dict)
    changes: List[str] = field(default_factory=list)
    needs_training: bool = False


def _text(value: Any) -> str:
    return str(value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _lines(value: Any) -> List[str]:
    return [line.strip() for line in _text(value).split("\n") if line.strip()]


def _flow(values: List[str]) -> CommentedSeq:
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


def _find(items, key: str):
    return next((item for item in items or [] if str(item.get("id")) == key), None)


def current_values(directory: Path, kind: str, key: str) -> Optional[Dict[str, str]]:
    """The form's fields as the knowledge has them now (None: no such entry)."""
    if kind == FAQ:
        entry = _find(load(directory / FAQ_FILE).get("faq"), key)
        return faq_row(entry) if entry is not None else None
    if kind == MESSAGE:
        messages = load(directory / MESSAGES_FILE)["messages"]
        return {"text": str(messages[key])} if key in messages else None
    path = directory / NOT_IN_NOTICE_FILE
    topic = _find(load(path).get("topics"), key) if path.exists() else None
    if topic is None:
        return None
    return {
        "name": str(topic.get("name") or ""),
        "keywords": "\n".join(map(str, topic.get("keywords") or [])),
        "examples": "\n".join(map(str, topic.get("examples") or [])),
    }


def draft(directory: Path, kind: str, key: str, form: Dict[str, str]) -> Draft:
    """The new file texts and what changes, from the form (no I/O but reading)."""
    result = Draft()
    if kind == FAQ:
        document = load(directory / FAQ_FILE)
        entry = _find(document.get("faq"), key)
        cells = {**faq_row(entry), **{name: _text(form.get(name)) for name, *_ in FIELDS[FAQ]}}
        changes = Changes()
        update_entry(entry, cells, changes)
        result.texts[FAQ_FILE] = dump(document)
        result.changes, result.needs_training = changes.lines(), changes.needs_training
    elif kind == MESSAGE:
        document = load(directory / MESSAGES_FILE)
        if set_text(document["messages"], key, _text(form.get("text")), template=True):
            result.changes.append(f"修改固定回复：{key}")
        result.texts[MESSAGES_FILE] = dump(document)
    else:
        document = load(directory / NOT_IN_NOTICE_FILE)
        topic = _find(document.get("topics"), key)
        what = []
        if set_text(topic, "name", _text(form.get("name"))):
            what.append("名称")
        for name, label in (("keywords", "关键词"), ("examples", "例句")):
            wanted = _lines(form.get(name))
            if [str(v) for v in topic.get(name) or []] != wanted:
                topic[name] = _flow(wanted)
                what.append(label)
                result.needs_training |= name == "examples"
        if what:
            result.changes.append(f"修改“通知未涉及”事项 {key}：{'、'.join(what)}")
        result.texts[NOT_IN_NOTICE_FILE] = dump(document)
    return result


def try_draft(config: ConsoleConfig, texts: Dict[str, str], questions: List[str]):
    """试答 with the draft: a scratch copy of the knowledge with ``texts`` written."""
    with tempfile.TemporaryDirectory(prefix="console-draft-") as scratch:
        folder = Path(scratch) / "knowledge"
        shutil.copytree(config.knowledge_dir, folder)
        for name, text in texts.items():
            (folder / name).write_text(text, encoding="utf-8")
        return answer(config, questions, draft=folder)


def names_for(config: ConsoleConfig, kind: str, key: str) -> List[Tuple[str, str]]:
    """The {名称} the field may use, with what each says now (instead of a server command)."""
    if kind == MESSAGE:
        allowed = sorted(MESSAGE_VALUES.get(key, (frozenset(), frozenset()))[0])
        return [(name, "") for name in allowed]
    if kind != FAQ:
        return []
    try:
        facts = static_facts(load_knowledge(config.knowledge_dir))
    except Exception:  # a broken folder: the check will say what is wrong
        return []
    return [(name, fact.text.replace("\n", " ")[:60]) for name, fact in facts.items()]


def _kind_and_key(request: web.Request) -> Tuple[str, str]:
    kind, key = request.match_info["kind"], request.match_info["key"]
    if kind not in FIELDS or not KEY.match(key):
        raise BadQuery(f"没有这一项：{kind}/{key[:40]}")
    return kind, key


def marked_fields(kind: str, problems: List[str]) -> List[str]:
    """The fields the problems are about (their YAML key appears in the message)."""
    yaml_keys = {"text": "messages"}
    return [
        name
        for name, *_ in FIELDS[kind]
        if any(yaml_keys.get(name, name) in problem for problem in problems)
    ]


async def _form_page(request, kind, key, values, status=200, **extra) -> web.Response:
    config = request.app[CONFIG]
    names = await db(names_for, config, kind, key)
    return render(
        request,
        "edit.html",
        status=status,
        kind=kind,
        kind_label=KIND_LABELS[kind],
        key=key,
        fields=FIELDS[kind],
        values=values,
        names=names,
        **extra,
    )


@needs(store.EDITOR)
async def edit_page(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    kind, key = _kind_and_key(request)
    values = await db(current_values, config.knowledge_dir, kind, key)
    if values is None:
        raise BadQuery(f"知识库里没有{KIND_LABELS[kind]} {key}")
    saved = None
    if request.query.get("saved", "").isdigit() and len(request.query["saved"]) < 19:
        wanted = int(request.query["saved"])
        saved = next(
            (e for e in await db(store.recent, 50, config.database_url) if e.id == wanted), None
        )
    tried = (values.get("question") or "").strip()
    return await _form_page(request, kind, key, values, saved=saved, try_text=tried)


@needs(store.EDITOR)
async def edit_submit(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]
    kind, key = _kind_and_key(request)
    form = request["form"]
    values = {name: _text(form.get(name)) for name, *_ in FIELDS[kind]}
    if await db(current_values, config.knowledge_dir, kind, key) is None:
        raise BadQuery(f"知识库里没有{KIND_LABELS[kind]} {key}")
    proposal = await db(draft, config.knowledge_dir, kind, key, values)
    try_text = _text(form.get("try")) or values.get("question", "")
    if form.get("do") == "try":
        problems = [
            for_the_page(p) for p in await db(check_changes, config.knowledge_dir, proposal.texts)
        ]
        outcome = None
        if not problems:
            outcome = await db(try_draft, config, proposal.texts, questions_from(try_text))
        return await _form_page(
            request, kind, key, values, draft=proposal, problems=problems,
            marked=marked_fields(kind, problems), outcome=outcome, try_text=try_text,
        )  # fmt: skip
    if not proposal.changes:
        return await _form_page(
            request, kind, key, values, problems=["没有改动，知识库未修改。"], try_text=try_text
        )
    summary = [f"网页后台（{request['user']}）", *proposal.changes]
    problems = [
        for_the_page(p)
        for p in await db(
            check_and_write,
            config.knowledge_dir,
            proposal.texts,
            by=request["user"],
            action="console edit",
            summary=summary,
        )
    ]
    action = store.EDIT_TRAINING if proposal.needs_training else store.EDIT
    detail = json.dumps({"changes": proposal.changes, "problems": problems}, ensure_ascii=False)
    entry = await db(
        store.record, request["user"], action, f"{kind}/{key}", detail, not problems,
        config.database_url,
    )  # fmt: skip
    if problems:  # nothing was written; the form keeps what was typed, the fields are marked
        return await _form_page(
            request, kind, key, values, status=422, problems=problems,
            marked=marked_fields(kind, problems), try_text=try_text,
        )  # fmt: skip
    raise web.HTTPSeeOther(f"/knowledge/{kind}/{key}?saved={entry}")


def knowledge_index(config: ConsoleConfig) -> Dict[str, List[Tuple[str, str, str]]]:
    """(key, title, detail) of every editable item, by kind."""
    directory = config.knowledge_dir
    faq = [
        (str(e.get("id")), str(e.get("question")), f"相似问 {len(e.get('similar') or [])} 条")
        for e in load(directory / FAQ_FILE).get("faq") or []
    ]
    messages = [
        (str(name), str(text).split("\n")[0][:40], "")
        for name, text in load(directory / MESSAGES_FILE)["messages"].items()
    ]
    path = directory / NOT_IN_NOTICE_FILE
    topics = load(path).get("topics") if path.exists() else []
    silent = [
        (str(t.get("id")), str(t.get("name")), "、".join(map(str, t.get("keywords") or []))[:40])
        for t in topics or []
    ]
    return {FAQ: faq, MESSAGE: messages, SILENT: silent}


@needs(store.EDITOR)
async def knowledge_page(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    wanted = request.query.get("q", "").strip()[:50]
    index = await db(knowledge_index, config)
    if wanted:
        index = {
            kind: [item for item in items if any(wanted in part for part in item)]
            for kind, items in index.items()
        }
    unpublished = await db(store.unpublished, config.database_url)
    return render(
        request, "knowledge.html", index=index, wanted=wanted, labels=KIND_LABELS,
        unpublished=unpublished,
    )  # fmt: skip
