"""``python -m bot run``: serve the assistant — the action server and the Rasa server — and
supervise them until Ctrl+C or SIGTERM.

The supervisor (``serve``) opens the public port itself and hands the socket to its Rasa
server process; a model is swapped by starting a second process on the same socket
(``bot.ops.rasa_servers``, ``bot.rasa.handoff``): the one way a model is swapped.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Callable, Optional, Protocol

from bot.ops.commands import action_server_command, action_server_env, child_env
from bot.ops.rasa_servers import RasaServers
from bot.ops.runtime_config import check_secret, check_stores, write_runtime_config
from bot.rasa.handoff import HANDOFF_SIGNAL, control_dir
from bot.settings import PROJECT_DIR, Settings

RASA_START_TIMEOUT_S = 300.0


def wait_until_up(url: str, timeout: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"服务进程意外退出（退出码 {process.returncode}）：{url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"等待 {url} 超时")


class Polled(Protocol):
    def poll(self) -> Optional[int]: ...


def supervise(
    rasa: Polled,
    actions: subprocess.Popen,
    restart_actions: Callable[[], subprocess.Popen],
    poll_seconds: float = 1.0,
) -> int:
    """Wait for the Rasa server to end; an action server that dies is started again (and logged),
    so applicants get answers again within seconds instead of empty replies until someone notices.
    ``rasa.poll()`` also carries out model handoffs (``RasaServers``).
    """
    while True:
        code = rasa.poll()
        if code is not None:
            return code
        if actions.poll() is not None:
            print(
                f"动作服务器意外退出（退出码 {actions.returncode}），正在重新启动 / action server "
                "died, restarting",
                file=sys.stderr,
                flush=True,
            )
            actions = restart_actions()
        time.sleep(poll_seconds)


def serve(settings: Settings, model: Path) -> int:
    check_secret(settings)
    check_stores(settings)
    # one folder per port: a Rasa process started later (a model handoff) must read this
    # server's endpoints, not those of another bot run started since from the same checkout
    paths = write_runtime_config(settings, control_dir(settings.port))
    env = child_env()
    actions = subprocess.Popen(
        action_server_command(settings), cwd=PROJECT_DIR, env=action_server_env(settings)
    )
    processes = [actions]
    servers: Optional[RasaServers] = None
    try:
        wait_until_up(f"http://127.0.0.1:{settings.action_port}/health", 120, actions)
        servers = RasaServers(settings, paths, env)
        signal.signal(HANDOFF_SIGNAL, servers.on_signal)
        servers.start_first(model, RASA_START_TIMEOUT_S)
        print(
            "\n双创申报助手已启动 / the assistant is up:\n"
            f"  REST:   curl -s localhost:{settings.port}/webhooks/rest/webhook "
            '-H \'Content-Type: application/json\' -d \'{"sender":"me",'
            '"message":"申报截止时间是什么时候？"}\'\n'
            "  终端对话 / terminal chat:  make chat\n"
            + (
                f"  WeChat: http://<公网地址>:{settings.port}/webhooks/wechat/webhook\n"
                if settings.wechat_token
                else ""
            )
            + "  Ctrl+C 停止 / to stop\n",
            flush=True,
        )
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))

        def restart_actions() -> subprocess.Popen:
            process = subprocess.Popen(
                action_server_command(settings), cwd=PROJECT_DIR, env=action_server_env(settings)
            )
            processes[0] = process
            return process

        return supervise(servers, actions, restart_actions, poll_seconds=0.2)
    except KeyboardInterrupt:
        return 0
    finally:
        running = [*(servers.processes() if servers else []), *reversed(processes)]
        for process in running:
            if process.poll() is None:
                process.terminate()
        for process in running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        if servers is not None:
            servers.close()
