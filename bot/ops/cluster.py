"""``make cluster INSTANCES=N``: N Rasa servers and one action server behind nginx.

    python -m bot cluster --instances 2 [--port 5005] [--model models/<hash>.tar.gz]
    python -m bot cluster --prepare --instances 2 --state-dir /var/lib/shuangchuang
        # only the configuration and the tables, for systemd units (deploy/systemd/)

Every Rasa instance is the same model with the same endpoints: the tracker store in
PostgreSQL (``TRACKER_STORE_URL``), Rasa's Redis lock store (``LOCK_STORE_URL``: one
conversation is processed by one instance at a time), the question log in PostgreSQL
(``DATABASE_URL``) and the channels' shared memories in Redis (``REDIS_URL``). Unset, they
default to the local servers (``DEFAULTS``); the database is created when it is missing.
Instances listen on loopback ports after ``--port``; nginx (Debian's package) listens on
``--port`` with a configuration generated from ``deploy/nginx.conf.template`` and runs as a
child process with its pid, logs and temporary files under ``.build/cluster/``.

``.build/cluster/cluster.json`` names every process and port (tests and operators stop one
instance with it). A Rasa instance or the action server that exits is started again after
``RESTART_SECONDS`` (as the systemd units' ``Restart=always``, ``RestartSec=5``) and
cluster.json names its new pid; nginx routes around it until it answers. Ctrl+C or SIGTERM
stops nginx first, then the instances, then the action server.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from string import Template
from typing import Dict, List, Optional, Sequence, Tuple

from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.utils.endpoints import read_endpoint_config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.ops.commands import action_server_command, action_server_env, child_env, rasa_command
from bot.ops.runtime_config import check_secret, check_stores, write_runtime_config
from bot.ops.serve import wait_until_up
from bot.ops.training import train
from bot.questionlog.db import dispose, upgrade
from bot.settings import BUILD_DIR, PROJECT_DIR, Settings, read_or_create_secret

TEMPLATE = PROJECT_DIR / "deploy" / "nginx.conf.template"
STATE_DIR = BUILD_DIR / "cluster"
DEFAULTS = {
    "TRACKER_STORE_URL": "postgresql://postgres@127.0.0.1:5432/shuangchuang",
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/shuangchuang",
    "LOCK_STORE_URL": "redis://127.0.0.1:6379/1",
    "REDIS_URL": "redis://127.0.0.1:6379/2",
}
START_TIMEOUT = 300.0
RESTART_SECONDS = 5.0  # as RestartSec= in deploy/systemd/
NO_NGINX = "未找到 nginx：请先安装（Debian/Ubuntu：apt-get install -y nginx）。"


def render_nginx_config(
    template: str,
    prefix: Path,
    listen: str,
    upstreams: Sequence[int],
    workers: int = 1,
    fail_timeout: int = 10,
) -> str:
    """The nginx configuration for ``upstreams`` (loopback ports) listening on ``listen``."""
    if not upstreams:
        raise ValueError("a cluster needs at least one instance")
    servers = "\n".join(
        f"        server 127.0.0.1:{port} max_fails=1 fail_timeout={fail_timeout}s;"
        for port in upstreams
    )
    return Template(template).substitute(
        prefix=str(prefix), listen=listen, servers=servers, workers=workers, tries=len(upstreams)
    )


def cluster_environment(environ: Dict[str, str]) -> Dict[str, str]:
    """The environment every process of the cluster gets: the shared stores' defaults."""
    env = dict(environ)
    for name, default in DEFAULTS.items():
        if not env.get(name):
            env[name] = default
    return env


