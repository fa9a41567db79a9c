"""The backup (bot/ops/backup.py): pg_dump gets the connection as PG* variables and the password
as PGPASSWORD, never on its command line; the dump is owner-only. pg_dump here is a stand-in on
PATH that records what it was given."""

from __future__ import annotations

import json
import os
import stat
import sys

import pytest

from bot.ops import backup

URL = "postgresql://shuangchuang:S3cret-pw@db.example:5433/shuangchuang?sslmode=require"


@pytest.fixture
def fake_pg_dump(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "called.json"
    script = bin_dir / "pg_dump"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        "target = [a for a in sys.argv if a.startswith('--file=')][0][7:]\n"
        "open(target, 'w').write('dump')\n"
        f"json.dump({{'argv': sys.argv, 'env': dict(os.environ)}}, open({str(record)!r}, 'w'))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return record


def test_the_password_travels_in_the_environment_not_the_command_line(
    fake_pg_dump, tmp_path, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", URL)
    target = tmp_path / "dumps"
    assert backup.main([str(target)]) == 0
    called = json.loads(fake_pg_dump.read_text())
    assert "S3cret-pw" not in " ".join(called["argv"])
    assert "postgresql://" not in " ".join(called["argv"])
    env = called["env"]
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"]) == ("db.example", "5433", "shuangchuang")
    assert (env["PGPASSWORD"], env["PGDATABASE"], env["PGSSLMODE"]) == (
        "S3cret-pw",
        "shuangchuang",
        "require",
    )
    assert "DATABASE_URL" not in env
    (dump,) = target.glob("shuangchuang-*.dump")
    assert dump.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("url", ["", "sqlite:///x.db", "postgresql://u:pw@host/", "::"])
def test_no_postgresql_database_no_backup_and_no_password_printed(url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", url)
    assert backup.main(["/nonexistent"]) == 2
    assert "pw" not in capsys.readouterr().err
