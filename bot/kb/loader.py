"""The one place that reads knowledge/.

``load_knowledge`` parses and validates the YAML files into a
``KnowledgeBase``; ``KnowledgeCache`` re-loads it when a file changes so an
edit is live without a restart.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Type

import yaml
from pydantic import BaseModel, ValidationError

from bot.kb.menu import Menu
from bot.kb.models import (
    ApplicantType,
    BlockedWordsFile,
    CitiesFile,
    City,
    Direction,
    DirectionIndicators,
    DirectionsFile,
    EnglishFile,
    FaqEntry,
    FaqFile,
    IndicatorsFile,
    MessagesFile,
    NoticeClause,
    NoticeFile,
    NoticeTextFile,
    NotInNoticeFile,
)
from bot.settings import get_settings


def default_knowledge_dir() -> Path:
    """The knowledge folder when none is given: ``KNOWLEDGE_DIR`` (``Settings.knowledge_dir``,
    default knowledge/). Every reader without an explicit folder — the NLU components
    (``knowledge_dir: null`` in config.yml), training, the servers, the CLI — ends up here."""
    return get_settings().knowledge_dir


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
    "blocked_words.yml": BlockedWordsFile,
    "messages.yml": MessagesFile,
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the knowledge files, worded for staff."""

    file: str
    entry: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}" + (f" › {self.entry}" if self.entry else "")
        return f"{where}：{self.message}"


class KnowledgeError(Exception):
    def __init__(self, problems: List[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


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


class _TextDatesLoader(yaml.SafeLoader):
    """Leaves dates as text so pydantic, not the YAML parser, judges (and explains) them."""


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
            f"YAML 格式错误{where}：{getattr(exc, 'problem', exc)}（常见原因：缩进不齐、冒号后缺空格、引号不成对）",
        )


def parse_files(directory: Path) -> Tuple[Dict[str, BaseModel], List[Problem]]:
    """Parse every knowledge file; return what parsed and every problem found."""
    parsed: Dict[str, BaseModel] = {}
    problems: List[Problem] = []
    for filename, model in KNOWLEDGE_FILES.items():
        data, problem = _read_yaml(directory / filename)
        if problem:
            problems.append(problem)
            continue
        try:
            parsed[filename] = model.parse_obj(data or {})
        except ValidationError as exc:
            for error in exc.errors():
                problems.append(
                    Problem(filename, _entry_label(data, error["loc"]), _explain(error))
                )
    return parsed, problems


@dataclass
class KnowledgeBase:
    """Everything the assistant knows, with lookups by id and by everyday word."""

    notice: NoticeFile
    directions_file: DirectionsFile
    cities_file: CitiesFile
    faq_file: FaqFile
    directory: Path
    _faq_by_id: Dict[str, FaqEntry] = field(default_factory=dict)
    indicators_file: IndicatorsFile | None = None
    wechat_menu: Menu | None = None
    notice_text: NoticeTextFile | None = None
    not_in_notice: NotInNoticeFile | None = None
    english: EnglishFile | None = None
    blocked_words: BlockedWordsFile | None = None
    messages_file: MessagesFile | None = None

    def __post_init__(self) -> None:
        self._faq_by_id = {entry.id: entry for entry in self.faq_file.faq}

    @property
    def faq(self) -> List[FaqEntry]:
        return self.faq_file.faq

    @property
    def directions(self) -> List[Direction]:
        return self.directions_file.directions

    @property
    def applicant_types(self) -> List[ApplicantType]:
        return self.directions_file.applicant_types

    @property
    def cities(self) -> List[City]:
        return self.cities_file.cities

    def selfcheck_for(self, direction_id: str | None) -> DirectionIndicators | None:
        """The self-check questions (indicators.yml) for one direction."""
        if self.indicators_file is None:
            return None
        return next(
            (d for d in self.indicators_file.directions if d.direction == direction_id), None
        )

    @property
    def clauses(self) -> List[NoticeClause]:
        return self.notice_text.clauses if self.notice_text else []

    def clause(self, number: str) -> Optional[NoticeClause]:
        return next((c for c in self.clauses if c.clause == number), None)

    def message(self, name: str) -> str:
        """A fixed sentence from messages.yml (``kb check`` guarantees the ones code asks for)."""
        return self.messages_file.messages.get(name, "") if self.messages_file else ""

    def faq_entry(self, faq_id: str) -> Optional[FaqEntry]:
        return self._faq_by_id.get(faq_id)

    def direction(self, direction_id: Optional[str]) -> Optional[Direction]:
        return next((d for d in self.directions if direction_id in (d.id, d.name)), None)

    def applicant_type(self, type_id: Optional[str]) -> Optional[ApplicantType]:
        return next((t for t in self.applicant_types if type_id in (t.id, t.name)), None)

    def city(self, name: Optional[str]) -> Optional[City]:
        return next((c for c in self.cities if name == c.name), None)

    def entity_vocabulary(self) -> Dict[str, Dict[str, str]]:
        """entity type → {word people use: canonical value}. Feeds NLU, jieba and the self-check."""
        vocabulary: Dict[str, Dict[str, str]] = {"city": {}, "applicant_type": {}, "direction": {}}
        for city in self.cities:
            for word in [city.name, *city.aliases]:
                vocabulary["city"][word] = city.name
        for kind in self.applicant_types:
            for word in [kind.name, *kind.synonyms]:
                vocabulary["applicant_type"][word] = kind.id
        for direction in self.directions:
            for word in [direction.name, *direction.synonyms]:
                vocabulary["direction"][word] = direction.id
        return vocabulary


def load_knowledge(directory: Optional[Path] = None) -> KnowledgeBase:
    """Load and fully check knowledge/; raise ``KnowledgeError`` listing every problem."""
    from bot.kb.check import cross_file_problems

    directory = Path(directory or default_knowledge_dir())
    parsed, problems = parse_files(directory)
    if problems:
        raise KnowledgeError(problems)
    kb = KnowledgeBase(
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
        blocked_words=parsed["blocked_words.yml"],  # type: ignore[arg-type]
        messages_file=parsed["messages.yml"],  # type: ignore[arg-type]
    )
    problems = cross_file_problems(kb)
    if problems:
        raise KnowledgeError(problems)
    return kb


def knowledge_fingerprint(directory: Path) -> Tuple[Tuple[str, int, int], ...]:
    return tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.glob("*.yml"))
    )


class KnowledgeCache:
    """Serves the current knowledge base, re-loading when a file changes.

    A broken edit keeps the last good version live (and logs why), so staff
    can never take the assistant down with a typo.
    """

    def __init__(self, directory: Optional[Path] = None):
        self.directory = Path(directory or default_knowledge_dir())
        self._lock = threading.Lock()
        self._fingerprint: Optional[Tuple[Tuple[str, int, int], ...]] = None
        self._kb: Optional[KnowledgeBase] = None
        self.last_error: Optional[KnowledgeError] = None

    def get(self) -> KnowledgeBase:
        fingerprint = knowledge_fingerprint(self.directory)
        with self._lock:
            if fingerprint != self._fingerprint or self._kb is None:
                try:
                    self._kb = load_knowledge(self.directory)
                    self.last_error = None
                except KnowledgeError as exc:
                    self.last_error = exc
                    if self._kb is None:
                        raise

                    logging.getLogger(__name__).error("知识库修改有误，继续使用上一版：\n%s", exc)
                self._fingerprint = fingerprint
            return self._kb
