#!/usr/bin/env python
"""Benchmark the assistant: latency percentiles, throughput, memory — alone or beside stock Rasa.

    python scripts/bench.py --compare              # make bench: stock `rasa init` bot, then the
                                                   # assistant via its WeChat webhook (safe mode),
                                                   # one instance per core behind nginx when
                                                   # nginx, PostgreSQL and Redis are here, else 1
    python scripts/bench.py --compare --instances 1   # make bench BENCH_INSTANCES=1: `make run`
    python scripts/bench.py --variant '' --variant 'MALLOC_ARENA_MAX=2'   # the assistant
                                                   # once per environment: RSS, latency
    python scripts/bench.py --url http://localhost:5005            # a running assistant, REST
    python scripts/bench.py --url http://localhost:5005 --wechat --token T [--aes-key K --appid A]

``--compare`` trains a stock ``rasa init --no-prompt`` bot once into ``.build/stock``, serves
it on a spare port and loads it over REST; then it starts the assistant (``python -m bot
run``: the current model, an empty SQLite tracker and question log in a temporary
directory) and loads it through the signed, encrypted WeChat webhook. The two run one after
the other, never at the same time. Each level sends varied questions (the held-out NLU
paraphrases for the assistant — none asked twice in a run —, the stock bot's own examples
for it) from fresh senders, in conversations of ``CONVERSATION_TURNS`` turns. Printed:
p50/p95/p99, throughput, errors, peak RSS of every server process, and the ratio of
throughputs.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import shutil
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

import aiohttp
import psutil
import yaml

PROJECT_DIR = Path(__file__).resolve().parents[1]
STOCK_DIR = PROJECT_DIR / ".build" / "stock"
HELDOUT = PROJECT_DIR / "tests" / "data" / "nlu_heldout.yml"
# the WeChat channel's replies when Rasa did not answer in time or failed (channels/wechat/messages)
NOT_ANSWERS = ("您的问题还在查询中", "抱歉，暂时没能回答这个问题")
CONVERSATION_TURNS = 10
FALLBACK_QUESTIONS = [
    "申报截止时间是哪天",
    "材料交到哪个窗口",
    "纸质版几份",
    "电子版发哪个邮箱",
    "联系电话多少",
    "企业报什么方向",
    "长沙可以推荐几个",
    "那株洲呢",
    "有哪些附件",
    "今天天气怎么样",
]


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def nlu_examples(path: Path) -> List[str]:
    """Every example of an NLU YAML file (``- text`` lines of each ``examples`` block)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    lines: List[str] = []
    for item in data.get("nlu") or []:
        for line in str(item.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- ") and line[2:].strip():
                lines.append(line[2:].strip())
    return lines


# -- WeChat's side: signed (and in safe mode encrypted) requests ----------------------------


def wechat_body(openid: str, text: str) -> str:
    msg_id = random.randint(10**15, 10**16)
    return (
        f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{openid}]]>"
        f"</FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]>"
        f"</MsgType><Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


