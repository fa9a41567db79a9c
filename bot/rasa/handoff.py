"""Serve a new model without a second of downtime: hand the listening socket to a new process.

``python -m bot run`` (``bot.ops.serve``) owns the public socket and passes it to its Rasa server
process (``bot.rasa.server``), which serves on it. To serve another model it starts a second
Rasa server process on the *same* socket. That process loads the model, checks it on the
texts it was given and warms TensorFlow up — on the other core, while the first process
keeps answering at its normal speed — and only then starts accepting connections. The
first process is then stopped the way Sanic stops: it stops accepting and finishes the
requests it has (``GRACEFUL_SHUTDOWN_TIMEOUT``). Connections waiting to be accepted are
never lost: their queue belongs to the socket, which both processes share. A model that
does not load or fails the check never accepts a connection; the old process serves on.

This module is the protocol between ``bot.ops.serve`` (the supervisor) and whoever asks for a
model (``python -m bot publish``), through files in the server's control folder
(``.build/serve/<port>/``):

* ``supervisor.json`` — the supervisor's pid and the model it serves, written at start;
* ``requests/<id>.json`` — the model to serve, the texts to check it on, the share that
  must be right; the asker then sends ``SIGUSR1`` to the supervisor;
* ``results/<id>.json`` — what happened: swapped or not, why, load time, check results.

A Rasa server process reports through its own status file (``--status``): ``loaded`` with
the check results once the model is loaded (``ok`` false: it exits without serving), then
``serving`` once it accepts connections.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from bot.settings import BUILD_DIR

HANDOFF_SIGNAL = signal.SIGUSR1
# the new process loads beside the serving one; on this 2-core machine under load, well
# within a minute (measured in docs/deploy.md); a process that takes longer is given up
LOAD_TIMEOUT_S = 600.0
# a standby process (Request.standby) waits this long for its model, then is stopped
STANDBY_TIMEOUT_S = 3600.0
# a Rasa process whose model does not load or fails its check exits with this code, unserved
MODEL_REFUSED_EXIT = 3


def control_dir(port: int, build_dir: Path = BUILD_DIR) -> Path:
    return build_dir / "serve" / str(port)


def write_json(path: Path, content: Dict[str, Any]) -> None:
    """Write ``content`` to ``path`` atomically (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}")
    temporary.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)


def read_json(path: Path) -> Optional[Dict[str, Any]]:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return content if isinstance(content, dict) else None


@dataclass
class Request:
    """One operator's request: serve ``model`` if at least ``min_right`` of ``expect``'s
    texts (text → intent) get their intent. ``standby``: only start a Rasa process that
    imports Rasa and TensorFlow and waits for the model (asked before training, so the
    handoff after it only loads the model); ``release``: stop that process again."""

    model: str = ""
    expect: Dict[str, str] = field(default_factory=dict)
    min_right: float = 0.0
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    standby: bool = False
    release: bool = False

    @classmethod
    def from_dict(cls, content: Dict[str, Any]) -> Request:
        expect = content.get("expect") or {}
        return cls(
            model=str(content.get("model") or ""),
            expect={str(k): str(v) for k, v in expect.items()} if isinstance(expect, dict) else {},
            min_right=float(content.get("min_right") or 0.0),
            id=str(content.get("id") or uuid.uuid4().hex),
            standby=bool(content.get("standby")),
            release=bool(content.get("release")),
        )

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


@dataclass
class CheckReport:
    """How the new model parsed the texts it was given (written by ``bot.rasa.server``)."""

    right: int = 0
    checked: int = 0
    wrong: List[str] = field(default_factory=list)
    load_seconds: float = 0.0

    def passes(self, min_right: float) -> bool:
        return self.checked == 0 or self.right >= min_right * self.checked


@dataclass
class Result:
    """What came of a request (``results/<id>.json``)."""

    swapped: bool
    model_file: str
    previous: Dict[str, Optional[str]]
    error: str = ""
    refused: bool = False  # loaded, but failed the check
    right: int = 0
    checked: int = 0
    wrong: List[str] = field(default_factory=list)
    load_seconds: float = 0.0

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


class Control:
    """The control folder of the server on one port."""

    def __init__(self, port: int, build_dir: Path = BUILD_DIR) -> None:
        self.dir = control_dir(port, build_dir)

    @property
    def supervisor_file(self) -> Path:
        return self.dir / "supervisor.json"

    def request_file(self, request_id: str) -> Path:
        return self.dir / "requests" / f"{request_id}.json"

    def result_file(self, request_id: str) -> Path:
        return self.dir / "results" / f"{request_id}.json"

    def status_file(self, name: str) -> Path:
        return self.dir / "processes" / f"{name}.json"

    # supervisor side

    def announce(self, model: Path) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        for sub in ("requests", "results", "processes"):
            (self.dir / sub).mkdir(exist_ok=True)
        write_json(self.supervisor_file, {"pid": os.getpid(), "model": str(model)})

    def serving(self, model: Path) -> None:
        content = read_json(self.supervisor_file) or {"pid": os.getpid()}
        write_json(self.supervisor_file, {**content, "model": str(model)})

    def withdraw(self) -> None:
        content = read_json(self.supervisor_file)
        if content and content.get("pid") == os.getpid():
            self.supervisor_file.unlink(missing_ok=True)

    def pending_requests(self) -> List[Request]:
        """Requests not answered yet, oldest first (each is removed once read)."""
        folder = self.dir / "requests"
        if not folder.is_dir():
            return []
        files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        requests = []
        for path in files:
            content = read_json(path)
            path.unlink(missing_ok=True)
            if content is not None:
                requests.append(Request.from_dict(content))
        return requests

    def answer(self, request: Request, result: Result) -> None:
        write_json(self.result_file(request.id), result.to_dict())

    # operator side

    def supervisor_pid(self) -> Optional[int]:
        """The pid of a live supervisor serving this port, if any."""
        content = read_json(self.supervisor_file)
        pid = content.get("pid") if content else None
        if not isinstance(pid, int):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # alive, another user's: signalling it will say so
        return pid

    def served_model(self) -> Optional[Path]:
        """The model a live supervisor on this port serves (None: no supervisor)."""
        content = read_json(self.supervisor_file)
        if self.supervisor_pid() is None or not content or not content.get("model"):
            return None
        return Path(str(content["model"]))

    def tell(self, request: Request) -> int:
        """Hand ``request`` to the supervisor (its pid); no answer is awaited."""
        pid = self.supervisor_pid()
        if pid is None:
            raise ProcessLookupError("no supervisor")
        write_json(self.request_file(request.id), request.to_dict())
        os.kill(pid, HANDOFF_SIGNAL)
        return pid

    def ask(self, request: Request, timeout: float = LOAD_TIMEOUT_S + 60) -> Result:
        """Hand ``request`` to the supervisor and wait for its result."""
        pid = self.tell(request)
        deadline = time.monotonic() + timeout
        result_file = self.result_file(request.id)
        while time.monotonic() < deadline:
            content = read_json(result_file)
            if content is not None:
                result_file.unlink(missing_ok=True)
                return Result(**content)
            if self.supervisor_pid() != pid:
                raise ProcessLookupError("the supervisor stopped")
            time.sleep(0.2)
        raise TimeoutError(f"no result within {timeout:.0f} s")


def write_status(path: Path, phase: str, **values: Any) -> None:
    """A Rasa server process's progress; what an earlier phase reported is kept."""
    previous = read_json(path) or {}
    write_json(path, {**previous, "phase": phase, "pid": os.getpid(), **values})
