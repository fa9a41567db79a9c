"""``python -m bot cluster --instances N``: N Rasa servers and one action server behind nginx."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.logs import configure_logging
from bot.ops import cluster


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    parser.description = cluster.__doc__
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--port", type=int, help="public port (nginx); default PORT")
    parser.add_argument(
        "--first-instance-port",
        type=int,
        help="loopback port of the first instance (default: public port + 1)",
    )
    parser.add_argument("--model", type=Path, help="model archive (default: train if stale)")
    parser.add_argument("--state-dir", type=Path, default=cluster.STATE_DIR)
    parser.add_argument(
        "--prepare",
        action="store_true",
        help="only write nginx.conf, credentials.yml and endpoints.yml into --state-dir and "
        "create the databases and tables, then exit (systemd: deploy/systemd/, docs/deploy.md)",
    )
    parser.set_defaults(func=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    if args.instances < 1:
        args.parser.error("--instances must be at least 1")
    configure_logging()  # LOG_LEVEL; no applicant text below DEBUG (bot/logs.py)
    return cluster.run(
        args.instances,
        args.port,
        args.first_instance_port,
        args.model,
        args.state_dir,
        prepare=args.prepare,
    )
