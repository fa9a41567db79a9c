"""bot/rasa/patches.py: every patch installed by one call, once; another Rasa version refused
with a clear message; every patch has its row in docs/architecture.md."""

from __future__ import annotations

import sys

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.processor import MessageProcessor
from rasa.utils.tensorflow.models import RasaModel

from bot.rasa import model_loading, patches, speedups
from tests.conftest import PROJECT_DIR


def test_the_installed_rasa_is_the_one_patched():
    patches.check_rasa_version()


@pytest.mark.parametrize("found", ["3.6.20", "3.7.0", "3.6.21rc1"])
def test_another_rasa_version_is_refused_with_a_clear_message(found):
    with pytest.raises(SystemExit) as refused:
        patches.check_rasa_version(found)
    message = str(refused.value.code)
    assert f"Rasa {found} is installed" in message and "rasa==3.6.21" in message


def test_install_all_installs_every_patch_once(monkeypatch):
    monkeypatch.setattr(patches, "_installed", False)
    monkeypatch.setattr(RasaModel, "load", classmethod(model_loading._rasa_load))
    monkeypatch.setattr(
        RemoteAction, "_validate_action_result", RemoteAction._validate_action_result
    )
    monkeypatch.setattr(MessageProcessor, "_parse_message_with_graph", speedups._rasas_parse)
    monkeypatch.delitem(sys.modules, "jax", raising=False)
    patches.install_all()
    assert speedups.installed() and speedups.parse_cache_installed()
    assert RasaModel.__dict__["load"].__func__ is model_loading.lean_load
    assert sys.modules["jax"] is None  # marked absent: importing it raises ImportError
    patches.install_all()  # once per process: a second call changes nothing
    assert RasaModel.__dict__["load"].__func__ is model_loading.lean_load


def test_every_patch_has_its_row_in_the_architecture_table():
    text = (PROJECT_DIR / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    for replaced in patches.REPLACED:
        assert any(line.startswith(f"| `{replaced}`") for line in rows), replaced
