"""Train when stale and serve the assistant (action server + Rasa server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Callable, Dict, List, Optional

import yaml

from bot.generate import DATA_DIR, DOMAIN_DIR, training_fingerprint, write_training_data
from bot.kb.load import load_knowledge
from bot.settings import BUILD_DIR, PROJECT_DIR, MissingSecret, Settings
from bot.stores import (
    StoreURLError,
    bounded_tracker_store,
    lock_store_endpoint,
    tracker_store_endpoint,
)

MODELS_DIR = PROJECT_DIR / "models"


def child_env() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_DIR), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def rasa_command(*args: str) -> List[str]:
    """``python -m rasa …`` without the modules a Rasa process never uses (bot/rasa_main.py)."""
    return [sys.executable, "-m", "bot.rasa_main", *args]


def train(force: bool = False) -> Path:
    """Generate data from knowledge/ and train unless a model for exactly these inputs exists."""
    kb = load_knowledge()
    write_training_data(kb)
    fingerprint = training_fingerprint()
    model = MODELS_DIR / f"{fingerprint}.tar.gz"
    if model.exists() and not force:
        print(f"模型已是最新（{model.name}），跳过训练。")
        return model
    print(f"训练数据或配置有变化，开始训练模型 {model.name} …", flush=True)
    started = time.monotonic()
    subprocess.run(
        rasa_command(
            "train",
            "--config",
            "config.yml",
            "--domain",
            str(DOMAIN_DIR),
            "--data",
            "nlu/data",
            str(DATA_DIR),
            "--out",
            str(MODELS_DIR),
            "--fixed-model-name",
            fingerprint,
            "--quiet",
        ),
        cwd=PROJECT_DIR,
        env=child_env(),
        check=True,
    )
    print(f"训练完成，用时 {time.monotonic() - started:.0f} 秒。")
    return model


def store_endpoints(settings: Settings) -> Dict[str, dict]:
    """``tracker_store`` (and ``lock_store`` when LOCK_STORE_URL is set) for endpoints.yml."""
    tracker_store = tracker_store_endpoint(
        settings.tracker_store_url, settings.tracker_db, settings.retention_days
    )
    endpoints = {
        "tracker_store": bounded_tracker_store(tracker_store, settings.tracker_max_session_events)
    }
    lock_store = lock_store_endpoint(settings.lock_store_url)
    if lock_store is not None:
        endpoints["lock_store"] = lock_store
    return endpoints


def check_stores(settings: Settings) -> None:
    """Refuse to start, with a clear message, on a tracker or lock store URL Rasa cannot use."""
    try:
        store_endpoints(settings)
    except StoreURLError as exc:
        raise SystemExit(f"无法启动：{exc}") from None


def write_runtime_config(settings: Settings, build_dir: Path = BUILD_DIR) -> Dict[str, Path]:
    """credentials.yml / endpoints.yml for this run, from the environment (never committed).

    endpoints.yml may hold store passwords: it is readable by its owner only.
    """
    build_dir.mkdir(parents=True, exist_ok=True)
    credentials: Dict[str, Optional[dict]] = {
        "channels.rest.RestInput": None,
        # python -m bot publish: load a new model beside the event loop, then swap it in
        "channels.model_swap.ModelSwapInput": None,
    }
    if settings.wechat_token:
        credentials["channels.wechat.WeChatInput"] = {}
    if settings.telegram_token:
        credentials["channels.telegram.TelegramInput"] = {}
    endpoints: Dict[str, dict] = {
        "action_endpoint": {"url": f"http://127.0.0.1:{settings.action_port}/webhook"},
        **store_endpoints(settings),
    }
    broker = PROJECT_DIR / "bot" / "questionlog" / "broker.py"
    if broker.exists():
        # the broker also purges the question log and this tracker store once a day
        endpoints["event_broker"] = {
            "type": "bot.questionlog.broker.QuestionLogBroker",
            "tracker_url": settings.tracker_database_url(),
            "retention_days": settings.retention_days,
        }
    paths = {"credentials": build_dir / "credentials.yml", "endpoints": build_dir / "endpoints.yml"}
    for name, content in (("credentials", credentials), ("endpoints", endpoints)):
        write_private(paths[name], yaml.safe_dump(content, allow_unicode=True))
    return paths


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (mode 0600), replacing it atomically."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


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


def action_server_env(settings: Settings) -> Dict[str, str]:
    """The action server's environment: rasa_sdk binds to SANIC_HOST (its own default: all
    interfaces); it only talks to the Rasa server next to it, so loopback unless ACTION_HOST says.
    """
    env = child_env()
    env["SANIC_HOST"] = settings.action_host
    return env


def action_server_command(settings: Settings) -> List[str]:
    return [
        sys.executable,
        "-m",
        "rasa_sdk",
        "--actions",
        "actions",
        "--port",
        str(settings.action_port),
    ]


def check_secret(settings: Settings) -> None:
    """Refuse to start without QUESTION_LOG_SECRET where instances may share the database."""
    try:
        settings.effective_question_log_secret()
    except MissingSecret as exc:
        raise SystemExit(f"无法启动：{exc}") from None


def supervise(
    rasa: subprocess.Popen,
    actions: subprocess.Popen,
    restart_actions: Callable[[], subprocess.Popen],
    poll_seconds: float = 1.0,
) -> int:
    """Wait for the Rasa server to end; an action server that dies is started again (and logged),
    so applicants get answers again within seconds instead of empty replies until someone notices.
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
    paths = write_runtime_config(settings)
    env = child_env()
    actions = subprocess.Popen(
        action_server_command(settings), cwd=PROJECT_DIR, env=action_server_env(settings)
    )
    processes = [actions]
    try:
        wait_until_up(f"http://127.0.0.1:{settings.action_port}/health", 120, actions)
        rasa = subprocess.Popen(
            rasa_command(
                "run",
                "--model",
                str(model),
                "--port",
                str(settings.port),
                "--credentials",
                str(paths["credentials"]),
                "--endpoints",
                str(paths["endpoints"]),
                # the model API (status, parse), for python -m bot publish; every call
                # needs the token
                "--enable-api",
                "--auth-token",
                settings.effective_rasa_api_token(),
            ),
            cwd=PROJECT_DIR,
            env=env,
        )
        processes.append(rasa)
        wait_until_up(f"http://127.0.0.1:{settings.port}/", 300, rasa)
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

        return supervise(rasa, actions, restart_actions)
    except KeyboardInterrupt:
        return 0
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
