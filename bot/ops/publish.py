"""Publish knowledge changes that need training, without stopping the assistant.

``python -m bot publish [--model PATH]``: check knowledge/, train a model for it into
models/ (at low CPU priority, beside the running server, which keeps answering with the
current model), then have ``python -m bot run`` start a second Rasa process with it on the
same port, which loads it on the other core, checks it on every FAQ standard question and
only then takes over (``bot.rasa.handoff``: no request is dropped or held up; Rasa's own ``PUT
/model`` would stop the server's loop while it loads). A server not started by ``bot run``
(an instance of ``make cluster``) loads it beside its event loop instead
(``channels.model_swap``). Afterwards the live server must answer the
standard questions through Rasa's HTTP API (``--enable-api --auth-token`` from
``RASA_API_TOKEN``, see ``bot.ops.serve``), or the previous model is swapped back. If training,
loading or a check fails, the old model keeps (or goes back to) serving and the reason is
printed. The history (``bot.kb.history``) notes which model went live for which version of
the knowledge. Operator side: console output is for staff.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from bot.kb.history import History, default_operator
from bot.kb.load import load_knowledge
from bot.kb.models import KnowledgeBase
from bot.kb.problems import KnowledgeError
from bot.ops.generate import DATA_DIR, DOMAIN_DIR, training_fingerprint, write_training_data
from bot.ops.serve import MODELS_DIR, child_env, rasa_command
from bot.rasa.handoff import Control, Request
from bot.settings import BUILD_DIR, PROJECT_DIR, Settings

TRAIN_NICE = 10  # the server keeps the CPU it needs while the model trains
# the swap returns once the new model is loaded and checked; loading yields to requests, so
# on a busy server it takes minutes (rasa run answers a request for up to an hour)
LOAD_TIMEOUT = 1800.0
SWAP_PATH = "/webhooks/model/swap"  # channels.model_swap
# share of FAQ standard questions the new model must answer with their own topic
MIN_STANDARD_QUESTIONS_RIGHT = 0.8
LIVE_CHECK_QUESTIONS = 5  # standard questions asked of the live server after the swap


# Where publish notes its stages for a watcher (the console's publish page): one JSON line per
# stage as it begins ({"stage": …, "time": Unix time}); unset: nowhere.
PROGRESS_FILE_ENV = "PUBLISH_PROGRESS_FILE"


def stage(name: str) -> None:
    """Note that stage ``name`` (check, train, load, verify, done) begins, for a watcher."""
    path = os.environ.get(PROGRESS_FILE_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"stage": name, "time": time.time()}) + "\n")


class PublishError(Exception):
    """Publishing stopped; the message says why, for staff."""


@dataclass
class RasaApi:
    """Rasa's HTTP API on this machine (token-protected)."""

    base_url: str
    token: str
    timeout: float = 60.0  # a busy server still answers its status within this

    def call(
        self, method: str, path: str, body: Optional[dict] = None, timeout: Optional[float] = None
    ) -> Tuple[int, Any]:
        query = urllib.parse.urlencode({"token": self.token})
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(
            f"{self.base_url}{path}?{query}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                return err.code, json.loads(raw) if raw else None
            except ValueError:
                return err.code, raw.decode("utf-8", "replace")

    def current_model(self) -> str:
        """The file name (Rasa reports no folder) of the model the server uses."""
        status, body = self.call("GET", "/status")
        if status in (401, 403):
            raise PublishError(
                "助手的模型接口拒绝了令牌：请确认助手是用这一版 make run 启动的（它会开启 "
                "--enable-api），"
                "且两边的 RASA_API_TOKEN 相同。"
            )
        if status != 200 or not isinstance(body, dict):
            raise PublishError(f"读取助手状态失败（HTTP {status}）：{body}")
        return str(body.get("model_file") or "")

    def load_model(self, model: Path) -> None:
        """Rasa's own ``PUT /model``: loads on the server's event loop, so every request waits
        meanwhile. Only for a server without the model-swap channel (``swap_model``)."""
        status, body = self.call("PUT", "/model", {"model_file": str(model)}, timeout=LOAD_TIMEOUT)
        if status != 204:
            message = body.get("message") if isinstance(body, dict) else body
            raise PublishError(f"助手没能加载新模型（HTTP {status}）：{message}")

    def swap_model(
        self, model: Path, expect: Optional[Dict[str, str]] = None, min_right: float = 0.0
    ) -> Dict[str, Any]:
        """Load ``model`` beside the server's event loop and swap it in (``channels.model_swap``):
        requests keep their normal latency. With ``expect`` (text → intent) the model is swapped
        in only if at least ``min_right`` of the texts get their intent. Returns the server's
        report (``previous`` model, ``load_seconds``, ``right``, ``wrong``)."""
        status, body = self.call(
            "POST",
            SWAP_PATH,
            {"model_file": str(model), "expect": expect or {}, "min_right": min_right},
            timeout=LOAD_TIMEOUT,
        )
        if status == 404:
            # a server started before the swap channel existed: Rasa's own (blocking) way
            previous = self.current_model()
            self.load_model(model)
            return {"previous": {"model_file": previous}, "right": 0, "wrong": [], "old": True}
        if status == 422 and isinstance(body, dict):
            wrong = body.get("wrong") or []
            raise PublishError(
                f"新模型只答对了 {body.get('right')}/{body.get('checked')} 个标准问，没有切换，"
                "助手继续使用原来的模型。答错的：\n" + "\n".join(f"  · {w}" for w in wrong)
            )
        if status != 200 or not isinstance(body, dict):
            message = body.get("error") if isinstance(body, dict) else body
            raise PublishError(f"助手没能加载新模型（HTTP {status}）：{message}")
        return body

    def parse(self, text: str) -> Dict[str, Any]:
        status, body = self.call("POST", "/model/parse", {"text": text})
        if status != 200 or not isinstance(body, dict):
            raise PublishError(f"用新模型理解问题失败（HTTP {status}）：{body}")
        return body


def switch_model(
    settings: Settings,
    api: RasaApi,
    model: Path,
    expect: Optional[Dict[str, str]] = None,
    min_right: float = 0.0,
) -> Dict[str, Any]:
    """Have the running assistant serve ``model`` once it answers at least ``min_right`` of
    ``expect``'s texts with their intent. Served by ``python -m bot run``: a second Rasa
    process loads it on the same port and takes over (``bot.rasa.handoff``: nothing waits, nothing
    is dropped). Otherwise (an instance of ``make cluster``, an older server): the model-swap
    channel. Returns the report (``previous`` model, ``load_seconds``, ``right``, ``wrong``)."""
    control = Control(settings.port)
    if control.supervisor_pid() is None:
        return api.swap_model(model, expect, min_right)
    try:
        result = control.ask(Request(str(model), dict(expect or {}), min_right))
    except TimeoutError as exc:
        raise PublishError(f"助手没有在限定时间内加载新模型（{exc}）") from None
    except ProcessLookupError:
        raise PublishError("助手在切换模型时停止了运行") from None
    if result.refused:
        raise PublishError(
            f"新模型只答对了 {result.right}/{result.checked} 个标准问，没有切换，"
            "助手继续使用原来的模型。答错的：\n" + "\n".join(f"  · {w}" for w in result.wrong)
        )
    if not result.swapped:
        raise PublishError(f"助手没能加载新模型：{result.error}，助手继续使用原来的模型。")
    return {**result.to_dict(), "handoff": True}


def train_model(kb: KnowledgeBase, log: Path) -> Tuple[Path, bool]:
    """(model for the current knowledge, whether it had to be trained). Trains at low priority
    into a scratch folder of models/, then moves the finished archive into place."""
    write_training_data(kb)
    fingerprint = training_fingerprint()
    model = MODELS_DIR / f"{fingerprint}.tar.gz"
    if model.exists():
        return model, False
    scratch = MODELS_DIR / f".publish-{fingerprint}-{os.getpid()}"
    scratch.mkdir(parents=True, exist_ok=True)
    command = rasa_command(
        "train",
        "--config",
        "config.yml",
        "--domain",
        str(DOMAIN_DIR),
        "--data",
        "nlu/data",
        str(DATA_DIR),
        "--out",
        str(scratch),
        "--fixed-model-name",
        fingerprint,
        "--quiet",
    )
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        with log.open("wb") as out:
            result = subprocess.run(
                command,
                cwd=PROJECT_DIR,
                env=child_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=lambda: os.nice(TRAIN_NICE),
            )
        trained = scratch / f"{fingerprint}.tar.gz"
        if result.returncode != 0 or not trained.exists():
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-15:]
            raise PublishError(
                f"训练失败（退出码 {result.returncode}），助手继续使用原来的模型。训练日志 {log} "
                "的最后几行：\n" + "\n".join(tail)
            )
        os.replace(trained, model)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return model, True


