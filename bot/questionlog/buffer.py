"""The question log's buffer: finished turns wait here until the database has committed them.

* ``put`` (Rasa's event loop) only appends to memory; it never waits for the database.
* A background thread writes the oldest rows in batches; a row leaves the buffer only
  after the transaction holding it has committed.
* A database that is away — connection lost, read-only, locked, restarting — keeps the
  rows; the thread retries with exponential backoff and logs once per outage.
* A row the database refuses for good is set aside in ``<spill>.rejected.jsonl`` (written
  whatever the row holds: a line that cannot be UTF-8 is written with ASCII escapes) and the
  rest of its batch commits: one bad row never holds up the others. Only a database that is
  away keeps a batch waiting; every other exception sets rows aside, never jams the writer.
* When the buffer is full, new rows go to the spill file instead (nothing is dropped);
  on shutdown whatever could not be written goes there too. The spill file (JSONL, mode
  0600) is replayed when the database is back and at the next start; the table's unique
  (sender, message id) makes a replay idempotent, so nothing is counted twice.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Callable, Deque, Dict, Iterable, List, Optional, Sequence

from sqlalchemy.engine import make_url

from bot.questionlog.db import database_url
from bot.questionlog.store import Row, is_transient, write_rows
from bot.questionlog.turns import LoggedTurn
from bot.settings import BUILD_DIR

logger = logging.getLogger(__name__)

Store = Callable[[Sequence[Row], Optional[str]], int]


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


class RowBuffer:
    """A bounded in-memory buffer of finished turns and the thread that commits them."""

    def __init__(
        self,
        url: str | None = None,
        max_buffer: int = 10_000,
        batch_size: int = 200,
        retry_initial: float = 0.5,
        retry_max: float = 10.0,
        spill_path: str | Path | None = None,
        store: Store = write_rows,
    ):
        self.url = url
        self.max_buffer = max(1, int(max_buffer))
        self.batch_size = max(1, int(batch_size))
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.store = store
        if spill_path is None:
            spill_path = default_spill_path(database_url(url))
        self.spill = SpillFile(Path(spill_path))
        self._buffer: Deque[LoggedTurn] = collections.deque()
        self._cond = threading.Condition()
        self._stopping = False
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._busy = False
        self._replay_due = True
        self._down_since: float | None = None
        self.written = 0
        self.duplicates = 0
        self.spilled = 0
        self.replayed = 0
        self.rejected = 0
        self.failures = 0

    # -- producer side (Rasa's event loop): cheap, never raises ------------

    def put(self, row: LoggedTurn) -> None:
        with self._cond:
            if self._stopped:
                self._spill([row], "关闭后")
                return
            if len(self._buffer) >= self.max_buffer:
                self._spill([row], "缓冲区已满")
                return
            self._buffer.append(row)
            self._ensure_thread()
            self._cond.notify_all()

    def start(self) -> None:
        """Start the writer now (it replays what an earlier run left in the spill file)."""
        with self._cond:
            self._ensure_thread()

    def stats(self) -> Dict[str, int]:
        with self._cond:
            return {
                "buffered": len(self._buffer),
                "written": self.written,
                "duplicates": self.duplicates,
                "spilled": self.spilled,
                "replayed": self.replayed,
                "rejected": self.rejected,
                "failures": self.failures,
            }

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every row, buffered or spilled, is committed (True) or the timeout passes."""
        deadline = time.monotonic() + timeout
        with self._cond:
            if self.spill.pending():
                self._replay_due = True
            if self._buffer or self._replay_due:
                self._ensure_thread()
            self._cond.notify_all()
            while self._buffer or self._busy or self._replay_due:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self._thread is None or not self._thread.is_alive()):
                    return not (self._buffer or self._busy or self._replay_due)
                self._cond.wait(min(remaining, 0.05))
        return True

    def stop(self, timeout: float = 5.0) -> int:
        """Write what can be written within ``timeout``, then stop; spill the rest. Returns
        spilled."""
        self.flush(timeout)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=max(timeout, 1.0))
        with self._cond:
            self._stopped = True
            left = list(self._buffer)
            self._buffer.clear()
            if left:
                self._spill(left, "关闭时")
            return len(left)

    # -- consumer side (background thread) ---------------------------------

    def _spill(self, rows: List[LoggedTurn], why: str) -> None:
        try:
            self.spill.append(rows)
        except Exception as exc:  # a full or read-only disk: say so, loudly
            logger.critical(
                "问题日志有 %d 条既写不进数据库也写不进暂存文件 %s（%s）！",
                len(rows),
                self.spill.path,
                exc.__class__.__name__,
            )
            return
        before = self.spilled
        self.spilled += len(rows)
        if before == 0 or before // 100 != self.spilled // 100 or why != "缓冲区已满":
            logger.warning(
                "问题日志%s：%d 条暂存到本地文件 %s，数据库可用时补写（累计 %d 条）。",
                why,
                len(rows),
                self.spill.path,
                self.spilled,
            )

    def _ensure_thread(self) -> None:
        if self._stopped:
            return
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._thread = threading.Thread(
                target=self._run, name="question-log-writer", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        delay = self.retry_initial
        while True:
            with self._cond:
                while not self._buffer and not self._stopping and not self._replay_due:
                    self._cond.wait()
                if self._stopping:
                    return
                replay = self._replay_due and not self._buffer
                batch = [] if replay else list(self._iter_batch())
                self._busy = True
            try:
                if replay:
                    self._replay()
                else:
                    self._write(batch)
            except Exception as exc:  # database away: keep everything, retry later
                with self._cond:
                    self._busy = False
                    self.failures += 1
                    if self._down_since is None:
                        self._down_since = time.monotonic()
                        logger.warning(
                            "问题日志暂时写不进数据库（%s），%d 条已缓存，稍后重试。",
                            exc.__class__.__name__,
                            len(self._buffer),
                        )
                    else:
                        logger.debug("question log write failed again: %s", exc.__class__.__name__)
                    self._cond.notify_all()
                    self._cond.wait(delay)
                    if self._stopping:
                        return
                delay = min(delay * 2, self.retry_max)
                continue
            with self._cond:
                self._busy = False
                if self._down_since is not None:
                    logger.warning(
                        "问题日志数据库已恢复（中断约 %.0f 秒），缓存的记录正在补写。",
                        time.monotonic() - self._down_since,
                    )
                    self._down_since = None
                if not self._buffer and self.spill.pending():
                    self._replay_due = True
                self._cond.notify_all()
            delay = self.retry_initial

    def _iter_batch(self) -> Iterable[LoggedTurn]:
        for index in range(min(self.batch_size, len(self._buffer))):
            yield self._buffer[index]

    def _write(self, batch: List[LoggedTurn]) -> None:
        """Commit ``batch`` (raises if the database is away), then take it out of the buffer."""
        try:
            inserted = self.store(batch, self.url)
            refused: List[LoggedTurn] = []
        except Exception as exc:
            if is_transient(exc):
                raise
            inserted, refused = self._one_by_one(batch)
        with self._cond:
            for row in batch:  # the oldest rows are exactly this batch (put only appends)
                if self._buffer and self._buffer[0] is row:
                    self._buffer.popleft()
            self.written += inserted
            self.duplicates += len(batch) - inserted - len(refused)

    def _one_by_one(self, batch: List[LoggedTurn]) -> tuple:
        inserted = 0
        refused: List[LoggedTurn] = []
        for row in batch:
            try:
                inserted += self.store([row], self.url)
            except Exception as exc:
                if is_transient(exc):
                    raise
                refused.append(row)
                logger.error(
                    "问题日志有一条记录数据库拒收（%s），已另存到 %s。",
                    exc.__class__.__name__,
                    self.spill.rejected,
                )
        if refused:
            try:
                self.spill.append(refused, self.spill.rejected)
            except Exception as exc:  # a full or read-only disk: the rest of the batch goes on
                logger.critical(
                    "问题日志有 %d 条被拒收的记录无法另存（%s）！",
                    len(refused),
                    exc.__class__.__name__,
                )
            with self._cond:
                self.rejected += len(refused)
        return inserted, refused

    def _replay(self) -> None:
        """Write the spill file's rows; delete the file only once all are committed."""
        path = self.spill.take()
        if path is None:
            with self._cond:
                self._replay_due = self.spill.pending()
            return
        rows = SpillFile.read(path)
        inserted_total = 0
        for start in range(0, len(rows), self.batch_size):
            batch = rows[start : start + self.batch_size]
            try:
                inserted = self.store(batch, self.url)
            except Exception as exc:
                if is_transient(exc):
                    raise  # the file stays; the next attempt skips what is already stored
                inserted, refused = self._one_by_one(batch)
            else:
                refused = []
            inserted_total += inserted
            with self._cond:
                self.written += inserted
                self.replayed += inserted
                self.duplicates += len(batch) - inserted - len(refused)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        if rows:
            logger.warning(
                "问题日志暂存文件已补写：%d 条，其中 %d 条新写入（其余已在数据库中）。",
                len(rows),
                inserted_total,
            )
        with self._cond:
            self._replay_due = self.spill.pending()