class WeChatClient:
    def __init__(self, token: str, aes_key: str | None, appid: str | None) -> None:
        self.token = token
        self.crypto = None
        if aes_key:
            from wechatpy.crypto import WeChatCrypto

            self.crypto = WeChatCrypto(token, aes_key, appid or "")

    def request(self, openid: str, text: str) -> tuple[dict, bytes]:
        timestamp, nonce = str(int(time.time())), "".join(random.choices(string.digits, k=10))
        params = {
            "signature": signature(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": openid,
        }
        body = wechat_body(openid, text)
        if self.crypto is None:
            return params, body.encode()
        envelope = self.crypto.encrypt_message(body, nonce, timestamp)
        encrypted = ET.fromstring(envelope).findtext("Encrypt") or ""
        params.update(
            encrypt_type="aes", msg_signature=signature(self.token, timestamp, nonce, encrypted)
        )
        return params, envelope.encode()

    def reply_ok(self, status: int, body: bytes, params: dict) -> bool:
        """A real answer: HTTP 200 with a <Content> that is not "please ask again"/"sorry"."""
        if status != 200:
            return False
        try:
            reply = ET.fromstring(body)
            if self.crypto is not None:
                reply = ET.fromstring(
                    self.crypto.decrypt_message(
                        body.decode(),
                        reply.findtext("MsgSignature"),
                        reply.findtext("TimeStamp"),
                        reply.findtext("Nonce"),
                    )
                )
        except Exception:
            return False
        content = reply.findtext("Content") or ""
        return bool(content) and not content.startswith(NOT_ANSWERS)


# -- load ------------------------------------------------------------------------------------


@dataclass
class Level:
    senders: int
    latencies: List[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0
    cpu_seconds: float = 0.0  # CPU time the server processes used during the level

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def line(self) -> str:
        values = self.latencies or [0.0]
        return (
            f"{self.senders:>3} sender(s): n={len(self.latencies)} errors={self.errors} "
            f"p50={percentile(values, 0.5):.0f} ms p95={percentile(values, 0.95):.0f} ms "
            f"p99={percentile(values, 0.99):.0f} ms mean={statistics.mean(values):.0f} ms "
            f"throughput={self.throughput:.1f} req/s"
            + (
                f" cpu={self.cpu_per_request:.0f} ms/req (≈{1000 / self.cpu_per_request:.0f} "
                "req/s per free core)"
                if self.cpu_per_request
                else ""
            )
        )

    @property
    def cpu_per_request(self) -> float:
        """CPU milliseconds the servers spent per answered request: unlike req/s, hardly
        moved by other work on the machine (that takes wall-clock time, not this CPU time)."""
        done = len(self.latencies) + self.errors
        return self.cpu_seconds * 1000 / done if done and self.cpu_seconds else 0.0


# Consecutive questions of the walk are this far apart in the question file (which lists
# paraphrases intent by intent), so one conversation asks about different things.
STRIDE = 7


@dataclass
class Target:
    """A server under load. Its questions are handed out along one walk through the file
    (``start``, ``start + STRIDE``, …, coprime to the number of questions) that every level
    continues: no question is asked twice in a run until the walk has gone round (the 370
    held-out questions are enough for the warm-up, the serial run and 20 senders × 10 turns;
    so a cache of parse results meets no repeat the issue's "varied questions" exclude)."""

    name: str
    base_url: str
    questions: List[str]
    wechat: Optional[WeChatClient] = None
    pids: List[int] = field(default_factory=list)
    start: int = -1  # where the walk begins: random (reproducible with --seed)
    asked: int = 0  # questions handed out so far

    def __post_init__(self) -> None:
        if self.start < 0:
            self.start = random.randrange(len(self.questions))

    def question(self, number: int) -> str:
        """The ``number``-th question of the walk."""
        return self.questions[(self.start + STRIDE * number) % len(self.questions)]

    def hand_out(self, count: int) -> int:
        """Reserve the next ``count`` questions of the walk; returns the number of the first."""
        first, self.asked = self.asked, self.asked + count
        return first


async def one_sender(
    session: aiohttp.ClientSession, target: Target, turns: int, level: Level, first: int
) -> None:
    for turn in range(turns):
        if turn % CONVERSATION_TURNS == 0:  # applicants hold short conversations
            sender = f"bench-{uuid.uuid4().hex[:12]}"
        text = target.question(first + turn)
        started = time.perf_counter()
        try:
            if target.wechat is not None:
                params, body = target.wechat.request(sender, text)
                async with session.post(
                    f"{target.base_url}/webhooks/wechat/webhook", params=params, data=body
                ) as response:
                    payload = await response.read()
                    ok = target.wechat.reply_ok(response.status, payload, params)
            else:
                async with session.post(
                    f"{target.base_url}/webhooks/rest/webhook",
                    json={"sender": sender, "message": text},
                ) as response:
                    payload = await response.read()
                    ok = response.status == 200 and payload.startswith(b"[")
        except (aiohttp.ClientError, asyncio.TimeoutError):
            ok = False
        if ok:
            level.latencies.append((time.perf_counter() - started) * 1000)
        else:
            level.errors += 1


async def run_level(
    target: Target, senders: int, turns: int, memory: Optional[Dict[int, float]] = None
) -> Level:
    level = Level(senders)
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=senders + 5)
    sampler = (
        asyncio.ensure_future(sample_memory(target.pids, memory)) if memory is not None else None
    )
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        first = target.hand_out(senders * turns)
        cpu_before = cpu_seconds(target.pids)
        began = time.perf_counter()
        await asyncio.gather(
            *(one_sender(session, target, turns, level, first + n * turns) for n in range(senders))
        )
        level.elapsed = time.perf_counter() - began
        level.cpu_seconds = cpu_seconds(target.pids) - cpu_before
    if sampler is not None:
        sampler.cancel()
    return level


def process_tree(pids: List[int]) -> List[psutil.Process]:
    found: List[psutil.Process] = []
    for pid in pids:
        try:
            root = psutil.Process(pid)
            found += [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            pass
    return found


def cpu_seconds(pids: List[int]) -> float:
    """User + system CPU time of the server processes (and their children) so far."""
    total = 0.0
    for process in process_tree(pids):
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def describe(process: psutil.Process) -> str:
    try:
        command = " ".join(process.cmdline()[1:4])
    except psutil.Error:
        command = "?"
    return command[:60]


async def sample_memory(pids: List[int], peaks: Optional[Dict[int, float]]) -> None:
    while peaks is not None:
        for process in process_tree(pids):
            try:
                rss = process.memory_info().rss / 2**20
            except psutil.Error:
                continue
            peaks[process.pid] = max(peaks.get(process.pid, 0.0), rss)
        await asyncio.sleep(0.5)


def memory_lines(pids: List[int], peaks: Dict[int, float]) -> List[str]:
    lines = []
    for process in process_tree(pids):
        if process.pid in peaks and peaks[process.pid] > 30:  # not the thin `bot run` parent
            lines.append(
                f"    pid {process.pid}: peak RSS {peaks[process.pid]:.0f} MiB "
                f"({describe(process)})"
            )
    return lines


# -- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_up(url: str, process: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not come up")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stock_model() -> Path:
    """The stock `rasa init` bot's model, trained once into .build/stock."""
    models = sorted((STOCK_DIR / "models").glob("*.tar.gz"))
    if models:
        return models[-1]
    if STOCK_DIR.exists():
        shutil.rmtree(STOCK_DIR)
    STOCK_DIR.mkdir(parents=True)
    print("training the stock `rasa init` bot once into .build/stock …", flush=True)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "rasa", "init", "--no-prompt", "--init-dir", str(STOCK_DIR)],
        cwd=STOCK_DIR,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"stock bot trained in {time.monotonic() - started:.0f} s", flush=True)
    models = sorted((STOCK_DIR / "models").glob("*.tar.gz"))
    if not models:
        raise SystemExit("rasa init did not produce a model")
    return models[-1]


