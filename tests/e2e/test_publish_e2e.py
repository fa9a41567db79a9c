"""python -m bot publish against the running assistant: swap while questions flow, refuse a bad
model."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Dict, List, Tuple

from bot.publish import RasaApi
from bot.serve import MODELS_DIR
from bot.settings import Settings
from tests.e2e.client import say_text

PROJECT_DIR = Path(__file__).resolve().parents[2]
# questions per second while publishing; the figure is 10/s (PUBLISH_LOAD_RATE=10),
# the default stays below what a shared 2-core test machine sustains next to other jobs
RATE = float(os.environ.get("PUBLISH_LOAD_RATE", "3"))


def api_for(env: Dict[str, str]) -> RasaApi:
    settings = Settings(_env_file=None, rasa_api_token=env.get("RASA_API_TOKEN"))
    return RasaApi(f"http://127.0.0.1:{env['PORT']}", settings.effective_rasa_api_token())


def publish(env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", "publish", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


class Load:
    """RATE questions per second over REST, each its own conversation, until stopped."""

    def __init__(self, url: str):
        self.url = url
        self.results: List[Tuple[bool, float]] = []
        self.log: List[
            Tuple[float, float, str]
        ] = []  # (sent at, latency, reply or error) per request
        self.t0 = time.monotonic()
        self.stop = threading.Event()
        self.threads: List[threading.Thread] = []
        self.ticker = threading.Thread(target=self._tick, daemon=True)

    def _one(self, number: int) -> None:
        started = time.monotonic()
        try:
            # slow is measured, not failed: Rasa's PUT /model blocks its loop while it
            # loads (see note)
            reply = say_text(
                self.url, f"publish-load-{number}", "申报截止时间是什么时候？", timeout=240
            )
        except OSError as exc:
            reply = f"error: {exc}"
        ok = "11月28日" in reply
        self.results.append((ok, time.monotonic() - started))
        self.log.append((started - self.t0, time.monotonic() - started, "" if ok else reply[:80]))

    def _tick(self) -> None:
        number = 0
        while not self.stop.is_set():
            thread = threading.Thread(target=self._one, args=(number,), daemon=True)
            thread.start()
            self.threads.append(thread)
            number += 1
            time.sleep(1 / RATE)

    def __enter__(self) -> Load:
        self.ticker.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.ticker.join()
        for thread in self.threads:
            thread.join(timeout=300)


def test_publish_swaps_the_model_while_questions_flow(assistant_server, assistant_url, tmp_path):
    api = api_for(assistant_server)
    original = MODELS_DIR / api.current_model()
    copy = tmp_path / "republished.tar.gz"
    shutil.copyfile(original, copy)
    try:
        with Load(assistant_url) as load:
            time.sleep(20)  # the latency before the swap, for comparison
            swap = (time.monotonic() - load.t0, 0.0)
            result = publish(assistant_server, "--model", str(copy))
            swap = (swap[0], time.monotonic() - load.t0)
            time.sleep(10)
        before = sorted(lat for sent, lat, _ in load.log if sent < swap[0])
        during = sorted(lat for sent, lat, _ in load.log if swap[0] <= sent <= swap[1])
        print(
            json.dumps(
                {
                    "before_swap": {
                        "n": len(before),
                        "p50_s": round(statistics.median(before), 3),
                        "max_s": round(before[-1], 3),
                    },
                    "during_swap": {
                        "n": len(during),
                        "p50_s": round(statistics.median(during), 3),
                        "max_s": round(during[-1], 3),
                    },
                    "swap_window_s": [round(swap[0], 1), round(swap[1], 1)],
                    "failed": [entry for entry in load.log if entry[2]],
                },
                ensure_ascii=False,
            )
        )
        failures = [latency for ok, latency in load.results if not ok]
        latencies = sorted(latency for _, latency in load.results)
        print(
            json.dumps(
                {
                    "rate": RATE,
                    "requests": len(latencies),
                    "failed": len(failures),
                    "p50_s": round(statistics.median(latencies), 3),
                    "max_s": round(latencies[-1], 3),
                    "publish": result.stdout.strip().splitlines()[-2:]
                    + result.stderr.strip().splitlines()[-2:],
                },
                ensure_ascii=False,
            )
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "已切换到新模型 republished.tar.gz" in result.stdout
        assert api.current_model() == "republished.tar.gz"
        assert len(latencies) >= 4 * RATE and failures == []
    finally:
        api.load_model(original)


def test_a_model_that_does_not_load_leaves_the_old_one_serving(
    assistant_server, assistant_url, tmp_path
):
    api = api_for(assistant_server)
    before = api.current_model()
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not a model")
    result = publish(assistant_server, "--model", str(broken))
    assert result.returncode == 1
    assert "发布失败：助手没能加载新模型" in result.stderr
    assert api.current_model() == before
    assert "11月28日" in say_text(assistant_url, "after-broken", "申报截止时间是什么时候？")


def test_publish_without_a_model_file_or_server(assistant_server, tmp_path):
    result = publish(assistant_server, "--model", str(tmp_path / "missing.tar.gz"))
    assert result.returncode == 1 and "找不到模型文件" in result.stderr
    env = {**assistant_server, "PORT": "9"}  # nothing listens there
    copy = tmp_path / "idle.tar.gz"
    copy.write_bytes(b"x")
    result = publish(env, "--model", str(copy))
    assert result.returncode == 0 and "助手没有在运行" in result.stdout


def test_the_model_api_needs_the_token(assistant_server):
    url = f"http://127.0.0.1:{assistant_server['PORT']}/status"
    try:
        urllib.request.urlopen(url, timeout=10)
        status = 200
    except urllib.error.HTTPError as err:
        status = err.code
    assert status == 401
