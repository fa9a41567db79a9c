"""Versions of the knowledge folder: who changed what, when, and which model went live.

Every program write of a knowledge folder (``bot.kb.edit.check_and_write``: spreadsheet
import, review import, revert, the web console) keeps the state before it and the state
after it as numbered versions in a history folder outside the knowledge folder
(``KNOWLEDGE_HISTORY_DIR``; default ``knowledge_history/`` beside the knowledge folder,
gitignored). A state edited by hand in between is kept too, as a version of its own
("直接编辑") before the next write. Storage is content-addressed, so a version that changes
one file costs one file:

    knowledge_history/
      objects/<sha256>          file contents (each distinct content once)
      versions/000012.json      {version, time, by, action, summary, knowledge_dir, files}
      publishes.jsonl           one line per model that went live: {time, model, version, by}
      .lock                     serialises writers (CLI, console, publish)

``python -m bot kb history`` lists the versions of the current knowledge folder and
``kb revert VERSION`` writes one back through the same validation as every other write.
Operator text (Chinese, for staff) only: nothing here reaches an applicant.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import fcntl
import getpass
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from bot.settings import get_settings

HISTORY_DIR_NAME = "knowledge_history"
KNOWLEDGE_SUFFIXES = (".yml", ".yaml")
UNKNOWN_OPERATOR = "（未记录）"

# actions, as staff read them in ``kb history``
ACTION_LABELS = {
    "manual": "直接编辑",
    "import": "表格导入",
    "review": "审阅导入",
    "revert": "恢复旧版本",
    "console": "网页后台",
    "edit": "程序修改",
}


def default_operator() -> str:
    """The OS user, when a write does not name its operator."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name (e.g. an unnamed uid in a container)
        return f"uid{os.getuid()}"


def history_dir_for(knowledge_dir: Path) -> Path:
    configured = get_settings().knowledge_history_dir
    if configured is not None:
        return Path(configured)
    return Path(knowledge_dir).resolve().parent / HISTORY_DIR_NAME


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")


BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")


def beijing_time(stamp: str) -> str:
    """A history time (ISO 8601 with its offset) as staff read it: Beijing time, to the minute."""
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp.replace("T", " ")[:16]
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def folder_files(directory: Path) -> Dict[str, bytes]:
    """Every file of a knowledge folder (relative POSIX path → bytes); hidden ones (the
    ``.name.tmp`` files of an atomic write) left out."""
    directory = Path(directory)
    files = {}
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            files[relative.as_posix()] = path.read_bytes()
    return files


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass
class Version:
    version: int
    time: str
    by: str
    action: str
    summary: List[str]
    knowledge_dir: str
    files: Dict[str, str]  # relative path → sha256

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


@dataclass
class Publish:
    time: str
    model: str
    version: Optional[int]
    by: str
    knowledge_dir: str
    previous_model: str = ""
    note: str = ""  # why it was published (the console's form, publish --note)


