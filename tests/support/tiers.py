"""How hard the property-based tests try: every example in `make test` (and CI), a fifth of
them in the unit tier (`pytest --fast`, the edit-test loop). tests/conftest.py sets ``fast``
before any test module is collected."""

from __future__ import annotations

FAST_SHARE = 5
FAST_DEFAULT_EXAMPLES = 20  # for tests that leave hypothesis's 100 as it is
fast = False


def examples(full: int) -> int:
    """``max_examples`` for a test that asks for ``full`` in the whole suite."""
    return min(full, max(5, full // FAST_SHARE)) if fast else full
