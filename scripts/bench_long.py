#!/usr/bin/env python
"""Do long conversations stay fast? First turns against last turns of one long conversation.

    python scripts/bench_long.py                        # SQLite, then PostgreSQL (if it answers)
    python scripts/bench_long.py --backend sqlite --turns 200 --window 20
    python scripts/bench_long.py --settings 0 100       # TRACKER_MAX_SESSION_EVENTS off vs 100

For every tracker store backend (the embedded SQLite file; PostgreSQL through
``TRACKER_STORE_URL``) and every value of ``TRACKER_MAX_SESSION_EVENTS`` given (0 = Rasa's
stock behaviour, the whole session reloaded every turn), the script starts the assistant
(``python -m bot run``, empty stores) and holds one conversation of ``--turns`` turns over
REST. Turn ``i`` asks question ``i mod (turns - window)`` of the held-out paraphrases, so
the last ``window`` turns ask exactly the questions of the first ``window``: only the
conversation's length differs. During the last window a fresh conversation asks the same
questions, interleaved turn by turn — a control measured in the same seconds, so load
from other work on the machine falls on both. Printed: p50/p95 of the first and last
window, of the fresh control, the ratios last/first and last/fresh, the slowest window of
the whole conversation (turns 0-19, 20-39, …: a slowdown that comes and goes in the middle,
as a database plan that changes with the table's size does, is not seen by first and last
alone), and how many events and sessions the tracker store holds for the long conversation.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import requests
from bench import free_port, nlu_examples, percentile, stop, wait_up
from sqlalchemy import create_engine, text

PROJECT_DIR = Path(__file__).resolve().parents[1]
HELDOUT = PROJECT_DIR / "tests" / "data" / "nlu_heldout.yml"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/bench_long"


def postgres_answers(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def start_assistant(
    work: Path, tracker_url: Optional[str], max_events: int, first_port: int = 0
) -> Tuple:
    port, action_port = (first_port, first_port + 1) if first_port else (free_port(), free_port())
    env = dict(os.environ)
    for unset in ("TELEGRAM_TOKEN", "WECHAT_TOKEN", "REDIS_URL", "LOCK_STORE_URL"):
        env.pop(unset, None)
    env.update(
        PORT=str(port),
        ACTION_PORT=str(action_port),
        TRACKER_DB=str(work / "tracker.db"),
        DATABASE_URL=f"sqlite:///{work / 'question_log.db'}",
        QUESTION_LOG_SECRET="bench",
        RATE_LIMIT_PER_MINUTE="0",
        TRACKER_MAX_SESSION_EVENTS=str(max_events),
        PYTHONPATH=str(PROJECT_DIR),
    )
    env.pop("TRACKER_STORE_URL", None)
    if tracker_url:
        env["TRACKER_STORE_URL"] = tracker_url
    log = (work / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, log, f"http://127.0.0.1:{port}"


def ask(session: requests.Session, base: str, sender: str, question: str) -> float:
    started = time.perf_counter()
    response = session.post(
        f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": question}, timeout=60
    )
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200 or not response.json():
        raise SystemExit(f"turn failed: {response.status_code} {response.text[:200]}")
    return elapsed


def conversation(base: str, questions: List[str], turns: int, window: int) -> Dict[str, list]:
    period = turns - window
    long_sender, fresh_sender = f"long-{uuid.uuid4().hex[:8]}", f"fresh-{uuid.uuid4().hex[:8]}"
    times: Dict[str, list] = {"long": [], "fresh": []}
    with requests.Session() as session:
        for turn in range(turns):
            times["long"].append(ask(session, base, long_sender, questions[turn % period]))
            if turn >= period:  # the control: a new conversation, same questions, same seconds
                times["fresh"].append(ask(session, base, fresh_sender, questions[turn - period]))
    return times


def tracker_counts(url: str) -> Tuple[int, int]:
    """Events and sessions of the longest conversation in the tracker store at ``url``."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text(
                    "select count(*) as n, sum(case when type_name = 'session_started' "
                    "then 1 else 0 end) as s from events group by sender_id order by n desc "
                    "limit 1"
                )
            ).first()
    finally:
        engine.dispose()
    return (int(row[0]), int(row[1] or 0)) if row else (0, 0)


