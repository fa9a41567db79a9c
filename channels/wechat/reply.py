"""Turn what Rasa said into text WeChat can show.

WeChat shows plain text only (no Markdown) and refuses a text message longer
than 2048 bytes, so replies are flattened, joined and cut at character
boundaries. Rasa buttons become a numbered list; every entry is also a ``weixin://bizmsgmenu``
link, so the user taps it (WeChat then sends its text back as an ordinary text message) or
answers with the digit. The 有帮助 / 没帮助 buttons under an answer (bot/feedback.py) become
two such links after a one-line question, with the answered message's id as ``msgmenuid``
(certified accounts send it back as ``bizmsgmenuid``; without it the latest answer is meant).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional

from bot import feedback as fb
from channels.texts import channel_text

WECHAT_TEXT_LIMIT = 2048  # bytes (UTF-8) in one text message
# names in knowledge/messages.yml
TRIMMED_SUFFIX = "wechat_trimmed"
CHOICE_HINT = "wechat_choice_hint"

_LINK = re.compile(r"\[([^\]]+)\]\((\S+?)\)")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_CODE = re.compile(r"`([^`]*)`")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)
_BULLET = re.compile(r"^(\s*)[*+]\s+", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CHOICE = re.compile(r"^\s*(\d{1,2})\s*[.。、)）]?\s*$")
# what must not appear inside the link: it would end the attribute, the tag or the URL
_LINK_UNSAFE = re.compile(r'[<>"&#\r\n]')
# msgmenuid of a feedback link: the answered message's id when it is WeChat's own (digits, a
# part number after "_" for one question of several), else NO_MENU_ID
_MENU_ID = re.compile(r"^\d{1,40}(_\d{1,3})?$")
NO_MENU_ID = "0"


def menu_link(content: str, menu_id: str | int, label: str | None = None) -> str:
    """A text link that makes WeChat send ``content`` back as the user's message when tapped."""
    safe = _LINK_UNSAFE.sub(" ", content).strip()
    shown = _LINK_UNSAFE.sub(" ", label if label is not None else content).strip()
    return f'<a href="weixin://bizmsgmenu?msgmenucontent={safe}&msgmenuid={menu_id}">{shown}</a>'


def menu_id_for(answer: Optional[str]) -> str:
    """The msgmenuid standing for an answered message id ("123#2" → "123_2")."""
    candidate = (answer or "").replace("#", "_")
    return candidate if _MENU_ID.match(candidate) else NO_MENU_ID


def answer_for(menu_id: Optional[str]) -> Optional[str]:
    """The answered message id a returned bizmsgmenuid stands for (``None``: not one of ours)."""
    candidate = (menu_id or "").strip()
    if not _MENU_ID.match(candidate) or candidate == NO_MENU_ID:
        return None
    return candidate.replace("_", "#")


def feedback_links(buttons: List[Dict[str, Any]]) -> str:
    """有帮助 / 没帮助 as two tappable words after the one-line question."""
    links = []
    for button in buttons:
        given = fb.parse_trigger(button.get("payload"))
        word = plain_text(str(button.get("title") or ""))
        if given and word:
            links.append(menu_link(word, menu_id_for(given.answer)))
    return channel_text(fb.PROMPT_MESSAGE) + " " + "　".join(links) if links else ""


@dataclass(frozen=True)
class Choice:
    title: str
    payload: str

    def as_user_text(self) -> str:
        """What to send Rasa when the user picks this choice.

        A ``/intent`` payload would be stripped of its slash by the NLU, so the
        button's own (natural-language) title is sent instead.
        """
        payload = (self.payload or "").strip()
        return self.title if not payload or payload.startswith("/") else payload


@dataclass
class FormattedReply:
    text: str
    choices: List[Choice] = field(default_factory=list)


_NUMBERED = re.compile(r"^\s*\d+[.、]\s*")


def plain_text(text: str) -> str:
    """Markdown-ish bot text → plain text (links keep their address)."""
    text = _CONTROL.sub("", text or "")
    text = _LINK.sub(lambda m: f"{m.group(1)}（{m.group(2)}）", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _CODE.sub(r"\1", text)
    text = _HEADING.sub("", text)
    text = _BULLET.sub(r"\1• ", text)
    return text.strip()


def without_numbered_titles(text: str, message: Dict[str, Any]) -> str:
    """The text without its own “1. 问题” lines when the same questions come as buttons: they
    are shown once, as numbered links (the reply text lists them for channels without links)."""
    titles = {
        plain_text(str(b.get("title")))
        for b in message.get("buttons") or []
        if isinstance(b, dict) and b.get("title") and not fb.is_feedback_button(b)
    }
    if not titles:
        return text
    lines = text.split("\n")
    kept = [line for line in lines if _NUMBERED.sub("", line).strip() not in titles]
    return "\n".join(kept)


def format_messages(messages: Iterable[Dict[str, Any]]) -> FormattedReply:
    """Join all bot messages of one turn into one text; buttons become a numbered list."""
    parts: List[str] = []
    choices: List[Choice] = []
    for message in messages:
        if message.get("text"):
            parts.append(without_numbered_titles(plain_text(str(message["text"])), message))
        for key in ("image", "attachment"):
            if isinstance(message.get(key), str) and message[key].strip():
                parts.append(message[key].strip())
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("text"), str):
            parts.append(plain_text(custom["text"]))
        buttons = [
            b for b in message.get("buttons") or [] if isinstance(b, dict) and b.get("title")
        ]
        rated = [b for b in buttons if fb.is_feedback_button(b)]
        if rated:
            parts.append(feedback_links(rated))
        buttons = [b for b in buttons if not fb.is_feedback_button(b)]
        if buttons:
            lines = []
            for button in buttons:
                choices.append(
                    Choice(plain_text(str(button["title"])), str(button.get("payload") or ""))
                )
                choice, number = choices[-1], len(choices)
                link = menu_link(choice.as_user_text(), number, choice.title)
                lines.append(f"{number}. {link}")
            parts.append("\n".join(lines))
    if choices:
        parts.append(channel_text(CHOICE_HINT))
    return FormattedReply("\n\n".join(p for p in parts if p), choices)


def picked_choice(text: str, choices: List[Choice] | None) -> Choice | None:
    """The choice a bare number ("1", "2.") refers to, if any."""
    match = _CHOICE.match(text or "")
    if not match or not choices:
        return None
    index = int(match.group(1))
    return choices[index - 1] if 1 <= index <= len(choices) else None


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def cut_bytes(text: str, limit: int) -> str:
    """The longest prefix of ``text`` that fits in ``limit`` UTF-8 bytes."""
    return text.encode("utf-8")[: max(limit, 0)].decode("utf-8", "ignore")


def split_text(text: str, limit: int = WECHAT_TEXT_LIMIT) -> List[str]:
    """Split into pieces of at most ``limit`` bytes, preferring line breaks."""
    pieces: List[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        if utf8_len(current + line) <= limit:
            current += line
            continue
        if current:
            pieces.append(current)
            current = ""
        while utf8_len(line) > limit:
            head = cut_bytes(line, limit)
            pieces.append(head)
            line = line[len(head) :]
        current = line
    if current:
        pieces.append(current)
    return [p.strip() for p in pieces if p.strip()]


def trim_text(text: str, limit: int = WECHAT_TEXT_LIMIT) -> str:
    """``text`` if it fits, else its head with a note that the rest was left out."""
    if utf8_len(text) <= limit:
        return text
    suffix = channel_text(TRIMMED_SUFFIX)
    return cut_bytes(text, limit - utf8_len(suffix)).rstrip() + suffix
