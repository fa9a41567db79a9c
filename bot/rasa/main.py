"""``python -m bot.rasa.main …``: Rasa's own command line (``python -m rasa …``), without jax.

TensorFlow 2.12 depends on jax and imports it, when installed, for one thing only: the
TF Lite converter (``tensorflow/lite/python/util.py``: ``try: from jax import
xla_computation except ImportError: …``). Neither ``rasa run`` nor ``rasa train`` converts
anything to TF Lite, yet jax and jaxlib cost every Rasa process ≈ 105 MB of memory
(measured: 1,317 → 1,213 MB RSS with the model loaded, docs/deploy.md). Marked absent
here, that import fails the way it does where jax is not installed.
"""

from __future__ import annotations

import sys
from typing import List, Optional

from bot.logs import configure_logging

UNUSED_MODULES = ("jax",)


def block_unused_modules() -> None:
    """Mark ``UNUSED_MODULES`` absent: importing one raises ImportError from now on."""
    for name in UNUSED_MODULES:
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]  # import → ImportError


def prepare_rasa() -> None:
    """Before Rasa is imported by a Rasa process: the modules it never uses marked absent,
    then the per-request work Rasa repeats for nothing done once (bot/rasa/speedups.py,
    which imports Rasa, hence after)."""
    block_unused_modules()
    from bot.rasa.speedups import install

    install()


def main(argv: Optional[List[str]] = None) -> None:
    prepare_rasa()
    import rasa.__main__ as rasa_cli

    # the project's logging (bot.logs) where Rasa's CLI configures structlog: no applicant
    # text below DEBUG (LOG_LEVEL, or the command's --debug / --quiet)
    rasa_cli.configure_structlog = configure_logging
    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_cli.main()


if __name__ == "__main__":
    main()
