"""bot/ops/rasa_servers.py + bot/rasa/handoff.py: a new model is served by a second process on
the same socket.

The Rasa server processes are stood in for by tests/support/fake_rasa_server.py (same spec,
status file and inherited socket; seconds instead of a minute); the supervisor side
(``RasaServers``), the operator side (``Control.ask``: request file and SIGUSR1) and the
sockets are real. Requests keep coming from other threads the whole time: none may fail.
tests/e2e/test_publish_e2e.py does the same with Rasa itself.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import List, Tuple

import pytest

from bot.ops.rasa_servers import RasaServers
from bot.rasa.handoff import HANDOFF_SIGNAL, Control, Request, Result, write_json
from bot.settings import Settings
from tests.support.ports import free_port

FAKE = [
    sys.executable,
    str(Path(__file__).parents[3] / "tests" / "support" / "fake_rasa_server.py"),
]


def model(tmp_path: Path, name: str, behaviour: str = "serve") -> Path:
    path = tmp_path / f"{name}.tar.gz"
    path.write_text(behaviour + "\n")
    return path


@pytest.fixture
def servers(tmp_path, monkeypatch):
    import signal

    port = free_port()
    settings = Settings(_env_file=None, port=port)
    paths = {"credentials": tmp_path / "c.yml", "endpoints": tmp_path / "e.yml"}
    control = Control(port, tmp_path / "build")
    running = RasaServers(settings, paths, {}, control=control, command=FAKE)
    previous = signal.signal(HANDOFF_SIGNAL, running.on_signal)
    try:
        running.start_first(model(tmp_path, "first"), timeout=30)
        yield running
    finally:
        signal.signal(HANDOFF_SIGNAL, previous)
        for process in running.processes():
            process.terminate()
            process.wait(timeout=10)
        running.close()


class Load:
    """Requests from 4 threads, each on a new connection, until stopped."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/"
        self.answers: List[Tuple[float, int, str]] = []  # (time, pid, model)
        self.errors: List[str] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run) for _ in range(4)]

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=10) as response:
                    body = json.loads(response.read())
                self.answers.append((time.monotonic(), body["pid"], body["model"]))
            except (OSError, ValueError) as exc:
                self.errors.append(repr(exc))

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


def ask_while_supervising(servers: RasaServers, request: Request) -> Result:
    """The operator asks from another thread; this (main) thread supervises as bot run does."""
    results: List[object] = []
    asker = threading.Thread(target=lambda: results.append(servers.control.ask(request, 60)))
    asker.start()
    deadline = time.monotonic() + 60
    while asker.is_alive() and time.monotonic() < deadline:
        assert servers.poll() is None
        time.sleep(0.05)
    asker.join(timeout=1)
    assert results and isinstance(results[0], Result), results
    return results[0]


@pytest.mark.servers
def test_a_new_model_takes_over_and_no_request_fails(servers, tmp_path):
    first_pid = servers.current.process.pid
    new = model(tmp_path, "second", "slow")  # loads for 3 s while the first answers
    with Load(servers.settings.port) as load:
        time.sleep(0.5)
        result = ask_while_supervising(
            servers, Request(str(new), {"q1": "a", "q2": "b"}, min_right=1.0)
        )
        time.sleep(0.5)
    assert result.swapped and not result.error
    assert result.previous["model_file"] == "first.tar.gz"
    assert (result.right, result.checked) == (2, 2)
    assert load.errors == []
    pids = [pid for _, pid, _ in load.answers]
    assert pids[0] == first_pid and pids[-1] == servers.current.process.pid != first_pid
    # the first process answered during the 3 s load, then handed over and exited
    assert pids.count(first_pid) > 20
    assert servers.processes()[-1].pid != first_pid
    assert all(p.pid != first_pid for p in servers.processes())
    assert json.loads(servers.control.supervisor_file.read_text())["model"] == str(new)


@pytest.mark.servers
@pytest.mark.parametrize(
    "behaviour, refused, error",
    [("broken", False, "model could not be loaded"), ("wrong", True, "")],
)
def test_a_model_that_fails_never_serves(servers, tmp_path, behaviour, refused, error):
    first_pid = servers.current.process.pid
    with Load(servers.settings.port) as load:
        result = ask_while_supervising(
            servers, Request(str(model(tmp_path, behaviour, behaviour)), {"q": "a"}, 0.8)
        )
    assert not result.swapped
    assert (result.refused, result.error) == (refused, error)
    assert servers.current.process.pid == first_pid and servers.pending is None
    assert load.errors == [] and {pid for _, pid, _ in load.answers} == {first_pid}