def warm_up(target: Target, count: int = 5) -> None:
    asyncio.run(run_level(target, 1, count))


def measure(target: Target, args: argparse.Namespace) -> Dict[str, object]:
    warm_up(target)
    serial = asyncio.run(run_level(target, 1, args.serial))
    peaks: Dict[int, float] = {}
    concurrent = asyncio.run(run_level(target, args.concurrency, args.turns, peaks))
    print(f"  {serial.line()}\n  {concurrent.line()}", flush=True)
    for line in memory_lines(target.pids, peaks):
        print(line)
    return {"serial": serial, "concurrent": concurrent, "memory": peaks}


def bench_stock(args: argparse.Namespace) -> Dict[str, object]:
    model = stock_model()
    port = free_port()
    log = (STOCK_DIR / "bench_server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rasa",
            "run",
            "--model",
            str(model),
            "--port",
            str(port),
            "-i",
            "127.0.0.1",
            "--credentials",
            str(STOCK_DIR / "credentials.yml"),
        ],
        cwd=STOCK_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    try:
        wait_up(f"http://127.0.0.1:{port}/", process)
        questions = nlu_examples(STOCK_DIR / "data" / "nlu.yml")
        print(f"stock `rasa init` bot (REST, {len(questions)} varied messages):", flush=True)
        return measure(
            Target("stock", f"http://127.0.0.1:{port}", questions, pids=[process.pid]), args
        )
    finally:
        stop(process)
        log.close()


