"""make cluster's shared stores: the local defaults, and the stores that do not answer named
without their passwords."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.ops.cluster_stores import DEFAULTS, check_services, cluster_environment


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
