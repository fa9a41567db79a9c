"""``python -m bot.rasa.main …``: Rasa's own command line (``python -m rasa …``), patched.

Before Rasa is imported, ``bot.rasa.patches.install_all`` checks Rasa's version and installs
every patch: among them, jax is marked absent. TensorFlow 2.12 depends on jax and imports it,
when installed, for one thing only: the TF Lite converter (``tensorflow/lite/python/util.py``:
``try: from jax import xla_computation except ImportError: …``). Neither ``rasa run`` nor
``rasa train`` converts anything to TF Lite, yet jax and jaxlib cost every Rasa process
≈ 105 MB of memory (measured: 1,317 → 1,213 MB RSS with the model loaded, docs/deploy.md).
"""

from __future__ import annotations

import sys
from typing import List, Optional

from bot.logs import configure_logging
from bot.rasa.patches import install_all


def main(argv: Optional[List[str]] = None) -> None:
    install_all()
    import rasa.__main__ as rasa_cli

    # the project's logging (bot.logs) where Rasa's CLI configures structlog: no applicant
    # text below DEBUG (LOG_LEVEL, or the command's --debug / --quiet)
    rasa_cli.configure_structlog = configure_logging
    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_cli.main()


if __name__ == "__main__":
    main()
