from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from tests.support import tiers

PROJECT_DIR = Path(__file__).resolve().parents[1]
KNOWLEDGE_DIR = PROJECT_DIR / "knowledge"

# `make test-fast` (pytest --fast): the unit tier for the edit-test loop. It leaves out what needs
# the trained model or starts servers: tests/e2e and tests/cluster, the markers below, and every
# test that asks for the `trained_model` fixture.
SLOW_FOLDERS = ("e2e", "cluster")
SLOW_MARKERS = ("e2e", "cluster", "model", "servers")
SERVERS_GROUP = "running_assistant"


def pytest_addoption(parser):
    parser.addoption(
        "--fast",
        action="store_true",
        help="the unit tier: leave out tests that need the trained model or start servers",
    )
    parser.addoption(
        "--slow",
        action="store_true",
        help="the other tier: only the tests --fast leaves out (the trained model, servers)",
    )


def pytest_configure(config):
    if config.getoption("--fast"):  # before collection: test modules read it at import
        tiers.fast = True
        hypothesis_settings.register_profile(
            "fast", max_examples=tiers.FAST_DEFAULT_EXAMPLES, database=None
        )
        hypothesis_settings.load_profile("fast")


def needs_model_or_servers(item: pytest.Item) -> bool:
    folder = Path(item.path).relative_to(PROJECT_DIR / "tests").parts[0]
    return (
        folder in SLOW_FOLDERS
        or any(item.get_closest_marker(name) for name in SLOW_MARKERS)
        or "trained_model" in getattr(item, "fixturenames", ())
    )


def pytest_itemcollected(item):
    """Under xdist's ``--dist loadgroup`` (``make test``: two workers) the tests that share the
    session's running assistant (tests/e2e) or start a cluster, and those marked
    ``shared_redis`` (one Redis database, claims that live a second), run on one worker, one
    after the other, as they would alone; every other test is spread over both workers."""
    folder = Path(item.path).relative_to(PROJECT_DIR / "tests").parts[0]
    if folder in SLOW_FOLDERS or item.get_closest_marker("shared_redis"):
        item.add_marker(pytest.mark.xdist_group(SERVERS_GROUP))


def pytest_collection_modifyitems(config, items):
    fast, slow_only = config.getoption("--fast"), config.getoption("--slow")
    if not (fast or slow_only):
        return
    left_out = [item for item in items if needs_model_or_servers(item) is fast]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        kept = {item.nodeid for item in items} - {item.nodeid for item in left_out}
        items[:] = [item for item in items if item.nodeid in kept]


@pytest.fixture(autouse=True)
def logging_as_found():
    """A test that configures logging as a process does (bot.logs.configure_logging: the URL
    loggers at WARNING, the root level and handlers; Sanic's and Rasa's dictConfig, which
    disables every logger that exists then) leaves the test process as it found it, so a later
    test still sees urllib3's debug lines and its own module's records."""
    manager = logging.root.manager
    root = logging.getLogger()
    handlers = root.handlers[:]
    states = {
        name: (logger.level, logger.disabled, logger.propagate)
        for name, logger in [("", root), *manager.loggerDict.items()]
        if isinstance(logger, logging.Logger)
    }
    yield
    root.handlers[:] = handlers
    for name, logger in [("", root), *manager.loggerDict.items()]:
        if not isinstance(logger, logging.Logger):
            continue
        if name in states:
            level, logger.disabled, logger.propagate = states[name]
            if logger.level != level:  # setLevel clears every logger's cache: only if changed
                logger.setLevel(level)
        else:  # made during the test: enabled, as a module's logger made later would be
            logger.disabled = False


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
    cheap_password_hashing,
    fake_wechat_api,
    trained_model,
)

__all__ = [
    "channel_settings",
    "cheap_password_hashing",
    "fake_wechat_api",
    "kb",
    "knowledge_copy",
    "trained_model",
]
