"""bot/ops/training.py: the one function that trains. A model for exactly these inputs is never
trained again; Rasa trains into a scratch folder and only a whole archive reaches models/; a
failed training says why and leaves nothing behind. Rasa itself is stood in for by a
command that behaves like ``rasa train`` (tests/test_rasa_model.py uses the real model)."""

from __future__ import annotations

import sys

import pytest

from bot.ops import training
from bot.ops.training import TrainingFailed, model_for, train

# what `rasa train --out DIR --fixed-model-name NAME` leaves behind: DIR/NAME.tar.gz
FAKE_RASA_TRAIN = """
import sys
from pathlib import Path
args = sys.argv[1:]
out, name = Path(args[args.index("--out") + 1]), args[args.index("--fixed-model-name") + 1]
print("training", name)
if "{fail}":
    print("a DIET error"); raise SystemExit(3)
(out / (name + ".tar.gz")).write_text("model")
"""


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(training, "MODELS_DIR", tmp_path / "models")
    return tmp_path / "models"


def fake_rasa(monkeypatch, fail: bool) -> None:
    code = FAKE_RASA_TRAIN.replace("{fail}", "yes" if fail else "")
    monkeypatch.setattr(training, "rasa_command", lambda *args: [sys.executable, "-c", code, *args])


def test_trains_once_per_content_into_models(kb, models_dir, monkeypatch, tmp_path):
    fake_rasa(monkeypatch, fail=False)
    model, trained = train(kb, log=tmp_path / "train.log", low_priority=True)
    assert trained and model == model_for(kb) and model.parent == models_dir
    assert model.read_text() == "model" and "training" in (tmp_path / "train.log").read_text()
    assert train(kb) == (model, False)
    assert train(kb, force=True, log=tmp_path / "again.log") == (model, True)
    assert [p.name for p in models_dir.iterdir()] == [model.name]  # no scratch folder left


def test_a_failed_training_says_why_and_leaves_nothing(kb, models_dir, monkeypatch, tmp_path):
    fake_rasa(monkeypatch, fail=True)
    with pytest.raises(TrainingFailed, match="退出码 3") as failure:
        train(kb, log=tmp_path / "train.log")
    assert "a DIET error" in str(failure.value)
    assert list(models_dir.iterdir()) == []
