"""make cluster: the nginx configuration generated from deploy/nginx.conf.template, and the
cluster's defaults (the processes themselves: tests/cluster)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.ops.cluster import (
    DEFAULTS,
    TEMPLATE,
    Cluster,
    check_services,
    cluster_environment,
    nginx_binary,
    render_nginx_config,
)
from bot.settings import Settings


@pytest.mark.parametrize(
    "ports, servers",
    [
        ([5006], ["server 127.0.0.1:5006 max_fails=1 fail_timeout=10s;"]),
        (
            [7001, 7002, 7003],
            [f"server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in (7001, 7002, 7003)],
        ),
    ],
)
def test_one_upstream_server_per_instance(tmp_path, ports, servers):
    config = render_nginx_config(TEMPLATE.read_text(), tmp_path, "8080", ports)
    lines = [line.strip() for line in config.splitlines()]
    assert [line for line in lines if line.startswith("server 127.0.0.1:")] == servers
    assert f"proxy_next_upstream_tries {len(ports)};" in lines
    assert "listen 8080;" in lines and "daemon off;" in lines
    assert f"pid {tmp_path}/nginx.pid;" in lines
    # nginx's own variables survive the template ($$name → $name), ours are all filled in
    assert "$upstream_addr" in config and "${" not in config and "$$" not in config


def locations(config: str) -> dict:
    """location → its directives (the template's blocks hold no nested braces)."""
    found, current = {}, None
    for line in (line.split("#", 1)[0].strip() for line in config.splitlines()):
        if line.startswith("location "):
            current = line[len("location ") : -1].strip()
            found[current] = []
        elif line == "}":
            current = None
        elif current is not None and line:
            found[current].append(line)
    return found


def test_only_the_idempotent_webhooks_are_passed_on_after_they_were_sent(tmp_path):
    """WeChat and Telegram (answered once by MsgId / update_id in Redis) go to the next
    instance even when the first one already had them; REST stays at most once."""
    blocks = locations(render_nginx_config(TEMPLATE.read_text(), tmp_path, "8080", [1, 2]))
    retried = "proxy_next_upstream error timeout http_502 http_503 non_idempotent;"
    webhooks = "~ ^/webhooks/(wechat|telegram)/webhook$"
    assert set(blocks) == {"/", webhooks}
    assert retried in blocks[webhooks]
    assert not any("non_idempotent" in line for line in blocks["/"])
    assert "proxy_next_upstream error timeout http_502 http_503;" in blocks["/"]
    for lines in blocks.values():
        assert "proxy_pass http://rasa;" in lines and "proxy_next_upstream_tries 2;" in lines


def test_a_cluster_needs_an_instance(tmp_path):
    with pytest.raises(ValueError):
        render_nginx_config(TEMPLATE.read_text(), tmp_path, "8080", [])


@pytest.mark.skipif(nginx_binary() is None, reason="nginx not installed (.ci/run installs it)")
def test_nginx_accepts_the_generated_configuration(tmp_path):
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "tmp" / sub).mkdir(parents=True)
    config = tmp_path / "nginx.conf"
    config.write_text(
        render_nginx_config(TEMPLATE.read_text(), tmp_path, "127.0.0.1:18080", [18081, 18082])
    )
    result = subprocess.run(
        [
            nginx_binary(),
            "-t",
            "-p",
            str(tmp_path),
            "-c",
            str(config),
            "-e",
            str(tmp_path / "error.log"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "given, expected",
    [
        ({}, DEFAULTS),
        (
            {"TRACKER_STORE_URL": "postgresql://u@db/x", "REDIS_URL": ""},
            {**DEFAULTS, "TRACKER_STORE_URL": "postgresql://u@db/x"},
        ),
    ],
)
def test_the_cluster_defaults_to_the_local_postgresql_and_redis(given, expected):
    env = cluster_environment({"PATH": "/bin", **given})
    assert {k: env[k] for k in DEFAULTS} == expected and env["PATH"] == "/bin"


def test_services_that_do_not_answer_are_named_without_passwords():
    env = {
        "TRACKER_STORE_URL": "postgresql://u:hunter2@127.0.0.1:1/x",
        "DATABASE_URL": f"sqlite:///{Path('/tmp/q.db')}",
        "LOCK_STORE_URL": "redis://:hunter2@127.0.0.1:2/1",
        "REDIS_URL": "redis://127.0.0.1:2/2",
    }
    missing = check_services(env)
    assert missing == [
        "TRACKER_STORE_URL（127.0.0.1:1）",
        "LOCK_STORE_URL（127.0.0.1:2）",
        "REDIS_URL（127.0.0.1:2）",
    ]
    assert "hunter2" not in "".join(missing)


def test_an_instance_that_exits_is_started_again_and_named_in_cluster_json(tmp_path, capsys):
    """As systemd's Restart=always: a killed instance (or action server) comes back after
    restart_seconds with a new pid in cluster.json; nginx exiting is not restarted."""
    cluster = Cluster(Settings(), Path(), 2, tmp_path, first_port=7001, restart_seconds=0.2)
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    for name in ("actions", "rasa-1", "rasa-2", "nginx"):
        cluster._spawn(name, sleeper, dict(os.environ))
    try:
        killed = cluster.processes["rasa-2"]
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()
        assert cluster.restart_exited() == []  # not before restart_seconds
        deadline = time.monotonic() + 5
        restarted = []
        while not restarted and time.monotonic() < deadline:
            restarted = cluster.restart_exited()
        assert restarted == ["rasa-2"]
        again = cluster.processes["rasa-2"]
        assert again.pid != killed.pid and again.poll() is None
        state = json.loads((tmp_path / "cluster.json").read_text())
        assert [i["pid"] for i in state["instances"]] == [
            cluster.processes["rasa-1"].pid,
            again.pid,
        ]
        nginx = cluster.processes["nginx"]
        nginx.kill()
        nginx.wait()
        assert cluster.wait() == -signal.SIGKILL  # nginx gone: the cluster ends
        assert cluster.processes["nginx"] is nginx
    finally:
        cluster.stop()
    out = capsys.readouterr().out
    assert "rasa-2 已退出" in out and "rasa-2 已重启" in out
