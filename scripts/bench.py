#!/usr/bin/env python
"""Benchmark a running assistant: latency percentiles, throughput, memory.

    python scripts/bench.py --url http://localhost:5005            # REST
    python scripts/bench.py --url http://localhost:5005 --wechat --token T   # signed WeChat webhook

Prints serial latency (p50/p95/p99), the same at N concurrent senders with
throughput, and the resident memory of the processes listening on the ports.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import statistics
import string
import time
import uuid
from typing import List

import aiohttp
import psutil

QUESTIONS = [
    "申报截止时间是哪天", "材料交到哪个窗口", "纸质版几份", "电子版发哪个邮箱", "联系电话多少",
    "企业报什么方向", "长沙可以推荐几个", "那株洲呢", "有哪些附件", "今天天气怎么样",
]


CONVERSATION_TURNS = 10


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def wechat_body(openid: str, text: str) -> str:
    msg_id = random.randint(10**15, 10**16)
    return (
        f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def wechat_params(token: str) -> dict:
    timestamp, nonce = str(int(time.time())), "".join(random.choices(string.digits, k=9))
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce, "openid": "bench"}


async def one_sender(session: aiohttp.ClientSession, args: argparse.Namespace, turns: int) -> List[float]:
    latencies = []
    for turn in range(turns):
        if turn % CONVERSATION_TURNS == 0:  # applicants hold short conversations
            sender = f"bench-{uuid.uuid4().hex[:8]}"
        text = QUESTIONS[turn % len(QUESTIONS)]
        started = time.perf_counter()
        if args.wechat:
            url = f"{args.url}/webhooks/wechat/webhook"
            async with session.post(url, params=wechat_params(args.token), data=wechat_body(sender, text).encode()) as response:
                await response.read()
                ok = response.status == 200
        else:
            url = f"{args.url}/webhooks/rest/webhook"
            async with session.post(url, json={"sender": sender, "message": text}) as response:
                await response.read()
                ok = response.status == 200
        if not ok:
            raise SystemExit(f"request failed with HTTP {response.status}")
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def run_level(args: argparse.Namespace, senders: int, turns: int) -> None:
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        started = time.perf_counter()
        results = await asyncio.gather(*(one_sender(session, args, turns) for _ in range(senders)))
        elapsed = time.perf_counter() - started
    latencies = [value for result in results for value in result]
    print(
        f"{senders:>3} sender(s) × {turns} turns: n={len(latencies)} "
        f"p50={percentile(latencies, .5):.0f} ms p95={percentile(latencies, .95):.0f} ms "
        f"p99={percentile(latencies, .99):.0f} ms mean={statistics.mean(latencies):.0f} ms "
        f"throughput={len(latencies) / elapsed:.1f} req/s"
    )


def memory_report(ports: List[int]) -> None:
    for port in ports:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
                process = psutil.Process(conn.pid)
                print(f"port {port}: pid {conn.pid} RSS {process.memory_info().rss / 2**20:.0f} MiB ({' '.join(process.cmdline()[1:4])})")
                break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://localhost:5005")
    parser.add_argument("--wechat", action="store_true", help="post signed plaintext WeChat messages")
    parser.add_argument("--token", default="", help="WECHAT_TOKEN of the server")
    parser.add_argument("--serial", type=int, default=100, help="turns for the serial run")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10, help="turns per concurrent sender")
    parser.add_argument("--action-port", type=int, default=5055)
    args = parser.parse_args()
    print(f"channel: {'wechat' if args.wechat else 'rest'} at {args.url}")
    asyncio.run(run_level(args, 1, args.serial))
    asyncio.run(run_level(args, args.concurrency, args.turns))
    port = int(args.url.rsplit(":", 1)[-1].split("/")[0])
    memory_report([port, args.action_port])


if __name__ == "__main__":
    main()
