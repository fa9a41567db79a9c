from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[1]
KNOWLEDGE_DIR = PROJECT_DIR / "knowledge"


@pytest.fixture()
def knowledge_copy(tmp_path) -> Path:
    """A scratch copy of knowledge/ a test may break."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


@pytest.fixture(scope="session")
def kb():
    from bot.kb.load import load_knowledge

    return load_knowledge(KNOWLEDGE_DIR)


# fixtures shared across folders live in tests/support/ (with the fakes); importing them here
# makes pytest offer them to every test
from tests.support.fixtures import (  # noqa: E402
    channel_settings,
    fake_wechat_api,
    trained_model,
)

__all__ = ["channel_settings", "fake_wechat_api", "kb", "knowledge_copy", "trained_model"]