def standard_question_check(
    api: RasaApi, kb: KnowledgeBase, limit: Optional[int] = None
) -> Tuple[int, int, List[str]]:
    """(how many of the first ``limit`` FAQ standard questions the live model gets right, how
    many were asked, the ones it gets wrong)."""
    entries = kb.faq[:limit] if limit else kb.faq
    wrong = []
    for entry in entries:
        intent = (api.parse(entry.question).get("intent") or {}).get("name")
        if intent != entry.id:
            wrong.append(f"{entry.question} → {intent}")
    return len(entries) - len(wrong), len(entries), wrong


def model_for(kb: KnowledgeBase) -> Path:
    """Where the model trained for ``kb`` is (or would be) kept."""
    write_training_data(kb)
    return MODELS_DIR / f"{training_fingerprint()}.tar.gz"


def publish_advice(
    settings: Settings, before: Optional[KnowledgeBase], after: KnowledgeBase
) -> str:
    """Whether the running assistant needs ``python -m bot publish`` for ``after`` (staff text)."""
    changed = before is None or model_for(before).name != model_for(after).name
    needed = model_for(after)  # last, so nlu/generated/ matches the knowledge now
    api = RasaApi(
        f"http://127.0.0.1:{settings.port}", settings.effective_rasa_api_token(), timeout=5.0
    )
    served = Control(settings.port).served_model()
    try:
        live: Optional[str] = served.name if served is not None else api.current_model()
    except (PublishError, OSError):
        live = None  # not running (or not ours): judge by the knowledge alone
    if live == needed.name or (live is None and not changed):
        return "问法和问答与运行中的模型一致：无需发布。"
    how = (
        f"已有对应的模型 {needed.name}，不用训练，一两分钟即可切换"
        if needed.is_file()
        else "需要先训练（约 2–5 分钟），训练期间助手照常用原模型回答"
    )
    return f"问法或问答有变化，需要发布：python -m bot publish --by 您的名字（{how}）。"


