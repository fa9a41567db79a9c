"""The one way a model is trained: ``make run`` / ``python -m bot train``, ``python -m bot
publish``, ``make cluster`` and the tests all call ``train``.

A model is named by the content hash of its inputs (``models/<fingerprint>.tar.gz``,
``bot.ops.generate.training_fingerprint``), so a model for exactly these inputs is never trained
twice. Rasa trains into a scratch folder of ``models/``; only a finished archive is moved into
place, so a model in ``models/`` is always whole.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Optional, Tuple

from bot.kb.load import load_knowledge
from bot.kb.models import KnowledgeBase
from bot.ops.commands import child_env, rasa_command
from bot.ops.generate import DATA_DIR, DOMAIN_DIR, training_fingerprint, write_training_data
from bot.settings import PROJECT_DIR

MODELS_DIR = PROJECT_DIR / "models"
LOW_PRIORITY_NICE = 10  # publish: the running server keeps the CPU it needs while this trains
LOG_TAIL_LINES = 15


class TrainingFailed(Exception):
    """``rasa train`` failed; the message has its exit code and the end of its log."""


def model_for(kb: KnowledgeBase) -> Path:
    """Where the model trained for ``kb`` is (or would be) kept. Writes ``kb``'s training data
    (nlu/generated/): the name is the hash of it."""
    write_training_data(kb)
    return MODELS_DIR / f"{training_fingerprint()}.tar.gz"


def train(
    kb: Optional[KnowledgeBase] = None,
    force: bool = False,
    log: Optional[Path] = None,
    low_priority: bool = False,
) -> Tuple[Path, bool]:
    """(the model for ``kb``'s training data — knowledge/ by default —, whether it had to be
    trained). Trains unless that model exists (or ``force``). With ``log``, Rasa's output goes
    there; otherwise to this console, between a line before and a line after. ``low_priority``
    trains at nice +10 beside a running server. Raises ``TrainingFailed``."""
    model = model_for(kb if kb is not None else load_knowledge())
    if model.exists() and not force:
        return model, False
    fingerprint = model.name.removesuffix(".tar.gz")
    scratch = MODELS_DIR / f".train-{fingerprint}-{os.getpid()}"
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
    try:
        if log is None:
            print(f"训练数据或配置有变化，开始训练模型 {model.name} …", flush=True)
            returncode = _run(command, None, low_priority)
        else:
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("wb") as out:
                returncode = _run(command, out, low_priority)
        trained = scratch / model.name
        if returncode != 0 or not trained.exists():
            tail = ""
            if log is not None:
                lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
                tail = "\n".join(lines[-LOG_TAIL_LINES:])
            ending = f"：\n{tail}" if tail else ""
            raise TrainingFailed(f"训练失败（退出码 {returncode}）{ending}")
        os.replace(trained, model)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if log is None:
        print(f"训练完成：{model.name}", flush=True)
    return model, True


def _run(command, out, low_priority: bool) -> int:
    return subprocess.run(
        command,
        cwd=PROJECT_DIR,
        env=child_env(),
        stdout=out,
        stderr=subprocess.STDOUT if out is not None else None,
        preexec_fn=(lambda: os.nice(LOW_PRIORITY_NICE)) if low_priority else None,
    ).returncode
