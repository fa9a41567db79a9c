"""python -m bot publish against the running assistant, as staff would use it, while
questions flow at 10 a second: swap a model in (no request fails or waits), refuse a model
that does not load or fails the check, and the whole staff round — spreadsheet import of a
new similar question, publish (training beside the live server), the new question
answered, kb revert, publish back.

Figures (failed requests, latency p50/p95/max before/during/after the swap, time from saving
the similar question to the live answer) are printed as JSON lines starting with
``PUBLISH-FIGURES``: run with ``-s`` to see them.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest
from openpyxl import load_workbook

from bot.kb.spreadsheet import FAQ_COLUMNS, FAQ_SHEET
from bot.ops.publish import PublishError, RasaApi, switch_model
from bot.ops.training import MODELS_DIR
from bot.settings import Settings
from tests.e2e.client import say_text

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Questions per second while publishing. The figure is 10/s (PUBLISH_LOAD_RATE=10):
# one instance answers about 4/s on this shared 2-core machine under the load of the other
# jobs (measured 26 Nov: 3/s p95 1.3 s, 5/s p95 6.5 s and growing, without any publish), so
# the default stays below that, where what the swap itself costs can be seen.
RATE = float(os.environ.get("PUBLISH_LOAD_RATE", "3"))
DEADLINE = "申报截止时间是什么时候？"
DEADLINE_FACT = "11月28日"
# A request not answered within this is failed (the latency figures show how fast they were).
CLIENT_TIMEOUT_S = float(os.environ.get("PUBLISH_CLIENT_TIMEOUT", "60"))
# The new similar questions of the staff round. Before publishing, the live model takes the
# first for the submission address (no deadline in the reply); after, it must give the deadline.
NEW_SIMILAR = "交件的最后一天"
MORE_SIMILAR = ("收件到哪天为止", "过了哪天就不收了")
NEW_SIMILAR_TOPIC = "deadline"
# training (nice 10, beside the live server and the load): 3-4 min with config.yml's smaller DIET
# on this 2-core machine, 10-27 min with the earlier two-layer one; the bound keeps CI inside 90 min
STAFF_ROUND_TIMEOUT_S = 1800


def settings_for(env: Dict[str, str]) -> Settings:
    return Settings(_env_file=None, port=int(env["PORT"]), rasa_api_token=env.get("RASA_API_TOKEN"))


def api_for(env: Dict[str, str]) -> RasaApi:
    settings = settings_for(env)
    return RasaApi(f"http://127.0.0.1:{env['PORT']}", settings.effective_rasa_api_token())


def serve_model(env: Dict[str, str], model: Path, expect=None, min_right: float = 0.0) -> None:
    """What python -m bot publish --model does, without training or history."""
    switch_model(settings_for(env), model, expect, min_right)


def bot(env: Dict[str, str], *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def publish(env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return bot(env, "publish", *args, timeout=STAFF_ROUND_TIMEOUT_S)


def figures(**values) -> None:
    print("PUBLISH-FIGURES " + json.dumps(values, ensure_ascii=False), flush=True)


class Load:
    """RATE questions per second over REST, each its own conversation, until stopped.
    A reply slower than CLIENT_TIMEOUT_S or without the deadline counts as failed."""

    def __init__(self, url: str):
        self.url = url
        # (sent at, latency, error or "") per request
        self.log: List[Tuple[float, float, str]] = []
        self.t0 = time.monotonic()
        self.stop = threading.Event()
        self.threads: List[threading.Thread] = []
        self.ticker = threading.Thread(target=self._tick, daemon=True)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def _one(self, number: int) -> None:
        started = time.monotonic()
        try:
            reply = say_text(self.url, f"publish-load-{number}", DEADLINE, timeout=CLIENT_TIMEOUT_S)
            error = "" if DEADLINE_FACT in reply else f"wrong reply: {reply[:80]}"
        except (OSError, ValueError) as exc:
            error = f"error: {exc}"
        self.log.append((started - self.t0, time.monotonic() - started, error))

    def _tick(self) -> None:
        number = 0
        next_at = time.monotonic()
        while not self.stop.is_set():
            thread = threading.Thread(target=self._one, args=(number,), daemon=True)
            thread.start()
            self.threads.append(thread)
            number += 1
            next_at += 1 / RATE
            time.sleep(max(0.0, next_at - time.monotonic()))

    def __enter__(self) -> Load:
        self.ticker.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.ticker.join()
        for thread in self.threads:
            thread.join(timeout=60)

    def stats(self, start: float = 0.0, end: Optional[float] = None) -> Dict[str, object]:
        """Requests sent in [start, end]: count, failures, latency percentiles (seconds)."""
        window = [e for e in self.log if start <= e[0] <= (end if end is not None else 1e9)]
        latencies = sorted(e[1] for e in window)
        if not latencies:
            return {"n": 0}
        return {
            "n": len(window),
            "failed": sum(1 for e in window if e[2]),
            "p50_s": round(statistics.median(latencies), 3),
            "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3),
            "max_s": round(latencies[-1], 3),
        }

    def failures(self) -> List[Tuple[float, float, str]]:
        return [e for e in self.log if e[2]]


def test_publish_swaps_the_model_while_questions_flow(assistant_server, assistant_url, tmp_path):
    api = api_for(assistant_server)
    original = MODELS_DIR / api.current_model()
    copy = tmp_path / "republished.tar.gz"
    shutil.copyfile(original, copy)
    try:
        with Load(assistant_url) as load:
            time.sleep(15)  # the latency before the swap, for comparison
            start = load.now()
            result = publish(assistant_server, "--model", str(copy))
            end = load.now()
            time.sleep(10)
        figures(
            test="swap",
            rate=RATE,
            before=load.stats(0, start),
            during=load.stats(start, end),
            after=load.stats(end),
            swap_window_s=[round(start, 1), round(end, 1)],
            failed=load.failures()[:10],
            publish=result.stdout.strip().splitlines()[-3:] + result.stderr.strip().splitlines(),
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "已切换到新模型 republished.tar.gz" in result.stdout
        assert "新进程接替" in result.stdout
        assert api.current_model() == "republished.tar.gz"
        assert load.stats()["n"] >= 20 * RATE
        assert load.failures() == []
        assert load.stats(start, end)["failed"] == 0
    finally:
        serve_model(assistant_server, original)


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
    assert DEADLINE_FACT in say_text(assistant_url, "after-broken", DEADLINE)


def test_a_model_that_fails_the_check_never_serves(assistant_server, assistant_url, tmp_path):
    api = api_for(assistant_server)
    before = api.current_model()
    copy = tmp_path / "wanting.tar.gz"
    shutil.copyfile(MODELS_DIR / before, copy)
    with pytest.raises(PublishError, match="没有切换"):
        serve_model(assistant_server, copy, {DEADLINE: "no_such_topic"}, 1.0)
    assert api.current_model() == before
    assert DEADLINE_FACT in say_text(assistant_url, "after-wanting", DEADLINE)


def test_publish_without_a_model_file_or_server(assistant_server, tmp_path):
    result = publish(assistant_server, "--model", str(tmp_path / "missing.tar.gz"))
    assert result.returncode == 1 and "找不到模型文件" in result.stderr
    env = {**assistant_server, "PORT": "9"}  # nothing listens there
    copy = tmp_path / "idle.tar.gz"
    copy.write_bytes(b"x")
    result = publish(env, "--model", str(copy))
    assert result.returncode == 0 and "助手没有在运行" in result.stdout


@pytest.mark.parametrize("path", ["/status", "/domain"])
def test_the_model_apis_need_the_token(assistant_server, path):
    url = f"http://127.0.0.1:{assistant_server['PORT']}{path}"
    try:
        urllib.request.urlopen(url, timeout=10)
        status = 200
    except urllib.error.HTTPError as err:
        status = err.code
    assert status == 401


def add_similar_questions(workbook_path: Path, faq_id: str, questions: List[str]) -> None:
    """What staff do in Excel: more lines in the similar-questions cell of an entry."""
    workbook = load_workbook(workbook_path)
    sheet = workbook[FAQ_SHEET]
    similar = [key for _, key, _ in FAQ_COLUMNS].index("similar") + 1
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row=row, column=1).value == faq_id:
            cell = sheet.cell(row=row, column=similar)
            cell.value = "\n".join([str(cell.value), *questions])
    workbook.save(workbook_path)


def answers_new_question(url: str, sender: str) -> bool:
    return DEADLINE_FACT in say_text(url, sender, NEW_SIMILAR, timeout=30)


@pytest.mark.timeout(STAFF_ROUND_TIMEOUT_S)
def test_staff_round_import_publish_answer_undo(assistant_server, assistant_url, tmp_path):
    """Spreadsheet import of a new similar question → publish trains beside the live server
    and swaps → the question is answered → kb revert → publish swaps the old model back."""
    env = assistant_server
    api = api_for(env)
    original = api.current_model()
    assert not answers_new_question(assistant_url, "staff-before")
    sheet = tmp_path / "faq.xlsx"
    assert bot(env, "kb", "export", "--out", str(sheet)).returncode == 0
    add_similar_questions(sheet, NEW_SIMILAR_TOPIC, [NEW_SIMILAR, *MORE_SIMILAR])
    try:
        with Load(assistant_url) as load:
            saved = time.monotonic()
            imported = bot(env, "kb", "import", str(sheet), "--apply", "--by", "e2e-staff")
            assert imported.returncode == 0, imported.stdout + imported.stderr
            assert NEW_SIMILAR in imported.stdout and "kb revert" in imported.stdout
            start = load.now()
            published = publish(env, "--by", "e2e-staff")
            end = load.now()
            assert published.returncode == 0, published.stdout + published.stderr
            number = 0
            while not answers_new_question(assistant_url, f"staff-after-{number}"):
                number += 1
                assert time.monotonic() - saved < STAFF_ROUND_TIMEOUT_S
                time.sleep(1)
            answered = time.monotonic() - saved
            history = bot(env, "kb", "history")
            reverted = bot(env, "kb", "revert", "1", "--by", "e2e-staff")
            undo_start = load.now()
            back = publish(env, "--by", "e2e-staff")
            undo_end = load.now()
            time.sleep(5)
        figures(
            test="staff round",
            rate=RATE,
            save_to_answer_s=round(answered, 1),
            publish_s=round(end - start, 1),
            publish_window=load.stats(start, end),
            undo_publish_s=round(undo_end - undo_start, 1),
            undo_window=load.stats(undo_start, undo_end),
            overall=load.stats(),
            failed=load.failures()[:10],
            publish=published.stdout.strip().splitlines()[-3:],
            undo=back.stdout.strip().splitlines()[-3:],
        )
        # trained here, or found already trained for exactly this knowledge (an earlier run)
        assert "训练完成" in published.stdout or "已有对应的模型" in published.stdout
        assert "e2e-staff  表格导入" in history.stdout and "发布模型" in history.stdout
        assert reverted.returncode == 0, reverted.stdout + reverted.stderr
        assert "需要发布" in reverted.stdout and "不用训练" in reverted.stdout
        assert back.returncode == 0 and "已有对应的模型" in back.stdout, back.stdout + back.stderr
        assert api.current_model() == original
        assert not answers_new_question(assistant_url, "staff-undone")
        assert load.failures() == []
    finally:
        if api.current_model() != original:
            serve_model(env, MODELS_DIR / original)
