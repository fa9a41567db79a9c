"""A trained model loaded in this process (``kb try``, ``bot eval --in-process``), quietly:
Rasa's logging at ERROR, its warnings silenced. Import it once ``bot.rasa.patches.install_all``
has run (``bot.ops.preview.ModelParser`` does both): Rasa is imported here at the top."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from rasa.core.agent import Agent
from rasa.utils.common import configure_logging_and_warnings
from rasa.utils.log_utils import configure_structlog


def load_agent(model: Path) -> Agent:
    configure_logging_and_warnings(logging.ERROR)
    configure_structlog(logging.ERROR)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Agent.load(str(model))