def bench_assistant(args: argparse.Namespace) -> Dict[str, object]:
    """`python -m bot run` (one instance, SQLite), or with ``--instances N`` the cluster (N
    instances behind nginx on PostgreSQL and Redis, ``python -m bot cluster``)."""
    token, appid = "benchtoken", "wxbench0000000000"
    aes_key = "".join(random.choices(string.ascii_letters + string.digits, k=43))
    work = Path(tempfile.mkdtemp(prefix="bench-assistant-"))
    port, action_port = free_port(), free_port()
    env = dict(os.environ)
    for unset in (
        "TELEGRAM_TOKEN",
        "WECHAT_SECRET",
        "WECHAT_PREVIOUS_AES_KEY",
        "REDIS_URL",
        "TRACKER_STORE_URL",
        "LOCK_STORE_URL",
        "DATABASE_URL",
    ):
        env.pop(unset, None)
    env.update(
        PORT=str(port),
        ACTION_PORT=str(action_port),
        TRACKER_DB=str(work / "tracker.db"),
        DATABASE_URL=f"sqlite:///{work / 'question_log.db'}",
        QUESTION_LOG_SECRET="bench",
        WECHAT_TOKEN=token,
        WECHAT_AES_KEY=aes_key,
        WECHAT_APPID=appid,
        PYTHONPATH=str(PROJECT_DIR),
    )
    command = [sys.executable, "-m", "bot", "run"]
    label = "assistant, one instance on SQLite"
    if args.instances > 1:
        env.pop("DATABASE_URL")  # bot.ops.cluster's defaults: local PostgreSQL and Redis
        env.setdefault("TRACKER_STORE_URL", "postgresql://postgres@127.0.0.1:5432/bench")
        env["DATABASE_URL"] = env["TRACKER_STORE_URL"]
        models = sorted((PROJECT_DIR / "models").glob("*.tar.gz"), key=lambda m: m.stat().st_mtime)
        command = [
            sys.executable,
            "-m",
            "bot",
            "cluster",
            "--instances",
            str(args.instances),
            "--port",
            str(port),
            "--state-dir",
            str(work / "cluster"),
            "--first-instance-port",
            str(free_port()),
        ]
        if models:
            command += ["--model", str(models[-1])]
        label = f"assistant, {args.instances} instances behind nginx on PostgreSQL + Redis"
    env.update(dict(item.split("=", 1) for item in args.assistant_env))
    log = (work / "server.log").open("wb")
    process = subprocess.Popen(
        command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_up(f"http://127.0.0.1:{port}/", process)
        questions = nlu_examples(HELDOUT) if HELDOUT.exists() else FALLBACK_QUESTIONS
        print(f"{label} (WeChat safe mode, {len(questions)} varied questions):", flush=True)
        return measure(
            Target(
                "assistant",
                f"http://127.0.0.1:{port}",
                questions,
                WeChatClient(token, aes_key, appid),
                pids=[process.pid],
            ),
            args,
        )
    finally:
        stop(process)
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def compare(args: argparse.Namespace) -> int:
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start "
        "(other work on the machine slows both bots)",
        flush=True,
    )
    stock = bench_stock(args)
    assistant = bench_assistant(args)
    ratio = (
        assistant["concurrent"].throughput  # type: ignore[attr-defined]
        / max(stock["concurrent"].throughput, 1e-9)
    )  # type: ignore[attr-defined]
    p99 = percentile(assistant["concurrent"].latencies or [0.0], 0.99)  # type: ignore
    print(
        f"\nthroughput ratio assistant/stock at {args.concurrency} senders: {ratio:.2f}× "
        f"(assistant p99 {p99:.0f} ms); load average now {os.getloadavg()[0]:.2f}"
    )
    return 0


