"""``python -m bot publish`` in the background, one at a time: its stages (from the progress
file publish writes, ``bot.ops.publish.stage``) with elapsed and remaining time, its output kept
for the page, and a plain-language summary at the end."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from bot.ops.publish import PROGRESS_FILE_ENV
from bot.settings import PROJECT_DIR

PUBLISH_COMMAND = (sys.executable, "-m", "bot", "publish")
KEEP_LINES = 400
# (stage, label) in the order publish goes through them
STAGES: Tuple[Tuple[str, str], ...] = (
    ("check", "检查知识库"),
    ("train", "训练新模型（助手照常用原模型回答）"),
    ("load", "加载新模型并用全部标准问检查，通过后切换"),
    ("verify", "切换后核对"),
)
# seconds each stage took last time, until one has been measured here (2-core machine)
DEFAULT_SECONDS = {"check": 3.0, "train": 150.0, "load": 20.0, "verify": 3.0}


@dataclass
class StageView:
    label: str
    state: str  # done / running / waiting / skipped
    elapsed: float = 0.0
    remaining: Optional[float] = None  # an estimate, from the last publish
    percent: int = 0


@dataclass
class PublishJob:
    started_by: str
    started_at: float
    note: str = ""
    lines: List[str] = field(default_factory=list)
    returncode: Optional[int] = None
    finished_at: Optional[float] = None
    progress_file: Optional[Path] = None
    expected: Dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SECONDS))

    @property
    def running(self) -> bool:
        return self.returncode is None

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def stage_times(self) -> List[Tuple[str, float]]:
        """(stage, when it began) as publish noted them."""
        if self.progress_file is None or not self.progress_file.is_file():
            return []
        found = []
        for line in self.progress_file.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line)
                found.append((str(event["stage"]), float(event["time"])))
            except (ValueError, KeyError, TypeError):
                continue
        return found

    def durations(self) -> Dict[str, float]:
        """Seconds each stage took (the running one: so far)."""
        times = self.stage_times()
        end = self.finished_at or time.time()
        return {
            name: max(0.0, (times[i + 1][1] if i + 1 < len(times) else end) - began)
            for i, (name, began) in enumerate(times)
        }

    def stages(self, now: Optional[float] = None) -> List[StageView]:
        now = now or time.time()
        begun = dict(self.stage_times())
        current = max(begun, key=begun.get) if begun and self.running else None
        took = self.durations()
        views = []
        for name, label in STAGES:
            expected = self.expected.get(name, DEFAULT_SECONDS[name])
            if name not in begun:
                state = "skipped" if not self.running else "waiting"
                views.append(StageView(label, state, remaining=expected if self.running else None))
            elif name == current:
                elapsed = now - begun[name]
                share = min(elapsed / expected, 0.99) if expected else 0.99
                views.append(
                    StageView(
                        label, "running", elapsed, max(expected - elapsed, 0), int(share * 100)
                    )
                )
            else:
                views.append(StageView(label, "done", took.get(name, 0.0), 0, 100))
        return views

    def remaining(self) -> Optional[float]:
        if not self.running:
            return None
        return sum(v.remaining or 0 for v in self.stages() if v.state in ("running", "waiting"))

    def summary(self) -> str:
        """What happened, in plain words (no model names)."""
        text = "\n".join(self.lines)
        minutes, seconds = divmod(int((self.finished_at or time.time()) - self.started_at), 60)
        took = f"共用时 {minutes} 分 {seconds} 秒" if minutes else f"共用时 {seconds} 秒"
        if self.ok and "无需切换" in text:
            return f"不需要切换：助手已在使用与当前知识库对应的模型（{took}）。"
        if self.ok and "没有在运行" in text:
            return f"新模型已准备好，但助手现在没有在运行：下次启动助手时会使用它（{took}）。"
        if self.ok:
            return f"发布成功：助手已改用新模型回答，新问法和新问答现在都能识别了（{took}）。"
        reason = next((line for line in self.lines if line.startswith("发布失败")), "")
        reason = reason.removeprefix("发布失败：") or f"发布命令退出码 {self.returncode}"
        return f"发布没有完成：{reason}。助手继续使用原来的模型，回答不受影响（{took}）。"


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

    @property
    def _durations_file(self) -> Optional[Path]:
        return self.log.with_name(self.log.stem + "-durations.json") if self.log else None

    def _expected(self) -> Dict[str, float]:
        expected = dict(DEFAULT_SECONDS)
        path = self._durations_file
        if path is not None and path.is_file():
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                expected.update({k: float(v) for k, v in json.loads(path.read_text()).items()})
        return expected

    def start(
        self, user: str, on_done: Callable[[PublishJob], None], note: str = ""
    ) -> Optional[PublishJob]:
        """The new job, or None when one is already running."""
        with self._lock:
            if self.job is not None and self.job.running:
                return None
            job = self.job = PublishJob(
                started_by=user, started_at=time.time(), note=note, expected=self._expected()
            )
        if self.log is not None:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            job.progress_file = self.log.with_name(self.log.stem + "-progress.jsonl")
            job.progress_file.unlink(missing_ok=True)
        self._thread = threading.Thread(target=self._run, args=(job, on_done), daemon=True)
        self._thread.start()
        return job

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, job: PublishJob, on_done: Callable[[PublishJob], None]) -> None:
        env = dict(os.environ)
        if job.progress_file is not None:
            env[PROGRESS_FILE_ENV] = str(job.progress_file)
        command = [*self.command, "--by", job.started_by, "--note", job.note]
        try:
            process = subprocess.Popen(
                command,
                cwd=self.cwd,
                env=env,
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
            self.log.write_text("\n".join(job.lines) + "\n", encoding="utf-8")
            if job.ok and self._durations_file is not None:
                # a publish that found its model already trained says nothing of training time,
                # nor does a stage over in a blink of the others' typical length
                took = {
                    k: v for k, v in job.durations().items() if v >= (10 if k == "train" else 1)
                }
                measured = {**job.expected, **took}
                self._durations_file.write_text(json.dumps(measured))
        on_done(job)