def publish(
    settings: Settings, model: Optional[Path] = None, by: Optional[str] = None, note: str = ""
) -> int:
    started = time.monotonic()
    stage("check")
    try:
        kb = load_knowledge(settings.knowledge_dir)
    except KnowledgeError as exc:
        print(f"知识库检查未通过，没有发布：\n{exc}", file=sys.stderr)
        return 1
    history = History.for_folder(settings.knowledge_dir)
    version = history.record_if_unrecorded(settings.knowledge_dir)
    api = RasaApi(f"http://127.0.0.1:{settings.port}", settings.effective_rasa_api_token())
    try:
        if model is None:
            print(
                "正在为当前知识库准备模型（需要训练时约 2–5 分钟，助手照常用原模型回答）…",
                flush=True,
            )
            control = Control(settings.port)
            standby = not model_for(kb).is_file() and control.supervisor_pid() is not None
            if standby:  # Rasa and TensorFlow load while the model trains: a faster handoff
                control.tell(Request(standby=True))
            stage("train")
            try:
                model, trained = train_model(kb, BUILD_DIR / "publish-train.log")
            except BaseException:
                if standby and control.supervisor_pid() is not None:
                    control.tell(Request(release=True))
                raise
            print(
                f"{'训练完成' if trained else '已有对应的模型'}：{model.name}"
                f"（{time.monotonic() - started:.0f} 秒）",
                flush=True,
            )
        elif not model.is_file():
            raise PublishError(f"找不到模型文件 {model}")
        model = model.resolve()
        # python -m bot run says what it serves without asking the (maybe busy) server
        served = Control(settings.port).served_model()
        try:
            current = served.name if served is not None else api.current_model()
        except urllib.error.URLError as exc:
            if not isinstance(exc.reason, ConnectionRefusedError):
                raise
            print(f"助手没有在运行（{api.base_url}）：新模型已准备好，下次 make run 会使用它。")
            return 0
        if current == model.name:
            print(f"助手已在使用这个模型（{model.name}），无需切换。")
            return 0
        swap_started = time.monotonic()
        stage("load")
        expect = {entry.question: entry.id for entry in kb.faq}
        # loaded and checked beside the running model; swapped in only if it passes
        report = switch_model(settings, api, model, expect, MIN_STANDARD_QUESTIONS_RIGHT)
        stage("verify")
        if report.get("handoff"):
            # the process now serving checked every standard question before it took over
            live, right, asked, wrong = model.name, report["right"], report["checked"], []
        else:
            # the live server, after the swap: serving the new model, answering as it did
            # when checked (a sample: each parse runs on the server's loop, beside applicants)
            live = api.current_model()
            right, asked, wrong = standard_question_check(api, kb, LIVE_CHECK_QUESTIONS)
        if live != model.name or right < MIN_STANDARD_QUESTIONS_RIGHT * asked:
            previous = Path(str((report.get("previous") or {}).get("model_path") or ""))
            if not previous.is_file():
                previous = MODELS_DIR / current
            if previous.is_file():
                switch_model(settings, api, previous, expect)  # checked only to warm it up
                back = f"已换回原来的模型 {current}"
            else:
                back = (
                    f"原来的模型 {current} 不在 {MODELS_DIR}，"
                    "请用 python -m bot publish --model 旧模型路径 换回"
                )
            raise PublishError(
                f"切换后助手在用 {live}，标准问答对 {right}/{asked}，{back}。答错的：\n"
                + "\n".join(f"  · {w}" for w in wrong)
            )
    except PublishError as exc:
        print(f"发布失败：{exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"发布失败：连接助手出错（{exc}），助手继续使用原来的模型。", file=sys.stderr)
        return 1
    history.record_publish(
        settings.knowledge_dir,
        model.name,
        by=by or default_operator(),
        previous_model=current,
        version=version.version,
        note=note,
    )
    how = (
        "用 Rasa 的 PUT /model 加载（助手是旧版本启动的，加载期间提问要等待；"
        "重启 make run 后不再如此）"
        if report.get("old")
        else f"在运行中的助手旁加载并检查 {report.get('load_seconds', 0):.0f} 秒，瞬间切换"
        + ("（新进程接替）" if report.get("handoff") else "")
    )
    print(
        f"已切换到新模型 {model.name}（{how}；标准问答对 {report.get('right', right)}/"
        f"{report.get('checked', asked)}），原模型 {current}。"
    )
    print(
        f"从开始到新模型上线共 {time.monotonic() - started:.0f} 秒"
        f"（切换 {time.monotonic() - swap_started:.0f} 秒）；切换期间助手照常回答。"
    )
    for item in [*report.get("wrong", []), *wrong]:
        print(f"  注意：标准问 {item}")
    return 0
