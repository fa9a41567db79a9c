"""Input normalisation applied before NLU (and to every string we compare).

Two layers, one definition:

* ``canonical`` — the *shape* of the text: NFKC (full-width → half-width, ``＠`` → ``@``,
  ``①`` → ``1``), every decimal digit as ASCII, invisible characters (zero-width spaces,
  joiners, bidi controls, control characters) and pictographs dropped, whitespace runs
  collapsed. Personal-data masking (``channels.privacy``) looks at exactly this text, so a
  number hidden by full-width digits or zero-width characters is still found.
  ``canonical_with_offsets`` also tells which input character each output character came
  from, so a match can be cut out of the text as it was written.
* ``normalize`` — what the NLU reads: ``canonical`` plus traditional → simplified Chinese,
  lower case, no leading ``/`` and at most ``MAX_CHARS`` characters.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import List, Optional, Tuple

from opencc import OpenCC

MAX_CHARS = 300  # NLU sees at most this much; a longer message is a paste, not a question

_LEADING_COMMAND = re.compile(r"^[/\s]+")

# Pictographs, surrogates, private use, unassigned (meaningless for the question), and
# format/control characters: zero-width space/joiners, BOM, bidi overrides, soft hyphen, ESC…
_DROPPED_CATEGORIES = frozenset({"So", "Cs", "Co", "Cn", "Cf", "Cc"})


# U+FDD0–U+FDEF and the last two code points of every plane: "noncharacters", never text
_NONCHARACTERS = re.compile(
    "[\ufdd0-\ufdef" + "".join(f"\\U{p:04x}fffe\\U{p:04x}ffff" for p in range(17)) + "]"
)


def valid_unicode(text: object) -> str:
    """``text`` as valid Unicode: surrogate pairs joined, unpaired surrogates and noncharacters
    removed. The first thing every channel does with what it receives (text, sender id, client
    message id; ``channels.privacy``) and what the question log stores: a lone ``\\ud800``
    from a JSON escape cannot be encoded, so anything that writes it — a log line, a database
    row, a hash — would fail on it."""
    value = text if isinstance(text, str) else str(text)
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # surrogates: join the pairs, drop the rest
        value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")
    return _NONCHARACTERS.sub("", value)


@lru_cache(maxsize=1)
def _converter():
    return OpenCC("t2s")


@lru_cache(maxsize=4096)
def canonical_char(ch: str) -> str:
    """What one input character becomes: ``""`` (dropped), ``" "`` (whitespace) or its NFKC form."""
    if ch.isspace():
        return " "
    if unicodedata.category(ch) in _DROPPED_CATEGORIES:
        return ""
    if ch.isdecimal():  # Arabic-Indic, Devanagari, full-width … digits
        return str(unicodedata.decimal(ch))
    out = []
    for part in unicodedata.normalize("NFKC", ch):
        if part.isspace():
            out.append(" ")
        elif unicodedata.category(part) in _DROPPED_CATEGORIES:
            continue
        elif part.isdecimal():
            out.append(str(unicodedata.decimal(part)))
        else:
            out.append(part)
    return "".join(out)


def canonical_with_offsets(text: str) -> Tuple[str, List[int]]:
    """(canonical text, for each of its characters the index of the input character it came from).

    Whitespace runs become one space (attributed to the run's first character); leading and
    trailing whitespace is kept as one space so offsets stay simple — ``canonical`` strips it.
    """
    out: List[str] = []
    origin: List[int] = []
    last_space = False
    for index, ch in enumerate(text or ""):
        piece = canonical_char(ch)
        if not piece:
            continue
        for part in piece:
            if part == " ":
                if last_space:
                    continue
                last_space = True
            else:
                last_space = False
            out.append(part)
            origin.append(index)
    return "".join(out), origin


def canonical(text: str) -> str:
    """The text's shape: NFKC, ASCII digits, no invisible characters, single spaces."""
    return canonical_with_offsets(text)[0].strip()


# Voice input writes a word of the notice as another that sounds the same; each pattern here
# never means anything else in a question about this call (“油箱”, “付件”), or only in the
# context given (“交几分” → 几份, not “几分钟”). Applied after traditional → simplified.
HOMOPHONES: Tuple[Tuple[re.Pattern, str], ...] = (
    (re.compile(r"油箱|有箱|邮相"), "邮箱"),
    (re.compile(r"付件|副件"), "附件"),
    (re.compile(r"节制(?=日期|时间|日|到)"), "截止"),
    (re.compile(r"(交|要|装订|印|打印|准备|报送|报|提交|寄|送)几分(?!钟)"), r"\1几份"),
    (re.compile(r"双窗|双穿|双闯"), "双创"),
    (re.compile(r"农名工|农明工"), "农民工"),
)


# Cantonese (and Hong Kong / Taiwan) words written as the Mandarin the notice and the FAQ use:
# “我哋系长沙一间科研院所，可唔可以报呢个示范基地㗎” → “我们是…，可不可以报这个示范基地”. Only words
# that mean nothing else in Mandarin (系 only after 我哋: 体系, 联系 stay).
REGIONAL_WORDS: Tuple[Tuple[re.Pattern, str], ...] = (
    (re.compile(r"(我|你|佢)哋系"), r"\1们是"),
    (re.compile(r"我哋"), "我们"),
    (re.compile(r"你哋"), "你们"),
    (re.compile(r"佢哋"), "他们"),
    (re.compile(r"有冇"), "有没有"),
    (re.compile(r"冇"), "没有"),
    (re.compile(r"唔"), "不"),
    (re.compile(r"呢(?=个|份|张|间|次|项|度)"), "这"),
    (re.compile(r"嗰(?=个|份|张|间|次|项|度)"), "那"),
    (re.compile(r"边(?=个|度|间|份|张|类|项)"), "哪"),
    (re.compile(r"(?<=哪)度"), "里"),
    (re.compile(r"几多"), "多少"),
    (re.compile(r"拣"), "选"),
    (re.compile(r"咩"), "什么"),
    (re.compile(r"咁(?=我|你|他|应该|要|点)"), "那"),
    (re.compile(r"㗎|嘅(?=[？?！!。，,]|$)"), ""),
    (re.compile(r"嘅"), "的"),
    (re.compile(r"纸本"), "纸质版"),
)


def _homophones_fixed(text: str) -> str:
    for pattern, word in (*HOMOPHONES, *REGIONAL_WORDS):
        text = pattern.sub(word, text)
    return text


def normalize(text: str, limit: Optional[int] = MAX_CHARS) -> str:
    """Full-width→half-width, traditional→simplified, whitespace collapsed, lower-case ASCII.

    A leading ``/`` is removed so that nobody can force an intent with Rasa's
    ``/intent`` syntax. An applicant's message is cut to ``limit`` characters; knowledge
    text (clauses, FAQ questions and answers) is normalised whole with ``limit=None``.
    """
    if not text:
        return ""
    if limit is None:
        return _normalized(text)
    return _normalized(text[: limit * 2])[:limit]


@lru_cache(maxsize=8192)
def _normalized(text: str) -> str:
    # cached: knowledge text (FAQ questions, keywords, clauses) is normalised again at every
    # load and check, and OpenCC's conversion is the slow step
    text = canonical(text)
    text = _homophones_fixed(_converter().convert(text))
    text = _LEADING_COMMAND.sub("", text.strip())
    return text.lower()
