"""What config.yml sets, for the code that must agree with the served model (read, not copied)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import yaml

from bot.settings import PROJECT_DIR

CONFIG_FILE = PROJECT_DIR / "config.yml"
FALLBACK_CLASSIFIER = "FallbackClassifier"


def pipeline_component(name: str, config: Path = CONFIG_FILE) -> Dict[str, Any]:
    """The settings of the pipeline component ``name`` (empty when config.yml has none)."""
    data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    return next((c for c in data.get("pipeline") or [] if c.get("name") == name), {})


def pipeline_component_names(config: Path = CONFIG_FILE) -> List[str]:
    """The ``name`` of every pipeline component, in order (a dotted name is a class path)."""
    data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    return [str(c.get("name")) for c in data.get("pipeline") or []]


def fallback_threshold(config: Path = CONFIG_FILE) -> float:
    """Below this NLU confidence Rasa's FallbackClassifier predicts nlu_fallback."""
    return float(pipeline_component(FALLBACK_CLASSIFIER, config)["threshold"])