def variants(args: argparse.Namespace) -> int:
    """The assistant once per ``--variant`` (environment settings), one after the other in
    one run: latency, throughput and peak RSS side by side (memory tuning, issue 12)."""
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start "
        "(other work on the machine slows every variant)",
        flush=True,
    )
    results = []
    base_env = list(args.assistant_env)
    for variant in args.variant:
        settings = [item for item in variant.split() if "=" in item]
        print(f"\n== variant: {variant or '(none)'}", flush=True)
        args.assistant_env = base_env + settings
        results.append((variant or "(none)", bench_assistant(args)))
    print(f"\nsummary at {args.concurrency} senders (load average now {os.getloadavg()[0]:.2f}):")
    for name, result in results:
        level = result["concurrent"]
        memory: Dict[int, float] = result["memory"]  # type: ignore[assignment]
        rasa_peak = max(memory.values() or [0.0])
        print(
            f"  {name:<60} {level.throughput:5.1f} req/s "  # type: ignore[attr-defined]
            f"p50 {percentile(level.latencies or [0.0], 0.5):4.0f} ms "  # type: ignore
            f"p99 {percentile(level.latencies or [0.0], 0.99):5.0f} ms "  # type: ignore
            f"errors {level.errors}  largest process peak RSS {rasa_peak:.0f} MiB"  # type: ignore
            f"  cpu {level.cpu_per_request:.0f} ms/req"  # type: ignore[attr-defined]
        )
    return 0


def run_against(args: argparse.Namespace) -> int:
    wechat = WeChatClient(args.token, args.aes_key, args.appid) if args.wechat else None
    port = int(args.url.rsplit(":", 1)[-1].split("/")[0])
    pids = [
        c.pid
        for c in psutil.net_connections(kind="tcp")
        if c.laddr
        and c.laddr.port in (port, args.action_port)
        and c.status == psutil.CONN_LISTEN
        and c.pid
    ]
    questions = nlu_examples(HELDOUT) if HELDOUT.exists() else FALLBACK_QUESTIONS
    print(f"channel: {'wechat' if wechat else 'rest'} at {args.url}")
    measure(Target("assistant", args.url.rstrip("/"), questions, wechat, pids=pids), args)
    return 0


def default_instances() -> int:
    """One instance per core (docs/deploy.md: a Rasa instance computes on one core) when the
    cluster can run here — nginx installed, PostgreSQL and Redis answering on this machine —
    else one instance on SQLite (``make run``)."""
    if str(PROJECT_DIR) not in sys.path:
        sys.path.insert(0, str(PROJECT_DIR))
    from bot.ops.cluster import answers, nginx_binary

    cores = os.cpu_count() or 1
    here = nginx_binary() and answers("127.0.0.1", 5432) and answers("127.0.0.1", 6379)
    return cores if cores > 1 and here else 1


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="stock rasa init bot, then the assistant (WeChat safe mode)",
    )
    parser.add_argument("--url", default="http://localhost:5005")
    parser.add_argument("--wechat", action="store_true", help="post signed WeChat messages")
    parser.add_argument("--token", default="", help="WECHAT_TOKEN of the server")
    parser.add_argument("--aes-key", default=None, help="WECHAT_AES_KEY (safe mode)")
    parser.add_argument("--appid", default=None, help="WECHAT_APPID (safe mode)")
    parser.add_argument("--serial", type=int, default=30, help="turns for the serial run")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10, help="turns per concurrent sender")
    parser.add_argument("--action-port", type=int, default=5055)
    parser.add_argument(
        "--instances",
        type=int,
        default=None,
        help="--compare: run the assistant as N instances behind nginx (default: one per "
        "core when nginx, PostgreSQL and Redis are here — the production topology — else 1)",
    )
    parser.add_argument(
        "--assistant-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the assistant in --compare",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="'NAME=VALUE …'",
        help="the assistant alone, once per variant (its extra environment; '' = none)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed the question order: runs with the same seed ask the same questions in the "
        "same conversations (before/after comparisons)",
    )
    args = parser.parse_args(argv)
    if args.instances is None:
        args.instances = default_instances()
    if args.seed is not None:
        random.seed(args.seed)
    run: Callable[[argparse.Namespace], int] = compare if args.compare else run_against
    if args.variant:
        run = variants
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
