"""The pydantic models of knowledge/lookups.yml: what a phone number, address, e-mail or date of
the notice is (reverse look-ups: “0731-89991015是谁的电话”, answered by ``bot.answer.lookup``).

Like ``bot.kb.menu``, a file of its own beside ``bot.kb.models``; its cross-file rules (known
facts and FAQ topics, values that occur in them) live in ``bot.kb.check_lookups``.
"""

from __future__ import annotations

from typing import List, Optional

from bot.kb.strict import Strict


class Lookup(Strict):
    fact: str  # the fact the value is (static facts: bot.kb.facts)
    also: List[str] = []  # parts of the fact's text that name it too (银杏路6号, 12号窗口)
    labels: List[str] = []  # what the notice or its footer calls it (主办单位, 备案号)
    # a label counts only in a message that also says one of these (技术支持 … 网站)
    labels_need: List[str] = []
    by_value: bool = True  # False: known by its labels only (a name asked about in many ways)
    topic: str  # the FAQ entry about it
    explanation: str  # whose it is and what for, with {facts}
    explanation_en: Optional[str] = None  # the same in English, for English questions


class LookupsFile(Strict):
    lookups: List[Lookup] = []
