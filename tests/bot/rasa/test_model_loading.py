"""Rasa's models loaded without a training step (bot/rasa/model_loading.py): the same
predictions."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List

import pytest
import yaml
from rasa.core.agent import Agent
from rasa.utils.tensorflow.models import RasaModel

from bot.rasa import model_loading
from tests.conftest import PROJECT_DIR

# Rasa's JiebaTokenizer hands jieba.load_userdict a path; jieba opens the file and never
# closes it (third-party, at model load): the warning comes when the file is collected.
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def held_out_questions(count: int) -> List[str]:
    data = yaml.safe_load((PROJECT_DIR / "tests/data/nlu_heldout.yml").read_text("utf-8"))
    lines = [line for block in data["nlu"] for line in block["examples"].splitlines()]
    questions = [line.strip()[2:] for line in lines if line.strip().startswith("- ")]
    return questions[:: max(1, len(questions) // count)]


async def rankings(model: Path, questions: List[str]) -> List[Any]:
    agent = Agent.load(str(model))
    found = []
    for question in questions:
        parsed = await agent.parse_message(question)
        found.append([(r["name"], r["confidence"]) for r in parsed["intent_ranking"]])
    return found


def test_install_makes_the_lean_load_rasas_once(monkeypatch):
    monkeypatch.setattr(RasaModel, "load", classmethod(model_loading._rasa_load))
    model_loading.install()
    assert RasaModel.__dict__["load"].__func__ is model_loading.lean_load
    model_loading.install()  # twice: still the one lean load
    assert RasaModel.__dict__["load"].__func__ is model_loading.lean_load


async def test_lean_load_predicts_exactly_as_rasas_own(trained_model, monkeypatch):
    questions = held_out_questions(60)
    assert len(questions) >= 60
    monkeypatch.setattr(RasaModel, "load", classmethod(model_loading.lean_load))
    lean = await rankings(trained_model, questions)
    monkeypatch.setattr(RasaModel, "load", classmethod(model_loading._rasa_load))
    stock = await rankings(trained_model, questions)
    assert lean == stock  # the same intents with the same confidences, to the last bit


class Status:
    def __init__(self, matched: bool) -> None:
        self.matched = matched
        self.partial = False

    def assert_existing_objects_matched(self) -> None:
        if not self.matched:
            raise AssertionError("Unresolved object in checkpoint")

    def expect_partial(self) -> None:
        self.partial = True


class FakeModel:
    """What lean_load calls on a Rasa model: compile, load_weights, run_inference."""

    def __init__(self, matched: bool = True, **kwargs: Any) -> None:
        self.status = Status(matched)
        self.predicted: List[Any] = []

    def compile(self, **kwargs: Any) -> None:
        pass

    def load_weights(self, path: str) -> Status:
        return self.status

    def run_inference(self, data: Any) -> None:
        self.predicted.append(data)


class Unmatched(FakeModel):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(matched=False)


@pytest.fixture()
def rasa_load(monkeypatch):
    calls = []

    def stock(cls, path, example, predict_example, finetune_mode, *args, **kwargs):
        calls.append((cls, finetune_mode))
        return "stock"

    monkeypatch.setattr(model_loading, "_rasa_load", stock)
    return calls


def test_lean_load_predicts_once_and_ignores_the_saved_optimizer(rasa_load):
    model = model_loading.lean_load(FakeModel, "weights", "example", "predict example")
    assert model.predicted == ["predict example"] and model.status.partial
    assert rasa_load == []


@pytest.mark.parametrize(
    "cls, predict_example, finetune",
    [
        (FakeModel, "predict example", True),  # fine-tuning needs the training state
        (FakeModel, None, False),  # nothing to build the variables with
        (Unmatched, "predict example", False),  # saved weights miss a variable
    ],
)
def test_rasas_own_load_where_the_lean_one_cannot_be_sure(
    rasa_load, cls, predict_example, finetune
):
    assert model_loading.lean_load(cls, "weights", "ex", predict_example, finetune) == "stock"
    assert rasa_load == [(cls, finetune)]
