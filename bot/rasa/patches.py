"""Every change this project makes to Rasa's own code, installed in one place.

``install_all()`` is called once per process that runs Rasa — ``python -m bot.rasa.main``
(``rasa run``, ``rasa train``, ``rasa test``: ``make run``'s training, ``make cluster``, the
systemd units), ``python -m bot.rasa.server`` (the handoff) and the processes that load a model
themselves (``kb try``, ``bot eval --in-process``: ``bot.ops.preview.ModelParser``). It
refuses to start, with a clear message, on a Rasa version other than ``RASA_VERSION``: each
patch replaces private code of that version and was tested against it.

The patches (docs/architecture.md has the table: what each replaces, why, how it is tested):

1. ``jax`` marked absent before Rasa is imported (TensorFlow's TF Lite converter imports it;
   ≈ 105 MB per process) — here, ``block_unused_modules``;
2. ``RemoteAction._validate_action_result``: the response schema checked once per process —
   ``bot.rasa.speedups``;
3. ``MessageProcessor._parse_message_with_graph``: a parse cache — ``bot.rasa.speedups``;
4. ``RasaModel.load``: the DIET model loaded without a training step — ``bot.rasa.model_loading``.
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from typing import Optional

RASA_VERSION = "3.6.21"
UNUSED_MODULES = ("jax",)
# what the patches replace: each has its row in docs/architecture.md (tests/bot/rasa/)
REPLACED = (
    "jax",
    "RemoteAction._validate_action_result",
    "MessageProcessor._parse_message_with_graph",
    "RasaModel.load",
    # by bot/rasa/main.py, which runs Rasa's command line after install_all
    "rasa.__main__.configure_structlog",
)

_installed = False


def check_rasa_version(found: Optional[str] = None) -> None:
    """Refuse to run Rasa of another version than the patches were written for."""
    found = found or version("rasa")
    if found != RASA_VERSION:
        raise SystemExit(
            f"Rasa {found} is installed, but this assistant patches Rasa {RASA_VERSION} "
            "(bot/rasa/patches.py, docs/architecture.md): install rasa=="
            f"{RASA_VERSION} (constraints.txt) or port every patch in the table first."
        )


def block_unused_modules() -> None:
    """Mark ``UNUSED_MODULES`` absent: importing one raises ImportError from now on. Before
    Rasa is imported; no effect on a module already imported."""
    for name in UNUSED_MODULES:
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]  # import → ImportError


def install_all() -> None:
    """Check Rasa's version and install every patch, once per process."""
    global _installed
    if _installed:
        return
    check_rasa_version()
    block_unused_modules()
    # Rasa itself, once jax is marked absent (both modules import Rasa)
    from bot.rasa import model_loading, speedups

    speedups.install()
    model_loading.install()
    _installed = True