def reset_postgres(url: str) -> None:
    """An empty database for the run (dropped and created again)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'drop database if exists "{parsed.database}"'))
            connection.execute(text(f'create database "{parsed.database}"'))
    finally:
        admin.dispose()


def run_one(backend: str, max_events: int, args: argparse.Namespace, questions: List[str]) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench-long-"))
    tracker_url = None
    if backend == "postgresql":
        tracker_url = args.postgres_url
        reset_postgres(tracker_url)
    process, log, base = start_assistant(work, tracker_url, max_events, args.port)
    try:
        wait_up(f"{base}/", process)
        with urllib.request.urlopen(f"{base}/", timeout=5):
            pass
        ask(requests.Session(), base, "warm-up", questions[0])  # first-turn costs out of the way
        times = conversation(base, questions, args.turns, args.window)
        events, sessions = tracker_counts(tracker_url or f"sqlite:///{work / 'tracker.db'}")
    finally:
        stop(process)
        log.close()
        shutil.rmtree(work, ignore_errors=True)
    first, last = times["long"][: args.window], times["long"][-args.window :]
    fresh = times["fresh"]
    result = {
        "backend": backend,
        "max_events": max_events,
        "first": percentile(first, 0.5),
        "last": percentile(last, 0.5),
        "fresh": percentile(fresh, 0.5),
        "first95": percentile(first, 0.95),
        "last95": percentile(last, 0.95),
        "events": events,
        "sessions": sessions,
    }
    result["ratio"] = result["last"] / result["first"]
    result["ratio_fresh"] = result["last"] / result["fresh"]
    result["slowest"], result["slowest_at"] = slowest_window(times["long"], args.window)
    print(line(result, args), flush=True)
    return result


def slowest_window(times: List[float], window: int) -> Tuple[float, int]:
    """p50 of the slowest of the consecutive windows of ``window`` turns, and its first turn."""
    return max(
        (percentile(times[start : start + window], 0.5), start)
        for start in range(0, len(times) - window + 1, window)
    )


def line(r: dict, args: argparse.Namespace) -> str:
    setting = f"TRACKER_MAX_SESSION_EVENTS={r['max_events']}"
    return (
        f"{r['backend']:<10} {setting:<30} p50 first {args.window}: {r['first']:.0f} ms, "
        f"last {args.window}: {r['last']:.0f} ms (ratio {r['ratio']:.2f}×), fresh control "
        f"{r['fresh']:.0f} ms (last/fresh {r['ratio_fresh']:.2f}×); p95 first {r['first95']:.0f}"
        f" / last {r['last95']:.0f} ms; slowest {args.window}: {r['slowest']:.0f} ms (turns "
        f"{r['slowest_at']}-{r['slowest_at'] + args.window - 1}); tracker store: "
        f"{r['events']} events, {r['sessions']} sessions"
    )


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--window", type=int, default=20)
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql", "both"), default="both", help="tracker store"
    )
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="the assistant's port (the action server gets the next one); default: any free",
    )
    parser.add_argument(
        "--settings",
        type=int,
        nargs="+",
        default=[0, 100],
        metavar="N",
        help="values of TRACKER_MAX_SESSION_EVENTS to compare (0 = off)",
    )
    args = parser.parse_args(argv)
    if args.turns <= 2 * args.window:
        parser.error("--turns must be more than twice --window")
    questions = nlu_examples(HELDOUT)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not postgres_answers():
        print("PostgreSQL does not answer on 127.0.0.1:5432: SQLite only", flush=True)
        backends.remove("postgresql")
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start; "
        f"{args.turns} turns, windows of {args.window}",
        flush=True,
    )
    results = [
        run_one(backend, setting, args, questions)
        for backend in backends
        for setting in args.settings
    ]
    print(f"\nsummary (load average now {os.getloadavg()[0]:.2f}):")
    for result in results:
        print("  " + line(result, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
