"""make cluster: the nginx configuration generated from deploy/nginx.conf.template, and the
cluster's defaults (the processes themselves: tests/cluster)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.ops.cluster import (
    DEFAULTS,
    TEMPLATE,
    check_services,
    cluster_environment,
    nginx_binary,
    render_nginx_config,
)


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
    assert "non_idempotent" not in config.replace("# ", "")  # a sent POST is never replayed


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
