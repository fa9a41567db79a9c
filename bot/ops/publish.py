"""Publish knowledge changes that need training, without stopping the assistant.

``python -m bot publish [--model PATH]``: check knowledge/, train a model for it into
models/ (at low CPU priority, beside the running server, which keeps answering with the
current model), then have ``python -m bot run`` start a second Rasa process with it on the
same port, which loads it on the other core, checks it on every FAQ standard question and
only then takes over (``bot.rasa.handoff``: no request is dropped or held up). That handoff is
the one way a model is swapped: a server not started by ``bot run`` (the instances of ``make
cluster`` or of the systemd units) gets the trained model by a restart, one instance at a time
(docs/deploy.md), and publish says so. If training, loading or the check fails, the old model
keeps serving and the reason is printed. The history (``bot.kb.history``) notes which model
went live for which version of the knowledge. Operator side: console output is for staff.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from bot.kb.history import History, default_operator
from bot.kb.load import load_knowledge
from bot.kb.models import KnowledgeBase
from bot.kb.problems import KnowledgeError
from bot.ops.training import TrainingFailed, model_for, train
from bot.rasa.handoff import Control, Request
from bot.settings import BUILD_DIR, Settings

# share of FAQ standard questions the new model must answer with their own topic
MIN_STANDARD_QUESTIONS_RIGHT = 0.8


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


def switch_model(
    settings: Settings,
    model: Path,
    expect: Optional[Dict[str, str]] = None,
    min_right: float = 0.0,
) -> Dict[str, Any]:
    """Have the running assistant serve ``model`` once it answers at least ``min_right`` of
    ``expect``'s texts with their intent: ``python -m bot run`` starts a second Rasa process
    that loads it on the same port and takes over (``bot.rasa.handoff``: nothing waits, nothing
    is dropped). Returns the report (``previous`` model, ``load_seconds``, ``right``,
    ``wrong``). A server on the port that ``bot run`` did not start cannot be switched."""
    control = Control(settings.port)
    if control.supervisor_pid() is None:
        raise PublishError(
            f"端口 {settings.port} 上的助手不是用 make run（python -m bot run）启动的（例如 "
            f"make cluster 或 systemd 的实例），不能在运行中切换：模型 {model.name} 已准备好，"
            "请逐个重启实例（nginx 会绕开正在重启的实例，见 docs/deploy.md）。"
        )
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
    return result.to_dict()


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
            log = BUILD_DIR / "publish-train.log"
            try:
                model, trained = train(kb, log=log, low_priority=True)
            except TrainingFailed as exc:
                if standby and control.supervisor_pid() is not None:
                    control.tell(Request(release=True))
                raise PublishError(f"{exc}\n助手继续使用原来的模型。训练日志：{log}") from None
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
        # loaded and checked beside the running model, serving only if it passes: the process
        # now serving checked every standard question before it took over
        report = switch_model(settings, model, expect, MIN_STANDARD_QUESTIONS_RIGHT)
        stage("verify")
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
    print(
        f"已切换到新模型 {model.name}（在运行中的助手旁加载并检查 "
        f"{report.get('load_seconds', 0):.0f} 秒，瞬间切换（新进程接替）；标准问答对 "
        f"{report.get('right')}/{report.get('checked')}），原模型 {current}。"
    )
    print(
        f"从开始到新模型上线共 {time.monotonic() - started:.0f} 秒"
        f"（切换 {time.monotonic() - swap_started:.0f} 秒）；切换期间助手照常回答。"
    )
    for item in report.get("wrong", []):
        print(f"  注意：标准问 {item}")
    return 0
