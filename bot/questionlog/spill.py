"""The question log's spill file: rows kept on local disk while the database cannot take them.

``bot.questionlog.buffer.RowBuffer`` appends here when its buffer is full, at shutdown and for
rows the database refuses for good (``<spill>.rejected.jsonl``), and replays the file when the
database is back. JSON lines, mode 0600, one row per (sender, message id) when read back; a
line a crash cut short is skipped and counted in the log.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from sqlalchemy.engine import make_url

from bot.questionlog.turns import LoggedTurn
from bot.settings import BUILD_DIR

logger = logging.getLogger(__name__)


def default_spill_path(url: str) -> Path:
    """Next to a SQLite file; in .build/ (one file per database URL) otherwise."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return Path(parsed.database).with_name(Path(parsed.database).name + ".spill.jsonl")
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]
    return BUILD_DIR / f"question_log_spill_{digest}.jsonl"


def spill_line(row: LoggedTurn) -> str:
    """One JSON line for ``row``, whatever it holds: readable UTF-8 when it can be, else ASCII
    escapes (a lone surrogate stays ``\\ud800``), else the row's repr — never an exception."""
    try:
        line = row.to_json()
        line.encode("utf-8")
        return line
    except Exception:
        pass
    try:
        record = row.as_record() if isinstance(row, LoggedTurn) else dict(row)
        return json.dumps(record, ensure_ascii=True, default=str)
    except Exception:
        return json.dumps({"unreadable_row": repr(row)}, ensure_ascii=True)


class SpillFile:
    """Rows kept on local disk: appended as JSON lines to a file only the owner can read."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.replaying = self.path.with_name(self.path.name + ".replaying")
        self.rejected = self.path.with_name(
            self.path.name.replace(".jsonl", "") + ".rejected.jsonl"
        )
        self._lock = threading.Lock()

    def append(self, rows: Iterable[LoggedTurn], target: Optional[Path] = None) -> int:
        lines = "".join(spill_line(row) + "\n" for row in rows)
        if not lines:
            return 0
        path = target or self.path
        with self._lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.fchmod(fd, 0o600)
                os.write(fd, lines.encode("utf-8"))  # spill_line's lines always encode
                os.fsync(fd)
            finally:
                os.close(fd)
        return lines.count("\n")

    def pending(self) -> bool:
        return self.replaying.exists() or self.path.exists()

    def take(self) -> Optional[Path]:
        """The file to replay now: an interrupted replay first, else the current spill file."""
        with self._lock:
            if self.replaying.exists():
                return self.replaying
            if self.path.exists():
                os.replace(self.path, self.replaying)  # new spills start a fresh file
                return self.replaying
        return None

    @staticmethod
    def read(path: Path) -> List[LoggedTurn]:
        """Rows of a spill file, one per (sender, message id); unreadable lines are logged."""
        rows: Dict[tuple, LoggedTurn] = {}
        bad = 0
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    row = LoggedTurn.from_record(json.loads(line))
                except Exception:  # a line cut short by a crash, or not a row at all
                    bad += 1
                    continue
                rows[row.key] = row
        if bad:
            logger.error("问题日志暂存文件 %s 有 %d 行无法读取，已跳过。", path.name, bad)
        return list(rows.values())