@dataclass
class History:
    """The history folder of one or more knowledge folders."""

    root: Path
    _held: int = field(default=0, repr=False)

    @classmethod
    def for_folder(cls, knowledge_dir: Path) -> History:
        return cls(history_dir_for(knowledge_dir))

    # ── storage ──────────────────────────────────────────────────────────────────────────
    @property
    def objects(self) -> Path:
        return self.root / "objects"

    @property
    def versions_dir(self) -> Path:
        return self.root / "versions"

    @property
    def publishes_file(self) -> Path:
        return self.root / "publishes.jsonl"

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One writer at a time (re-entrant within a process for nested calls)."""
        if self._held:
            self._held += 1
            try:
                yield
            finally:
                self._held -= 1
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            self._held = 1
            try:
                yield
            finally:
                self._held = 0
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _store(self, content: bytes) -> str:
        digest = _digest(content)
        path = self.objects / digest
        if not path.exists():
            self.objects.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{digest}.{os.getpid()}")
            temporary.write_bytes(content)
            os.replace(temporary, path)
        return digest

    def content(self, digest: str) -> bytes:
        return (self.objects / digest).read_bytes()

    def versions(self, knowledge_dir: Optional[Path] = None) -> List[Version]:
        """All versions, oldest first; only those of ``knowledge_dir`` when given."""
        if not self.versions_dir.is_dir():
            return []
        folder = str(Path(knowledge_dir).resolve()) if knowledge_dir is not None else None
        found = []
        for path in sorted(self.versions_dir.glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            version = Version(**data)
            if folder is None or version.knowledge_dir == folder:
                found.append(version)
        return sorted(found, key=lambda v: v.version)

    def get(self, number: int) -> Optional[Version]:
        path = self.versions_dir / f"{number:06d}.json"
        if not path.is_file():
            return None
        return Version(**json.loads(path.read_text(encoding="utf-8")))

    def _next_number(self) -> int:
        numbers = [int(p.stem) for p in self.versions_dir.glob("*.json") if p.stem.isdigit()]
        return max(numbers, default=0) + 1

    def _write_version(self, version: Version) -> None:
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        path = self.versions_dir / f"{version.version:06d}.json"
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_text(
            json.dumps(version.__dict__, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        os.replace(temporary, path)

    # ── versions ─────────────────────────────────────────────────────────────────────────
    def current(self, knowledge_dir: Path) -> Optional[Version]:
        """The latest version whose files are exactly the folder's now (None: unrecorded)."""
        files = {name: _digest(content) for name, content in folder_files(knowledge_dir).items()}
        for version in reversed(self.versions(knowledge_dir)):
            if version.files == files:
                return version
        return None

    def record(
        self,
        knowledge_dir: Path,
        *,
        by: str,
        action: str,
        summary: Optional[List[str]] = None,
    ) -> Version:
        """Keep the folder's current state as a new version."""
        knowledge_dir = Path(knowledge_dir).resolve()
        with self.locked():
            files = {
                name: self._store(content) for name, content in folder_files(knowledge_dir).items()
            }
            mine = self.versions(knowledge_dir)
            lines = list(summary or [])
            if mine:
                lines += describe_file_changes(mine[-1].files, files)
            version = Version(
                version=self._next_number(),
                time=_now(),
                by=by,
                action=action,
                summary=lines,
                knowledge_dir=str(knowledge_dir),
                files=files,
            )
            self._write_version(version)
            return version

    def record_if_unrecorded(self, knowledge_dir: Path) -> Version:
        """The version the folder is now, keeping it first if nobody recorded it (a first
        write, or an edit made in a text editor since the last recorded one)."""
        with self.locked():
            mine = self.versions(knowledge_dir)
            files = {n: _digest(c) for n, c in folder_files(knowledge_dir).items()}
            if mine and mine[-1].files == files:
                return mine[-1]
            note = (
                "开始记录历史时的状态" if not mine else "在文本编辑器中直接修改（写入前自动保存）"
            )
            return self.record(knowledge_dir, by=UNKNOWN_OPERATOR, action="manual", summary=[note])

    def changes(self, number: int) -> Tuple[Optional[Version], List[Tuple[str, List[str]]]]:
        """(the version before ``number`` of the same folder, and per changed file the lines of
        a unified diff from it to ``number``)."""
        version = self.get(number)
        if version is None:
            return None, []
        earlier = [v for v in self.versions(Path(version.knowledge_dir)) if v.version < number]
        before = earlier[-1] if earlier else None
        old_files = before.files if before else {}
        found = []
        for name in sorted({*old_files, *version.files}):
            if old_files.get(name) == version.files.get(name):
                continue
            texts = [
                self.content(files[name]).decode("utf-8", "replace") if name in files else ""
                for files in (old_files, version.files)
            ]
            label = f"版本 {before.version}" if before else "（无）"
            diff = difflib.unified_diff(
                texts[0].splitlines(keepends=True),
                texts[1].splitlines(keepends=True),
                f"{name}（{label}）",
                f"{name}（版本 {number}）",
            )
            found.append((name, [line.rstrip("\n") for line in diff]))
        return before, found

    def restore_texts(self, version: Version) -> Dict[str, bytes]:
        return {name: self.content(digest) for name, digest in version.files.items()}

    # ── publishes ────────────────────────────────────────────────────────────────────────
    def record_publish(
        self,
        knowledge_dir: Path,
        model: str,
        *,
        by: str,
        previous_model: str = "",
        version: Optional[int] = None,
        note: str = "",
    ) -> Publish:
        """Note that ``model`` went live for ``version`` (default: the folder's state now)."""
        with self.locked():
            if version is None:
                version = self.record_if_unrecorded(knowledge_dir).version
            publish = Publish(
                time=_now(),
                model=model,
                version=version,
                by=by,
                knowledge_dir=str(Path(knowledge_dir).resolve()),
                previous_model=previous_model,
                note=note,
            )
            with self.publishes_file.open("a", encoding="utf-8") as out:
                out.write(json.dumps(publish.__dict__, ensure_ascii=False) + "\n")
            return publish

    def publishes(self, knowledge_dir: Optional[Path] = None) -> List[Publish]:
        if not self.publishes_file.is_file():
            return []
        folder = str(Path(knowledge_dir).resolve()) if knowledge_dir is not None else None
        found = []
        for line in self.publishes_file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                publish = Publish(**json.loads(line))
                if folder is None or publish.knowledge_dir == folder:
                    found.append(publish)
        return found


def describe_file_changes(before: Dict[str, str], after: Dict[str, str]) -> List[str]:
    """Which files a version added, changed or removed, for staff."""
    added = [n for n in after if n not in before]
    removed = [n for n in before if n not in after]
    changed = [n for n in after if n in before and before[n] != after[n]]
    lines = []
    if changed:
        lines.append("修改的文件：" + "、".join(changed))
    if added:
        lines.append("新增的文件：" + "、".join(added))
    if removed:
        lines.append("删除的文件：" + "、".join(removed))
    return lines


def undo_hint(knowledge_dir: Path) -> str:
    """After a write: the command that takes the folder back to the state before it."""
    versions = History.for_folder(knowledge_dir).versions(knowledge_dir)
    if len(versions) < 2:
        return ""
    before = versions[-2]
    return (
        f"已记入知识库历史（版本 {versions[-1].version}）；要撤销这次修改，运行："
        f"python -m bot kb revert {before.version} --by 您的名字"
    )