def ensure_postgres_database(url: str) -> bool:
    """Create the database of ``url`` when it is missing (PostgreSQL). True when created."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        return False
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("select 1 from pg_database where datname = :name"), {"name": parsed.database}
            ).scalar()
            if exists:
                return False
            quoted = admin.dialect.identifier_preparer.quote(parsed.database)
            connection.execute(text(f"create database {quoted}"))
            return True
    finally:
        admin.dispose()


def prepare_schemas(settings: Settings, endpoints: Path) -> None:
    """Create the tracker-store and question-log tables once, before N instances start at
    the same moment (their concurrent CREATE TABLEs would race on an empty database)."""
    store = TrackerStore.create(read_endpoint_config(str(endpoints), "tracker_store"))
    if isinstance(store, SQLTrackerStore):
        store.engine.dispose()
    upgrade(settings.effective_database_url())
    dispose(settings.effective_database_url())


def answers(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def check_services(env: Dict[str, str]) -> List[str]:
    """What does not answer (host:port of each store), for a clear message before starting."""
    missing = []
    for name in ("TRACKER_STORE_URL", "DATABASE_URL", "LOCK_STORE_URL", "REDIS_URL"):
        url = make_url(env[name]) if "://" in env[name] else None
        if url is None or url.get_backend_name() == "sqlite":
            continue
        port = url.port or {"postgresql": 5432, "redis": 6379}.get(url.get_backend_name(), 0)
        if not answers(url.host or "127.0.0.1", port):
            missing.append(f"{name}（{url.host}:{port}）")
    return missing


def nginx_binary() -> Optional[str]:
    return shutil.which("nginx") or next(
        (str(p) for p in (Path("/usr/sbin/nginx"), Path("/usr/local/sbin/nginx")) if p.exists()),
        None,
    )


class Cluster:
    """The processes of one cluster; ``start()`` returns once nginx answers."""

    def __init__(
        self,
        settings: Settings,
        model: Path,
        instances: int,
        state_dir: Path,
        first_port: Optional[int] = None,
        restart_seconds: float = RESTART_SECONDS,
    ) -> None:
        if instances < 1:
            raise ValueError("INSTANCES must be at least 1")
        self.settings, self.model, self.state_dir = settings, model, state_dir
        first = first_port or settings.port + 1
        self.ports = [first + index for index in range(instances)]
        self.processes: Dict[str, subprocess.Popen] = {}
        self.restart_seconds = restart_seconds
        self._commands: Dict[str, Tuple[List[str], Dict[str, str]]] = {}
        self._exited_at: Dict[str, float] = {}
        self._logs: List[object] = []

    def _spawn(self, name: str, command: List[str], env: Dict[str, str]) -> subprocess.Popen:
        log = (self.state_dir / f"{name}.log").open("ab")
        self._logs.append(log)
        process = subprocess.Popen(
            command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes[name] = process
        self._commands[name] = (command, env)
        return process

    def restart_exited(self) -> List[str]:
        """Start again each Rasa instance or action server that exited ``restart_seconds``
        ago (nginx exiting ends the cluster instead); the names started again."""
        now, restarted = time.monotonic(), []
        for name, process in list(self.processes.items()):
            if name == "nginx" or process.poll() is None:
                continue
            if name not in self._exited_at:
                self._exited_at[name] = now
                print(
                    f"{name} 已退出（退出码 {process.returncode}），"
                    f"{self.restart_seconds:g} 秒后重启",
                    flush=True,
                )
            if now - self._exited_at[name] >= self.restart_seconds:
                del self._exited_at[name]
                self._spawn(name, *self._commands[name])
                restarted.append(name)
                print(f"{name} 已重启（进程 {self.processes[name].pid}）", flush=True)
        if restarted and "nginx" in self.processes:
            self.write_state()
        return restarted

    def write_nginx_config(self) -> Path:
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.state_dir / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        config = self.state_dir / "nginx.conf"
        config.write_text(
            render_nginx_config(
                TEMPLATE.read_text(encoding="utf-8"),
                self.state_dir,
                str(self.settings.port),
                self.ports,
            ),
            encoding="utf-8",
        )
        return config

    def prepare(self, nginx: str) -> Tuple[Path, Dict[str, Path]]:
        """Everything the processes read, written once before any starts: the checked nginx
        configuration, credentials.yml / endpoints.yml, and the database tables."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        config = self.write_nginx_config()
        checked = subprocess.run(
            [
                nginx,
                "-t",
                "-q",
                "-p",
                str(self.state_dir),
                "-c",
                str(config),
                "-e",
                str(self.state_dir / "error.log"),
            ],
            capture_output=True,
            text=True,
        )
        if checked.returncode != 0:
            raise SystemExit(f"nginx 配置有误：{checked.stderr.strip()}")
        paths = write_runtime_config(self.settings, build_dir=self.state_dir)
        prepare_schemas(self.settings, paths["endpoints"])
        return config, paths

    def start(self) -> None:
        nginx = nginx_binary()
        if nginx is None:
            raise SystemExit(NO_NGINX)
        config, paths = self.prepare(nginx)
        actions = self._spawn(
            "actions", action_server_command(self.settings), action_server_env(self.settings)
        )
        env = child_env()
        for index, port in enumerate(self.ports, 1):
            self._spawn(
                f"rasa-{index}",
                rasa_command(
                    "run",
                    "--model",
                    str(self.model),
                    "--port",
                    str(port),
                    "-i",
                    "127.0.0.1",
                    "--credentials",
                    str(paths["credentials"]),
                    "--endpoints",
                    str(paths["endpoints"]),
                ),
                env,
            )
        wait_until_up(f"http://127.0.0.1:{self.settings.action_port}/health", 120, actions)
        for index, port in enumerate(self.ports, 1):
            wait_until_up(
                f"http://127.0.0.1:{port}/", START_TIMEOUT, self.processes[f"rasa-{index}"]
            )
        proxy = self._spawn(
            "nginx",
            [
                nginx,
                "-p",
                str(self.state_dir),
                "-c",
                str(config),
                "-e",
                str(self.state_dir / "error.log"),
            ],
            env,
        )
        wait_until_up(f"http://127.0.0.1:{self.settings.port}/", 30, proxy)
        self.write_state()

    def write_state(self) -> Path:
        state = {
            "public_port": self.settings.port,
            "instances": [
                {"name": f"rasa-{i}", "port": port, "pid": self.processes[f"rasa-{i}"].pid}
                for i, port in enumerate(self.ports, 1)
            ],
            "actions": {"port": self.settings.action_port, "pid": self.processes["actions"].pid},
            "nginx": {"pid": self.processes["nginx"].pid},
            "access_log": str(self.state_dir / "access.log"),
        }
        path = self.state_dir / "cluster.json"
        path.write_text(json.dumps(state, indent=2), encoding="utf-8")
        return path

    def wait(self) -> int:
        """Until nginx exits (or the cluster is stopped), starting again what exits."""
        while True:
            self.restart_exited()
            if self.processes["nginx"].poll() is not None:
                return self.processes["nginx"].returncode or 0
            time.sleep(0.5)

    def stop(self) -> None:
        order = ["nginx", *[n for n in self.processes if n.startswith("rasa-")], "actions"]
        for name in order:
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self._logs:
            log.close()  # type: ignore[attr-defined]


