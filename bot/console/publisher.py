"""``python -m bot publish`` in the background, one at a time, its output kept for the page."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, List, Optional, Sequence

from bot.settings import PROJECT_DIR

PUBLISH_COMMAND = (sys.executable, "-m", "bot", "publish")
KEEP_LINES = 400


@dataclass
class PublishJob:
    started_by: str
    started_at: float
    lines: List[str] = field(default_factory=list)
    returncode: Optional[int] = None
    finished_at: Optional[float] = None

    @property
    def running(self) -> bool:
        return self.returncode is None

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class Publisher:
    """Runs the publish command in a thread; ``on_done(job)`` is called when it ends."""

    def __init__(
        self,
        command: Sequence[str] = PUBLISH_COMMAND,
        cwd: Path = PROJECT_DIR,
        log: Optional[Path] = None,
    ) -> None:
        self.command = list(command)
        self.cwd = cwd
        self.log = log
        self.job: Optional[PublishJob] = None
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None

    def start(self, user: str, on_done: Callable[[PublishJob], None]) -> Optional[PublishJob]:
        """The new job, or None when one is already running."""
        with self._lock:
            if self.job is not None and self.job.running:
                return None
            job = self.job = PublishJob(started_by=user, started_at=time.time())
        self._thread = threading.Thread(target=self._run, args=(job, on_done), daemon=True)
        self._thread.start()
        return job

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, job: PublishJob, on_done: Callable[[PublishJob], None]) -> None:
        try:
            process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
        except OSError as exc:
            job.lines.append(f"无法启动发布命令：{exc}")
            job.returncode = -1
        else:
            assert process.stdout is not None
            with process.stdout:
                for line in process.stdout:
                    job.lines.append(line.rstrip("\n"))
                    del job.lines[:-KEEP_LINES]
            job.returncode = process.wait()
        job.finished_at = time.time()
        if self.log is not None:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            self.log.write_text("\n".join(job.lines) + "\n", encoding="utf-8")
        on_done(job)