@pytest.mark.servers
def test_a_missing_model_or_a_second_request_is_answered_at_once(servers, tmp_path):
    result = ask_while_supervising(servers, Request(str(tmp_path / "missing.tar.gz")))
    assert not result.swapped and "missing.tar.gz" in result.error
    # a first request, loading for 3 s: a second one meanwhile is refused, the first completes
    first = Request(str(model(tmp_path, "slow", "slow")))
    write_json(servers.control.request_file(first.id), {"id": first.id, "model": first.model})
    os.kill(os.getpid(), HANDOFF_SIGNAL)
    while servers.pending is None:
        servers.poll()
        time.sleep(0.05)
    second = ask_while_supervising(servers, Request(str(model(tmp_path, "other"))))
    assert not second.swapped and second.error
    while not servers.control.result_file(first.id).exists():
        assert servers.poll() is None
        time.sleep(0.05)
    assert json.loads(servers.control.result_file(first.id).read_text())["swapped"] is True


def test_asking_without_a_supervisor(tmp_path):
    control = Control(free_port(), tmp_path)
    assert control.supervisor_pid() is None
    with pytest.raises(ProcessLookupError):
        control.ask(Request("m.tar.gz"))
    control.supervisor_file.parent.mkdir(parents=True)
    control.supervisor_file.write_text(json.dumps({"pid": 2**22 + 12345}))
    assert control.supervisor_pid() is None  # a stale file from a crashed server


@pytest.mark.servers
def test_the_new_process_loads_at_low_priority_and_serves_at_the_supervisors(servers, tmp_path):
    new = model(tmp_path, "slow", "slow")
    request = Request(str(new))
    write_json(servers.control.request_file(request.id), {"id": request.id, "model": str(new)})
    os.kill(os.getpid(), HANDOFF_SIGNAL)
    while servers.pending is None:
        servers.poll()
        time.sleep(0.05)
    loading = servers.pending[1].process.pid
    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, loading) == min(19, own + 10)
    while servers.current.process.pid != loading:
        assert servers.poll() is None
        time.sleep(0.05)
    threads = [int(t.name) for t in Path(f"/proc/{loading}/task").iterdir()]
    assert {os.getpriority(os.PRIO_PROCESS, t) for t in threads} == {own}


@pytest.mark.servers
def test_a_standby_process_takes_the_next_model_and_a_release_stops_it(servers, tmp_path):
    servers.control.tell(Request(standby=True))
    while servers.standby is None:
        assert servers.poll() is None
        time.sleep(0.05)
    standby = servers.standby.process.pid
    assert not servers.standby.spec_file.exists()  # it waits for its model
    with Load(servers.settings.port) as load:
        result = ask_while_supervising(servers, Request(str(model(tmp_path, "next"))))
    assert result.swapped and servers.current.process.pid == standby
    assert servers.standby is None and load.errors == []
    # a standby asked for, then released (training failed): stopped, nothing else changes
    servers.control.tell(Request(standby=True))
    while servers.standby is None:
        servers.poll()
        time.sleep(0.05)
    waiting = servers.standby.process
    servers.control.tell(Request(release=True))
    while waiting.poll() is None:
        assert servers.poll() is None
        time.sleep(0.05)
    assert servers.standby is None and servers.current.process.pid == standby


def test_closing_leaves_no_supervisor_file_and_no_spec(tmp_path):
    port = free_port()
    control = Control(port, tmp_path / "build")
    paths = {"credentials": tmp_path / "c.yml", "endpoints": tmp_path / "e.yml"}
    running = RasaServers(Settings(_env_file=None, port=port), paths, {}, control, FAKE)
    running.start_first(model(tmp_path, "only"), timeout=30)
    spec = running.current.spec_file
    assert spec.exists() and control.supervisor_pid() is not None
    running.current.process.terminate()
    running.current.process.wait(timeout=10)
    running.close()
    assert not spec.exists() and not control.supervisor_file.exists()


def test_each_port_has_its_own_runtime_configuration(monkeypatch):
    """A Rasa process started for a handoff reads endpoints.yml again: another bot run
    started since from the same checkout (another port) must not have overwritten it."""
    import bot.ops.serve as serve_module
    from bot.rasa.handoff import control_dir

    class Stop(Exception):
        pass

    written: List[Path] = []

    def record(settings, build_dir):
        written.append(build_dir)
        raise Stop

    monkeypatch.setattr(serve_module, "check_secret", lambda settings: None)
    monkeypatch.setattr(serve_module, "check_stores", lambda settings: None)
    monkeypatch.setattr(serve_module, "write_runtime_config", record)
    for port in (5101, 5102):
        with pytest.raises(Stop):
            serve_module.serve(Settings(_env_file=None, port=port), Path("model.tar.gz"))
    assert written == [control_dir(5101), control_dir(5102)]
