"""Reading knowledge/*.yml into the pydantic models, with problems worded for staff.

``parse_files`` reads every file of ``KNOWLEDGE_FILES``; ``parse_file`` one of them (the
WeChat menu command reads a menu file given on its command line); ``knowledge_base`` puts
the parsed files together. Cross-file rules are ``bot.kb.check``'s; ``bot.kb.load`` runs both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Type, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.kb.indicators import IndicatorsFile
from bot.kb.lookups import LookupsFile
from bot.kb.menu import Menu
from bot.kb.models import (
    BlockedWordsFile,
    CitiesFile,
    DirectionsFile,
    EnglishFile,
    FaqFile,
    KnowledgeBase,
    MessagesFile,
    NoticeFile,
    NoticeTextFile,
    NotInNoticeFile,
)
from bot.kb.problems import Problem

KNOWLEDGE_FILES: Dict[str, Type[BaseModel]] = {
    "notice.yml": NoticeFile,
    "directions.yml": DirectionsFile,
    "cities.yml": CitiesFile,
    "faq.yml": FaqFile,
    "indicators.yml": IndicatorsFile,
    "wechat_menu.yml": Menu,
    "notice_text.yml": NoticeTextFile,
    "not_in_notice.yml": NotInNoticeFile,
    "english.yml": EnglishFile,
    "lookups.yml": LookupsFile,
    "blocked_words.yml": BlockedWordsFile,
    "messages.yml": MessagesFile,
}


_PYDANTIC_MESSAGES = {
    "value_error.missing": "缺少必填项",
    "value_error.extra": "多了一个不认识的字段（是否拼写错误？）",
    "value_error.date": "日期格式不对，应写成 YYYY-MM-DD，例如 2021-11-28",
    "type_error.date": "日期格式不对，应写成 YYYY-MM-DD，例如 2021-11-28",
    "type_error.integer": "应为整数",
    "value_error.number.not_gt": "应为大于 0 的数",
    "type_error.list": "应为列表（每行以“- ”开头）",
    "type_error.dict": "应为“名称: 内容”的结构",
    "type_error.str": "应为文字",
    "type_error.none.not_allowed": "不能为空",
    "value_error.list.min_items": "至少要有一项",
}


def _entry_label(data: Any, loc: Tuple[Any, ...]) -> str:
    """Turn a pydantic location into something staff recognise (an id or name)."""
    parts: List[str] = []
    node = data
    for key in loc:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            node = None
        if isinstance(key, int):
            label = None
            if isinstance(node, dict):
                label = node.get("id") or node.get("name") or node.get("number")
            parts.append(f"第{key + 1}项" + (f"（{label}）" if label else ""))
        else:
            parts.append(str(key))
    return " › ".join(parts)


def _explain(error: Dict[str, Any]) -> str:
    if error["type"] == "value_error.const":
        return "只能填：" + "、".join(str(v) for v in error.get("ctx", {}).get("permitted", []))
    if error["type"].startswith("value_error") and error["type"] not in _PYDANTIC_MESSAGES:
        return str(error["msg"])
    return _PYDANTIC_MESSAGES.get(error["type"], str(error["msg"]))


class _TextDatesLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Leaves dates as text so pydantic, not the YAML parser, judges (and explains) them.
    libyaml's parser where PyYAML has it: knowledge/ loads about ten times faster."""


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(path: Path) -> Tuple[Any, Optional[Problem]]:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_TextDatesLoader), None
    except FileNotFoundError:
        return None, Problem(path.name, "", "文件不存在")
    except UnicodeDecodeError:
        return None, Problem(path.name, "", "文件不是 UTF-8 编码，请另存为 UTF-8")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行第{mark.column + 1}列附近" if mark else ""
        return None, Problem(
            path.name,
            "",
            f"YAML 格式错误{where}：{getattr(exc, 'problem', exc)}（常见原因：缩进不齐、"
            "冒号后缺空格、引号不成对）",
        )


Model = TypeVar("Model", bound=BaseModel)


def parse_file(path: Path, model: Type[Model]) -> Tuple[Optional[Model], List[Problem]]:
    """One knowledge file as ``model``, or None and every problem found in it."""
    data, problem = _read_yaml(path)
    if problem:
        return None, [problem]
    try:
        return model.parse_obj(data or {}), []
    except ValidationError as exc:
        return None, [
            Problem(path.name, _entry_label(data, error["loc"]), _explain(error))
            for error in exc.errors()
        ]


def parse_files(directory: Path) -> Tuple[Dict[str, BaseModel], List[Problem]]:
    """Parse every knowledge file; return what parsed and every problem found."""
    parsed: Dict[str, BaseModel] = {}
    problems: List[Problem] = []
    for filename, model in KNOWLEDGE_FILES.items():
        result, found = parse_file(directory / filename, model)
        problems.extend(found)
        if result is not None:
            parsed[filename] = result
    return parsed, problems


def knowledge_base(parsed: Dict[str, BaseModel], directory: Path) -> KnowledgeBase:
    """The parsed files (every one of ``KNOWLEDGE_FILES``) as one ``KnowledgeBase``."""
    return KnowledgeBase(
        notice=parsed["notice.yml"],  # type: ignore[arg-type]
        directions_file=parsed["directions.yml"],  # type: ignore[arg-type]
        cities_file=parsed["cities.yml"],  # type: ignore[arg-type]
        faq_file=parsed["faq.yml"],  # type: ignore[arg-type]
        directory=directory,
        indicators_file=parsed["indicators.yml"],  # type: ignore[arg-type]
        wechat_menu=parsed["wechat_menu.yml"],  # type: ignore[arg-type]
        notice_text=parsed["notice_text.yml"],  # type: ignore[arg-type]
        not_in_notice=parsed["not_in_notice.yml"],  # type: ignore[arg-type]
        english=parsed["english.yml"],  # type: ignore[arg-type]
        lookups=parsed["lookups.yml"],  # type: ignore[arg-type]
        blocked_words=parsed["blocked_words.yml"],  # type: ignore[arg-type]
        messages_file=parsed["messages.yml"],  # type: ignore[arg-type]
    )