def newest_model() -> Path:
    models = sorted((PROJECT_DIR / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit("models/ 里没有模型：先运行 make train。")
    return models[-1]


def run(
    instances: int,
    port: Optional[int],
    first_instance_port: Optional[int],
    model: Optional[Path],
    state_dir: Path,
    prepare: bool = False,
) -> int:
    """Start the cluster and wait until Ctrl+C or SIGTERM; ``python -m bot cluster``.
    With ``prepare``: only write nginx.conf, credentials.yml and endpoints.yml into
    ``state_dir`` and create the databases and tables (the systemd units, deploy/systemd/)."""
    env = cluster_environment(dict(os.environ))
    if not env.get("QUESTION_LOG_SECRET"):
        # one machine: every instance reads the same machine-local key
        env["QUESTION_LOG_SECRET"] = read_or_create_secret(BUILD_DIR / "question_log_secret")
    os.environ.update(env)
    settings = Settings()
    if port:
        settings.port = port
    check_secret(settings)
    check_stores(settings)
    missing = check_services(env)
    if missing:
        raise SystemExit("无法启动集群，这些服务没有响应：" + "、".join(missing))
    for name in ("TRACKER_STORE_URL", "DATABASE_URL"):
        if ensure_postgres_database(env[name]):
            print(f"已创建数据库 {make_url(env[name]).database}", flush=True)
    if prepare:
        nginx = nginx_binary()
        if nginx is None:
            raise SystemExit(NO_NGINX)
        prepared = Cluster(settings, Path(), instances, state_dir.resolve(), first_instance_port)
        config, paths = prepared.prepare(nginx)
        print(f"已写入 {config}、{paths['credentials']}、{paths['endpoints']}", flush=True)
        return 0
    model = model or train()[0]
    cluster = Cluster(
        settings,
        model.resolve(),
        instances,
        state_dir.resolve(),
        first_instance_port,
    )
    stopping = False

    def on_signal(*_: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        cluster.start()
        print(
            f"\n集群已启动：{instances} 个 Rasa 实例（端口 "
            f"{', '.join(map(str, cluster.ports))}）+ 动作服务器，nginx 在 "
            f"http://localhost:{settings.port}/ ；进程与端口见 {state_dir}/cluster.json\n"
            "  Ctrl+C 停止\n",
            flush=True,
        )
        return cluster.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cluster.stop()
