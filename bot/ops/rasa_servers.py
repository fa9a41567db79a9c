"""The Rasa server processes behind the public port, for ``bot.ops.serve``: the socket is opened
here and handed to each process (``bot.rasa.server``); a new model is served by starting a
second process on the same socket, which takes over once it has loaded and checked it, while
the old one finishes its requests (``bot.rasa.handoff``: the request and result files).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from bot.ops.runtime_config import write_private
from bot.rasa.handoff import (
    LOAD_TIMEOUT_S,
    STANDBY_TIMEOUT_S,
    Control,
    Request,
    Result,
    read_json,
)
from bot.settings import PROJECT_DIR, Settings

LISTEN_BACKLOG = 1024  # connections queue here while a Rasa process starts or hands over
# niceness of a Rasa process while it loads a new model beside the serving one; once it
# serves it gets the supervisor's own (lowering niceness needs root, CAP_SYS_NICE or a
# raised RLIMIT_NICE; without, it keeps +10, which matters only when other work competes)
LOAD_NICE = 10


@dataclass
class RasaProcess:
    """One Rasa server process on the shared socket (``bot.rasa.server``)."""

    process: subprocess.Popen
    model: Path
    status_file: Path
    spec_file: Path
    started: float = field(default_factory=time.monotonic)

    def status(self) -> Dict[str, Any]:
        return read_json(self.status_file) or {}


class RasaServers:
    """The Rasa server processes behind the public port (``bot.rasa.handoff``): the one serving,
    a new one while it loads a requested model, old ones while they finish their requests."""

    RETIRE_TIMEOUT_S = 60.0  # Sanic finishes running requests within 15 s, then exits

    def __init__(
        self,
        settings: Settings,
        paths: Dict[str, Path],
        env: Dict[str, str],
        control: Optional[Control] = None,
        command: Optional[List[str]] = None,
    ) -> None:
        self.settings = settings
        self.paths = paths
        self.env = env
        self.control = control or Control(settings.port)
        self.command = command or [sys.executable, "-m", "bot.rasa.server"]
        self.listener = open_listener(settings.port)
        self.current: Optional[RasaProcess] = None
        self.pending: Optional[Tuple[Request, RasaProcess]] = None
        self.standby: Optional[RasaProcess] = None
        # old processes finishing their requests, with the answer to give once they have
        self.retiring: List[Tuple[RasaProcess, float, Optional[Tuple[Request, Result]]]] = []
        self.requested = False
        self._count = 0

    def start(self, model: Path, request: Optional[Request] = None) -> RasaProcess:
        """A Rasa process for ``model``: the standby one if it waits (``Request.standby``),
        else a new one; for a ``request``, at low priority beside the serving one."""
        standby, self.standby = self.standby, None
        if request is not None and standby is not None and standby.process.poll() is None:
            self._write_spec(standby.spec_file, standby.status_file, model, request)
            standby.model, standby.started = model, time.monotonic()
            return standby
        if standby is not None:
            standby.process.kill()
            standby.process.wait()
        status, spec = self._files()
        self._write_spec(spec, status, model, request)
        return self._spawn(spec, status, model, low_priority=request is not None)

    def start_standby(self) -> None:
        """A Rasa process that imports Rasa and TensorFlow now and waits for its spec."""
        status, spec = self._files()
        self.standby = self._spawn(spec, status, Path(""), low_priority=True)

    def _files(self) -> Tuple[Path, Path]:
        self._count += 1
        name = f"rasa-{os.getpid()}-{self._count}"
        status = self.control.status_file(name)
        status.unlink(missing_ok=True)
        spec = status.with_name(f"{name}.spec.json")
        spec.unlink(missing_ok=True)
        return status, spec

    def _write_spec(
        self, spec: Path, status: Path, model: Path, request: Optional[Request]
    ) -> None:
        content = {
            "fd": self.listener.fileno(),
            "port": self.settings.port,
            "model": str(model),
            "credentials": str(self.paths["credentials"]),
            "endpoints": str(self.paths["endpoints"]),
            # the model API (status, parse), for python -m bot publish; every call needs it
            "auth_token": self.settings.effective_rasa_api_token(),
            "status": str(status),
            "expect": request.expect if request else {},
            "min_right": request.min_right if request else 0.0,
        }
        write_private(spec, json.dumps(content, ensure_ascii=False))

    def _spawn(self, spec: Path, status: Path, model: Path, low_priority: bool) -> RasaProcess:
        process = subprocess.Popen(
            [*self.command, str(spec)],
            cwd=PROJECT_DIR,
            env=self.env,
            pass_fds=(self.listener.fileno(),),
            # a process loading beside the serving one takes only the CPU it leaves
            preexec_fn=(lambda: os.nice(LOAD_NICE)) if low_priority else None,
        )
        return RasaProcess(process, model, status, spec)

    def start_first(self, model: Path, timeout: float) -> None:
        self.control.announce(model)
        self.current = self.start(model)
        deadline = time.monotonic() + timeout
        while self.current.status().get("phase") != "serving":
            if self.current.process.poll() is not None:
                status = self.current.status()
                raise SystemExit(
                    f"Rasa 服务进程意外退出（退出码 {self.current.process.returncode}"
                    f"{'：' + status['error'] if status.get('error') else ''}）"
                )
            if time.monotonic() > deadline:
                raise SystemExit(f"等待 Rasa 服务启动超时（{timeout:.0f} 秒）")
            time.sleep(0.2)

    def on_signal(self, *_: object) -> None:
        self.requested = True

    def poll(self) -> Optional[int]:
        """The serving process's exit code, or None while it runs; meanwhile starts, completes
        or gives up handoffs and reaps retired processes."""
        if self.requested:
            self.requested = False
            self._take_requests()
        if self.pending is not None:
            self._advance_pending()
        if self.standby is not None and (
            self.standby.process.poll() is not None
            or time.monotonic() - self.standby.started > STANDBY_TIMEOUT_S
        ):
            self.standby.process.terminate()
            self.retiring.append((self.standby, time.monotonic(), None))
            self.standby = None
        self._reap()
        assert self.current is not None
        return self.current.process.poll()

    def _take_requests(self) -> None:
        for request in self.control.pending_requests():
            if request.standby or request.release:
                if self.standby is not None:
                    self.standby.process.terminate()
                    self.retiring.append((self.standby, time.monotonic(), None))
                    self.standby = None
                if request.standby and self.pending is None:
                    self.start_standby()
                continue
            model = Path(request.model)
            previous = self._model_info(self.current)
            if self.pending is not None:
                self.control.answer(
                    request, Result(False, model.name, previous, error="另一次切换正在进行")
                )
            elif not model.is_file():
                self.control.answer(
                    request, Result(False, model.name, previous, error=f"找不到模型文件 {model}")
                )
            else:
                print(f"正在旁路加载新模型 {model.name} / loading a new model beside", flush=True)
                self.pending = (request, self.start(model, request))

    @staticmethod
    def _model_info(process: Optional[RasaProcess]) -> Dict[str, Optional[str]]:
        if process is None:
            return {"model_file": None, "model_path": None}
        return {"model_file": process.model.name, "model_path": str(process.model)}

    def _advance_pending(self) -> None:
        assert self.pending is not None and self.current is not None
        request, new = self.pending
        status = new.status()
        code = new.process.poll()
        checked = {
            key: status[key]
            for key in ("right", "checked", "wrong", "load_seconds")
            if key in status
        }
        result = Result(False, new.model.name, self._model_info(self.current), **checked)
        if status.get("phase") == "serving":
            old, self.current, self.pending = self.current, new, None
            if not renice_process(new.process.pid, os.getpriority(os.PRIO_PROCESS, 0)):
                print(
                    "注意：无法调回新 Rasa 进程的优先级（需要 root、CAP_SYS_NICE 或 "
                    f"RLIMIT_NICE），它以 nice +{LOAD_NICE} 运行 / could not renice it",
                    file=sys.stderr,
                    flush=True,
                )
            old.process.terminate()  # Sanic: stop accepting, finish the running requests
            result.swapped = True
            self.control.serving(new.model)
            print(f"新模型 {new.model.name} 已接替 / now serving", flush=True)
            # answered once the old process has exited: from then on every request is new's
            self.retiring.append((old, time.monotonic(), (request, result)))
            return
        if code is None and time.monotonic() - new.started < LOAD_TIMEOUT_S:
            return
        if code is None:
            new.process.kill()
            new.process.wait()
            result.error = f"新模型 {LOAD_TIMEOUT_S:.0f} 秒内没有加载完"
        elif (
            status.get("phase") == "loaded" and status.get("ok") is False and "error" not in status
        ):
            result.refused = True
        else:
            result.error = str(status.get("error") or f"Rasa 服务进程退出（退出码 {code}）")
        self.pending = None
        self.control.answer(request, result)
        print(f"新模型 {new.model.name} 未启用：{result.error or '检查未通过'}", flush=True)

    def _reap(self) -> None:
        still = []
        for process, since, answer in self.retiring:
            if process.process.poll() is None:
                if time.monotonic() - since < self.RETIRE_TIMEOUT_S:
                    still.append((process, since, answer))
                    continue
                process.process.kill()
                process.process.wait()
            if answer is not None:
                self.control.answer(*answer)
            process.status_file.unlink(missing_ok=True)
            process.spec_file.unlink(missing_ok=True)
        self.retiring = still

    def processes(self) -> List[subprocess.Popen]:
        found = [p.process for p, _, _ in self.retiring]
        if self.standby is not None:
            found.append(self.standby.process)
        if self.pending is not None:
            found.append(self.pending[1].process)
        if self.current is not None:
            found.append(self.current.process)
        return found

    def close(self) -> None:
        """After the processes have ended: no supervisor file, no spec (it holds the token)."""
        self.control.withdraw()
        self.listener.close()
        known = [self.current, self.standby, *(p for p, _, _ in self.retiring)]
        if self.pending is not None:
            known.append(self.pending[1])
        for process in filter(None, known):
            process.spec_file.unlink(missing_ok=True)
            process.status_file.unlink(missing_ok=True)


def renice_process(pid: int, niceness: int) -> bool:
    """Give every thread of ``pid`` (Linux: nice is per thread; TensorFlow's pools were
    started at the loading priority) ``niceness``; False if not allowed."""
    tasks = Path(f"/proc/{pid}/task")
    ids = [int(t.name) for t in tasks.iterdir()] if tasks.is_dir() else [pid]
    try:
        for task in ids:
            try:
                os.setpriority(os.PRIO_PROCESS, task, niceness)
            except ProcessLookupError:
                continue  # a thread that just ended
    except PermissionError:
        return False
    return True


def open_listener(port: int) -> socket.socket:
    """The public socket, opened here and passed to every Rasa server process
    (``bot.rasa.handoff``)."""
    try:
        listener = socket.create_server(("0.0.0.0", port), backlog=LISTEN_BACKLOG)
    except OSError as exc:
        raise SystemExit(f"无法监听端口 {port}：{exc.strerror}（是否已有助手在运行？）") from None
    listener.set_inheritable(True)
    return listener
