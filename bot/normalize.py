"""Input normalisation applied before NLU (and to every string we compare)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MAX_CHARS = 300  # NLU sees at most this much; a longer message is a paste, not a question

_WHITESPACE = re.compile(r"\s+")
_LEADING_COMMAND = re.compile(r"^[/\s]+")


@lru_cache(maxsize=1)
def _converter():
    from opencc import OpenCC

    return OpenCC("t2s")


def _drop_symbols(text: str) -> str:
    # emoji and other pictographs carry no meaning for the question
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("So", "Cs", "Co", "Cn"))


def normalize(text: str) -> str:
    """Full-width→half-width, traditional→simplified, whitespace collapsed, lower-case ASCII.

    A leading ``/`` is removed so that nobody can force an intent with Rasa's
    ``/intent`` syntax.
    """
    if not text:
        return ""
    text = text[: MAX_CHARS * 2]
    text = unicodedata.normalize("NFKC", text)
    text = _drop_symbols(text)
    text = _converter().convert(text)
    text = _WHITESPACE.sub(" ", text).strip()
    text = _LEADING_COMMAND.sub("", text)
    return text.lower()[:MAX_CHARS]
