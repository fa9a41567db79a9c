"""The words of the "did it help?" buttons (knowledge/messages.yml › feedback_yes / feedback_no),
checked for ``kb check`` (worded for staff): they come back as the applicant's message
(bot/feedback.py), so each is one short word and the two differ."""

from __future__ import annotations

from typing import List

from bot import feedback as fb
from bot.kb.problems import Problem

FEEDBACK_WORD_MAX = 8  # a button, and a word applicants may type themselves


def feedback_word_problems(messages: dict) -> List[Problem]:
    """有帮助 / 没帮助 are button words that come back as the applicant's message
    (bot/feedback.py)."""
    words = {name: (messages.get(name) or "").strip() for name in fb.WORD_MESSAGES.values()}
    problems = [
        Problem(
            "messages.yml",
            f"messages › {name}",
            f"按钮上的字应为一个{FEEDBACK_WORD_MAX}字以内、不含“{{}}”的短词（申请人点它或直接输入它）",
        )
        for name, word in words.items()
        if word and (len(word) > FEEDBACK_WORD_MAX or "\n" in word or "{" in word)
    ]
    if len(set(words.values())) < len(words):
        problems.append(
            Problem(
                "messages.yml", "messages › feedback_no", "“有帮助”和“没帮助”两个按钮的字不能相同"
            )
        )
    return problems
