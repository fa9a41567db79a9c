"""``python -m bot.ops.backup DIR``: a ``pg_dump --format=custom`` of ``DATABASE_URL`` into DIR,
the password never on a command line.

Run by ``deploy/systemd/shuangchuang-backup.service``. A command line is readable by every user
of the machine (``ps``, ``/proc/PID/cmdline``); so pg_dump gets the host, port, user and
database as its ``PG*`` environment variables and the password as ``PGPASSWORD`` — a process's
environment is readable by its owner only — and a database name, never the URL. The dump
file is created owner-only (umask 077).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Mapping, Optional

from sqlalchemy.engine import make_url

PG_DUMP = "pg_dump"


class BackupError(Exception):
    """The backup cannot run (the message names the setting, never the password)."""


def pg_environment(url: str, base: Mapping[str, str]) -> Dict[str, str]:
    """``base`` with the connection of a ``postgresql://`` URL as libpq's PG* variables."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise BackupError("DATABASE_URL is not a database URL") from exc
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        raise BackupError("DATABASE_URL must name a PostgreSQL database (postgresql://…/name)")
    env = {k: v for k, v in base.items() if k != "DATABASE_URL"}
    values = {
        "PGHOST": parsed.host,
        "PGPORT": str(parsed.port) if parsed.port else None,
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
    }
    for name, value in values.items():
        if value:
            env[name] = str(value)
        else:
            env.pop(name, None)
    for key, value in parsed.query.items():  # e.g. ?sslmode=require
        if key == "sslmode" and isinstance(value, str):
            env["PGSSLMODE"] = value
    return env


def dump_command(directory: Path, now: dt.datetime) -> List[str]:
    target = Path(directory) / f"shuangchuang-{now:%Y%m%d-%H%M}.dump"
    return [PG_DUMP, "--format=custom", f"--file={target}"]


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m bot.ops.backup DIR", file=sys.stderr)
        return 2
    url = os.environ.get("DATABASE_URL", "")
    try:
        env = pg_environment(url, os.environ)
    except BackupError as exc:
        print(f"backup not possible: {exc}", file=sys.stderr)
        return 2
    previous = os.umask(0o077)  # the directory and the dump: owner only
    try:
        Path(args[0]).mkdir(parents=True, exist_ok=True)
        return subprocess.run(dump_command(Path(args[0]), dt.datetime.now()), env=env).returncode
    finally:
        os.umask(previous)


if __name__ == "__main__":
    raise SystemExit(main())
