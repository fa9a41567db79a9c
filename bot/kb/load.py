"""Loading knowledge/: parse every file, check the rules across files, keep it live.

``load_knowledge`` parses (``bot.kb.parse``) and checks (``bot.kb.check``) the YAML files
into a ``KnowledgeBase`` or raises ``KnowledgeError`` listing every problem;
``check_directory`` (``python -m bot kb check``) returns those problems instead;
``KnowledgeCache`` re-loads when a file changes so an edit is live without a restart;
``load_menu`` reads a WeChat menu file alone (``python -m bot wechat menu --file``).
"""

from __future__ import annotations

import logging
import threading
from functools import cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from bot.kb.check import cross_file_problems
from bot.kb.menu import Menu
from bot.kb.models import KnowledgeBase
from bot.kb.parse import knowledge_base, parse_file, parse_files
from bot.kb.problems import KnowledgeError, Problem
from bot.settings import get_settings

DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parents[2] / "knowledge"
MENU_FILE = "wechat_menu.yml"


def default_knowledge_dir() -> Path:
    """The knowledge folder when none is given: ``KNOWLEDGE_DIR`` (``Settings.knowledge_dir``,
    default knowledge/). Every reader without an explicit folder — the NLU components
    (``knowledge_dir: null`` in config.yml), training, the servers, the CLI — ends up here."""
    return get_settings().knowledge_dir


def load_knowledge(directory: Optional[Path] = None) -> KnowledgeBase:
    """Load and fully check knowledge/; raise ``KnowledgeError`` listing every problem."""
    directory = Path(directory or default_knowledge_dir())
    parsed, problems = parse_files(directory)
    if problems:
        raise KnowledgeError(problems)
    kb = knowledge_base(parsed, directory)
    problems = cross_file_problems(kb)
    if problems:
        raise KnowledgeError(problems)
    return kb


def check_directory(directory: Optional[Path] = None) -> List[Problem]:
    """Every problem in knowledge/, schema and cross-file; empty when all is well."""
    try:
        load_knowledge(directory)
    except KnowledgeError as exc:
        return exc.problems
    return []


def knowledge_fingerprint(directory: Path) -> Tuple[Tuple[str, int, int], ...]:
    return tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.glob("*.yml"))
    )


@cache
def _shared(directory: Path) -> KnowledgeCache:
    return KnowledgeCache(directory)


def shared_cache(directory: Optional[Path] = None) -> KnowledgeCache:
    """The process's one ``KnowledgeCache`` of ``directory`` (default KNOWLEDGE_DIR): the channels,
    the actions and the NLU components share it, so an edit is read once per process."""
    return _shared(Path(directory or default_knowledge_dir()).resolve())


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


def menu_path(knowledge_dir: Path | None = None) -> Path:
    if knowledge_dir is None:
        knowledge_dir = get_settings().knowledge_dir
    return Path(knowledge_dir) / MENU_FILE


def load_menu(path: Path | None = None) -> Menu:
    """The menu file alone; ``KnowledgeError`` says what is wrong with it."""
    menu, problems = parse_file(path or menu_path(), Menu)
    if menu is None:
        raise KnowledgeError(problems)
    return menu


def load_asks(path: Path | None = None) -> Dict[str, str]:
    """The CLICK questions, or none when the file is missing (the menu is optional)."""
    path = path or menu_path()
    return load_menu(path).asks() if path.exists() else {}
