"""What is wrong in knowledge/, worded for staff: ``Problem`` and ``KnowledgeError``.

The bottom of bot/kb: parsing (``bot.kb.parse``), checking (``bot.kb.check``) and loading
(``bot.kb.load``) all report through these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the knowledge files, worded for staff."""

    file: str
    entry: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}" + (f" › {self.entry}" if self.entry else "")
        return f"{where}：{self.message}"


class KnowledgeError(Exception):
    def __init__(self, problems: List[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
