"""deploy/systemd/: every unit parses, names what exists in this project, and — where
`systemd-analyze` is installed — passes `systemd-analyze verify` (with /opt/shuangchuang
and /etc/shuangchuang/env pointed at this checkout and a temporary env file)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from bot.cli import build_parser
from bot.settings import PROJECT_DIR

UNITS_DIR = PROJECT_DIR / "deploy" / "systemd"
UNIT_FILES = sorted(p for p in UNITS_DIR.iterdir() if p.suffix in (".service", ".timer", ".target"))
INSTALL_DIR = "/opt/shuangchuang"
STATE_DIR = "/var/lib/shuangchuang"
ENV_FILE = "/etc/shuangchuang/env"


def parse_unit(path: Path) -> Dict[str, Dict[str, List[str]]]:
    """systemd's INI dialect: sections, repeated keys kept in order, comments skipped."""
    sections: Dict[str, Dict[str, List[str]]] = {}
    current = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None and "=" in line, f"{path.name}:{number}: {line}"
        key, value = line.split("=", 1)
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


UNITS = {path.name: parse_unit(path) for path in UNIT_FILES}
SERVICES = {name: unit for name, unit in UNITS.items() if name.endswith(".service")}


def env_example() -> Dict[str, str]:
    pairs = {}
    for line in (UNITS_DIR / "env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, value = line.split("=", 1)
            pairs[key] = value
    return pairs


def test_the_units_are_the_documented_set():
    assert set(UNITS) == {
        "shuangchuang.target",
        "shuangchuang-prepare.service",
        "shuangchuang-actions.service",
        "shuangchuang-rasa@.service",
        "shuangchuang-nginx.service",
        "shuangchuang-console.service",
        "shuangchuang-backup.service",
        "shuangchuang-backup.timer",
    }
    deploy_doc = (PROJECT_DIR / "docs" / "deploy.md").read_text(encoding="utf-8")
    for name in UNITS:
        assert name in deploy_doc


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_runs_unprivileged_from_the_install_directory(name):
    service = SERVICES[name]["Service"]
    assert service["User"] == ["shuangchuang"]
    # nginx reads only its generated configuration; every other service the settings
    assert service.get("EnvironmentFile") == (None if "nginx" in name else [ENV_FILE])
    for command in service["ExecStart"]:
        program = shlex.split(command)[0]
        assert program.startswith((f"{INSTALL_DIR}/.venv/bin/python", "/usr/sbin/", "/bin/"))


@pytest.mark.parametrize(
    "name, module",
    [
        ("shuangchuang-prepare.service", "bot"),
        ("shuangchuang-actions.service", "rasa_sdk"),
        ("shuangchuang-rasa@.service", "bot.rasa.main"),
        ("shuangchuang-console.service", "bot"),
        ("shuangchuang-backup.service", "bot.ops.backup"),
    ],
)
def test_each_python_service_runs_a_module_of_this_project_or_its_venv(name, module):
    words = shlex.split(SERVICES[name]["Service"]["ExecStart"][0])
    assert words[1:3] == ["-m", module]
    found = subprocess.run(
        [sys.executable, "-c", f"import importlib.util as u; assert u.find_spec({module!r})"],
        cwd=PROJECT_DIR,
    )
    assert found.returncode == 0


def test_the_rasa_instances_and_nginx_read_what_prepare_writes():
    """The files the Rasa and nginx units name are those `python -m bot cluster --prepare`
    writes into its --state-dir; its command line parses with the env file's values."""
    prepare = shlex.split(SERVICES["shuangchuang-prepare.service"]["Service"]["ExecStart"][0])
    assert prepare[3:5] == ["cluster", "--prepare"]
    assert prepare[prepare.index("--state-dir") + 1] == STATE_DIR
    env = env_example()
    filled = [re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], word) for word in prepare[3:]]
    args = build_parser("cluster").parse_args(filled)
    assert args.prepare and args.instances == int(env["INSTANCES"])
    assert args.first_instance_port == int(env["FIRST_INSTANCE_PORT"])
    rasa = SERVICES["shuangchuang-rasa@.service"]["Service"]["ExecStart"][0]
    for file in ("credentials.yml", "endpoints.yml"):
        assert f"{STATE_DIR}/{file}" in rasa
    assert "--port %i" in rasa and "-i 127.0.0.1" in rasa
    nginx = SERVICES["shuangchuang-nginx.service"]["Service"]
    for command in nginx["ExecStartPre"] + nginx["ExecStart"]:
        assert f"-c {STATE_DIR}/nginx.conf" in command and f"-p {STATE_DIR}" in command


def test_the_example_environment_names_every_shared_store():
    env = env_example()
    for name in ("TRACKER_STORE_URL", "DATABASE_URL", "LOCK_STORE_URL", "REDIS_URL"):
        assert env[name]
    assert env["QUESTION_LOG_SECRET"] == "CHANGE-ME"


def test_backups_run_on_a_timer():
    timer = UNITS["shuangchuang-backup.timer"]["Timer"]
    assert timer["OnCalendar"] and timer["Persistent"] == ["true"]
    backup = SERVICES["shuangchuang-backup.service"]["Service"]["ExecStart"][0]
    assert shlex.split(backup)[1:] == ["-m", "bot.ops.backup", "/var/lib/shuangchuang-backups"]
    assert "DATABASE_URL" not in backup  # the password never on a command line


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_creates_its_files_for_its_owner_only(name):
    assert SERVICES[name]["Service"]["UMask"] == ["0077"]


def _installed_copy(tmp_path: Path) -> Path:
    """The units with this checkout as /opt/shuangchuang and a temporary env file."""
    env = tmp_path / "env"
    env.write_text("\n".join(f"{k}={v}" for k, v in env_example().items()) + "\n")
    units = tmp_path / "units"
    units.mkdir()
    for path in UNIT_FILES:
        text = path.read_text(encoding="utf-8").replace(ENV_FILE, str(env))
        (units / path.name).write_text(text.replace(INSTALL_DIR, str(PROJECT_DIR)))
    return units


def test_systemd_analyze_verify_accepts_every_unit(tmp_path):
    """`systemd-analyze verify` where it is installed (Debian: the systemd package); without
    it the parsing tests above are the check."""
    analyze = shutil.which("systemd-analyze")
    units = _installed_copy(tmp_path)
    names = [
        str(units / name.replace("@.service", "@5006.service"))
        for name in UNITS
        if not name.endswith(".target")
    ]
    if analyze is None:
        assert names  # nothing more to run on this machine
        return
    result = subprocess.run(
        [analyze, "verify", *names], capture_output=True, text=True, cwd=tmp_path
    )
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        # the units run commands that exist on the target machine, not necessarily here
        if line.strip() and "pg_dump" not in line and "nginx" not in line
    ]
    assert result.returncode == 0 or not problems, "\n".join(problems)
