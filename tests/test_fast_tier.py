"""tests/conftest.py: `pytest --fast` (make test-fast) leaves out exactly the tests that need the
trained model or start servers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.conftest import PROJECT_DIR, needs_model_or_servers
from tests.support import tiers


def item(path: str, markers=(), fixtures=()):
    return SimpleNamespace(
        path=PROJECT_DIR / path,
        get_closest_marker=lambda name: name if name in markers else None,
        fixturenames=list(fixtures),
    )


@pytest.mark.parametrize(
    ("test", "slow"),
    [
        (item("tests/e2e/test_conversation_e2e.py"), True),
        (item("tests/cluster/test_cluster.py"), True),
        (item("tests/bot/rasa/test_main.py", markers=("model",)), True),
        (item("tests/bot/ops/test_serve.py", markers=("servers",)), True),
        (item("tests/bot/ops/test_preview.py", fixtures=("kb", "trained_model")), True),
        (item("tests/bot/ops/test_preview.py", fixtures=("kb",)), False),
        (item("tests/bot/kb/test_check.py", markers=("parametrize",)), False),
        (item("tests/test_architecture.py"), False),
    ],
)
def test_the_fast_tier_leaves_out_the_model_and_the_servers(test, slow):
    assert needs_model_or_servers(test) is slow


@pytest.mark.parametrize(
    ("fast", "full", "tried"),
    [
        (False, 300, 300),
        (False, 25, 25),
        (True, 300, 60),
        (True, 25, 5),
        (True, 5, 5),
        (True, 1, 1),
    ],
)
def test_property_tests_try_a_fifth_of_their_examples_in_the_fast_tier(
    monkeypatch, fast, full, tried
):
    monkeypatch.setattr(tiers, "fast", fast)
    assert tiers.examples(full) == tried
