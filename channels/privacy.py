"""Privacy at the door: every channel passes what it hands Rasa through here.

Rasa (tracker store, question log, logs) only ever sees a keyed-hash sender id and text in
which mobile numbers, landlines, ID-card numbers, personal e-mail addresses, and QQ numbers and
WeChat ids after their cue words are masked.

Masking looks at the text the way the NLU reads it (``bot.answer.normalize.canonical``: NFKC, so
full-width ``１３９``/``＠``/``．`` count; zero-width and control characters dropped; one
space for any run of whitespace) and cuts each match out of the text as it was written, so
a number cannot hide behind full-width digits or invisible characters between its groups.
Invisible and control characters are removed from the result too. The contacts the notice
itself publishes (knowledge/notice.yml) stay readable.

The patterns read a view of that text (``mask_view``) in which numbers and addresses written
the ways people write them look like digits and ``@``/``.``: Chinese numerals
(``一三九``, ``〇``/``零``, ``幺`` for 1, 大写 ``壹叁玖``) are digits, mixed with Arabic ones or
not; ``#``, ``(at)``, ``[at]``, ``艾特`` and `` at `` are ``@``; ``(dot)``, ``[dot]``, ``点`` and
`` dot `` between letters are ``.``; spaces around ``@`` and ``.`` go. Between the digit groups
of a number any run of up to five separators (spaces, dashes ``——``, dots, slashes, brackets,
colons, ``*``, ``|``) is allowed. A numeral that does not write a digit (十, 百, 万, 分之) breaks
a number, so 三百万元, 员工200人 and 百分之十五 stay readable.

Every pattern is linear in the length of the message: no nested quantifiers, each
repetition bounded or over a class disjoint from what follows it, and each match attempt
anchored by a look-behind so that only a bounded number of attempts can start in a run.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, FrozenSet, Iterable, List, Tuple

from bot.answer.normalize import canonical_with_offsets, valid_unicode
from bot.settings import get_settings
from channels.texts import knowledge_cache

# What stands in for personal data in the text Rasa, the logs and the question log see.
# Never sent to the applicant (the reply is composed from knowledge/).
MASKED_MOBILE = "[手机号]"
MASKED_LANDLINE = "[电话]"
MASKED_ID_CARD = "[身份证号]"
MASKED_EMAIL = "[邮箱]"
MASKED_QQ = "[QQ号]"
MASKED_WECHAT = "[微信号]"
MASKED_NUMBER = "[号码]"  # ten or more digits written in Chinese numerals, none of the above

MAX_MESSAGE_CHARS = 4000  # longer pastes are cut (after masking); NLU reads far less anyway

# Between two digits of a number people put nothing, spaces, dashes, dots, slashes, brackets,
# colons, stars or bars — at most five of them (canonical text has single spaces only), so
# "139 —— 1234 —— 5678" is one number; never a comma, which groups the digits of an amount.
# Repetitions are written out (``_D * 9``) rather than nested, an optional part is ``(?:…|)``.
_SEP = r"[ \-.·・_~/()\[\]‐‑‒–—―−:*|]{0,5}"
_D = rf"{_SEP}[0-9]"  # one more digit, perhaps after separators
_D_OPT = rf"(?:{_D}|)"


def _digits(*classes: str) -> str:
    """Digit classes joined by optional separators, e.g. ``_digits('1', '[3-9]')``."""
    return _SEP.join(classes)


_MONTH = rf"(?:{_digits('0', '[1-9]')}|{_digits('1', '[0-2]')})"
_DAY = rf"(?:{_digits('0', '[1-9]')}|{_digits('[12]', '[0-9]')}|{_digits('3', '[01]')})"
_AREA = "[1-9]" + _D * 5  # the six-digit region code of an ID card

ID_CARD = re.compile(
    r"(?<![0-9])(?:"
    # 18 digits: region, birth date 18xx-20xx, sequence, check digit (0-9 or X)
    rf"{_AREA}{_SEP}(?:{_digits('1', '[89]')}|{_digits('2', '0')}){_D * 2}"
    rf"{_SEP}{_MONTH}{_SEP}{_DAY}{_D * 3}{_SEP}[0-9Xx]"
    # the old 15-digit cards: region, yymmdd, sequence
    rf"|{_AREA}{_D * 2}{_SEP}{_MONTH}{_SEP}{_DAY}{_D * 3}"
    r")(?![0-9])"
)
# +86 / 0086 / 86 country code (kept apart so a published number compares equal either way)
_COUNTRY = r"(?P<cc>(?:\(|)(?:\+ |\+|00|)86(?:\)|)[ \-.]{0,3})"
MOBILE = re.compile(rf"(?<![0-9])(?:{_COUNTRY}|)1{_SEP}[3-9]{_D * 9}(?![0-9])")
LANDLINE = re.compile(
    rf"(?<![0-9])(?:{_COUNTRY}(?:\(|)(?:0|)|(?:\(|)0)"
    rf"[1-9]{_D}{_D_OPT}{_SEP}[2-9]{_D * 6}{_D_OPT}(?![0-9])"
)
_CJK = "\u3400-\u9fff"
_TLD = r"(?:[A-Za-z]{2,24}|中国|中國|公司|网络|網絡|在线|集团|移动)"
EMAIL = re.compile(
    r"(?:(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+"  # an ASCII local part, from its start
    rf"|[{_CJK}]{{1,4}})"  # or a Chinese name (we cannot tell where it begins: up to 4 汉字)
    r" ?@ ?(?:"
    r"[A-Za-z0-9.。\-]{0,253}[.。][A-Za-z]{2,24}"  # mail.example.com
    rf"|[A-Za-z0-9.。\-{_CJK}]{{1,64}}[.。]{_TLD}"  # 例子.中国, 公司.cn
    r")"
)

# after a cue word (QQ号, 扣扣, 微信, VX, …) and perhaps "是" or ":", the id itself
_CUE_TAIL = r"(?:号码|号|账号|帐号|[Ii][Dd]|)(?: ?[:=是为] ?| |)"
QQ = re.compile(
    rf"(?:(?<![A-Za-z])[Qq][Qq]|扣扣|企鹅){_CUE_TAIL}"
    rf"(?P<id>[1-9]{_D * 4}{_D_OPT * 7})(?![0-9])"
)
WECHAT = re.compile(
    r"(?:微信|威信|薇信|[Vv]信|(?<![A-Za-z])(?:[Vv][Xx]|[Ww][Xx]|[Ww]eixin|[Ww]e[Cc]hat))"
    rf"{_CUE_TAIL}(?![Ww]e[Cc]hat|[Ww]eixin)"  # "微信 WeChat" names the app, not an id
    rf"(?P<id>[A-Za-z][A-Za-z0-9_\-]{{5,19}})(?![A-Za-z0-9_\-])"
)
# ten or more digits in a row, not all Arabic: "张三一三九…" (a name ending in a numeral before
# a mobile number) is no mobile number to the patterns above, and nothing else either
LONG_NUMBER = re.compile(
    rf"(?<![0-9])[0-9]{_D * 9}[0-9 \-.·・_~/()\[\]‐‑‒–—―−:*|]{{0,40}}(?<![^0-9])(?![0-9])"
)
WECHAT_INTERNAL_ID = re.compile(r"(?<![A-Za-z0-9_])wxid_[A-Za-z0-9_\-]{4,30}")

# -- the view the patterns read -----------------------------------------------------------

CHINESE_DIGITS = {
    **dict.fromkeys("〇零", "0"),
    **dict.fromkeys("一壹幺", "1"),
    **dict.fromkeys("二贰貳", "2"),
    **dict.fromkeys("三叁參", "3"),
    **dict.fromkeys("四肆", "4"),
    **dict.fromkeys("五伍", "5"),
    **dict.fromkeys("六陆陸", "6"),
    **dict.fromkeys("七柒", "7"),
    **dict.fromkeys("八捌", "8"),
    **dict.fromkeys("九玖", "9"),
}
_DIGIT_TABLE = str.maketrans(CHINESE_DIGITS)
_DIGITISH = "0-9" + "".join(CHINESE_DIGITS)
# two or more digits or numerals, separators between: only there is a numeral a digit (张三 is
# a name, 三百 an amount)
_NUMERAL_RUN = re.compile(rf"[{_DIGITISH}](?:{_SEP}[{_DIGITISH}])+")
# (pattern, what it stands for): an e-mail's "@" and "." however written
_VIEW_REWRITES = [
    (re.compile(r" ?(?:\([Aa][Tt]\)|\[[Aa][Tt]\]|艾特|#|@) ?(?=[A-Za-z0-9])"), "@"),
    (re.compile(r"(?<=[A-Za-z0-9]) (?:at|AT) (?=[A-Za-z0-9])"), "@"),
    (
        re.compile(
            r"(?<=[A-Za-z0-9]) ?(?:\([Dd][Oo][Tt]\)|\[[Dd][Oo][Tt]\]|点|[.。]) ?(?=[A-Za-z])"
        ),
        ".",
    ),
    (re.compile(r"(?<=[A-Za-z0-9]) (?:dot|DOT) (?=[A-Za-z])"), "."),
]


def mask_view(text: str) -> Tuple[str, List[int]]:
    """(what the patterns read, for each of its characters the index of the character of
    ``text`` it came from): the canonical text with Chinese numerals as digits and an e-mail
    address's ``@`` and ``.`` however they were written."""
    view, origin, _ = _view(text)
    return view, origin


def _view(text: str) -> Tuple[str, List[int], FrozenSet[int]]:
    """``mask_view`` and where in it Chinese numerals became digits."""
    # ○ (a circle, dropped as a symbol by the NLU's canonical form) is written for 〇 too
    view, origin = canonical_with_offsets(text.replace("○", "〇"))
    for pattern, stands_for in _VIEW_REWRITES:
        if not pattern.search(view):
            continue
        pieces: List[str] = []
        where: List[int] = []
        last = 0
        for match in pattern.finditer(view):
            pieces.append(view[last : match.start()])
            where += origin[last : match.start()]
            pieces.append(stands_for)
            where.append(origin[match.start()])
            last = match.end()
        pieces.append(view[last:])
        where += origin[last:]
        view, origin = "".join(pieces), where
    numerals: set = set()
    if any(ch in CHINESE_DIGITS for ch in view):  # one character for one: the offsets stay
        pieces, last = [], 0
        for match in _NUMERAL_RUN.finditer(view):
            run = match.group(0)
            numerals.update(match.start() + i for i, ch in enumerate(run) if ch in CHINESE_DIGITS)
            pieces += [view[last : match.start()], run.translate(_DIGIT_TABLE)]
            last = match.end()
        view = "".join(pieces) + view[last:]
    return view, origin, frozenset(numerals)


_BLANK = "\x00"  # canonical text has no control characters: a claimed span reads as a wall


@dataclass(frozen=True)
class PublicContacts:
    """What the notice publishes, as comparison keys (phones: digits; e-mail: lower case)."""

    phones: FrozenSet[str] = frozenset()
    emails: FrozenSet[str] = frozenset()

    @classmethod
    def of(cls, phones: Iterable[str] = (), emails: Iterable[str] = ()) -> PublicContacts:
        phone_keys = set()
        for phone in phones:
            for pattern, landline in ((MOBILE, False), (LANDLINE, True)):
                match = pattern.search(_canonical(phone))
                if match:
                    phone_keys.add(_phone_key(match, landline))
                    break
        return cls(frozenset(phone_keys), frozenset(_email_key(e) for e in emails if e))


def _canonical(text: str) -> str:
    return canonical_with_offsets(text)[0]


def _phone_key(match: re.Match, landline: bool) -> str:
    national = match.group(0)[len(match.group("cc") or "") :]
    digits = "".join(ch for ch in national if ch.isdigit())
    return digits if not landline or digits.startswith("0") else "0" + digits


def _email_key(text: str) -> str:
    return _canonical(text).replace("。", ".").replace(" ", "").lower()


Keep = Callable[[re.Match], bool]


def _passes(
    public: PublicContacts, numerals: FrozenSet[int] = frozenset()
) -> List[Tuple[re.Pattern, str, Keep]]:
    return [
        (ID_CARD, MASKED_ID_CARD, lambda m: False),
        (MOBILE, MASKED_MOBILE, lambda m: _phone_key(m, False) in public.phones),
        # a number after a QQ cue is a QQ number, even where its digits could be a landline
        # (QQ 861020000000: +86 10 2000 0000)
        (QQ, MASKED_QQ, lambda m: False),
        (LANDLINE, MASKED_LANDLINE, lambda m: _phone_key(m, True) in public.phones),
        (EMAIL, MASKED_EMAIL, lambda m: _email_key(m.group(0)) in public.emails),
        (WECHAT_INTERNAL_ID, MASKED_WECHAT, lambda m: False),
        (WECHAT, MASKED_WECHAT, lambda m: False),
        (LONG_NUMBER, MASKED_NUMBER, lambda m: numerals.isdisjoint(range(*m.span()))),
    ]


def _span(match: re.Match) -> Tuple[int, int]:
    """What is masked: the id after a cue word (the cue stays), else the whole match."""
    return match.span("id") if "id" in match.re.groupindex else match.span()


def mask_personal_data(
    text: str, public_emails: Iterable[str] = (), public_phones: Iterable[str] = ()
) -> str:
    """``text`` with personal data replaced by ``[手机号]`` etc.; published contacts kept.

    Found in the canonical form of the text, cut out of the text as written; invisible and
    control characters (tab → space, newlines kept) are dropped from what is returned.
    """
    if not text:
        return ""
    public = PublicContacts.of(public_phones, public_emails)
    return _mask(str(text), public)


def _mask(text: str, public: PublicContacts) -> str:
    work, origin, numerals = _view(text)
    spans: List[Tuple[int, int, str]] = []  # in the view's coordinates
    for pattern, token, keep in _passes(public, numerals):
        claimed = [(*_span(m), None if keep(m) else token) for m in pattern.finditer(work)]
        if not claimed:
            continue
        pieces, last = [], 0
        for start, end, _ in claimed:
            pieces += [work[last:start], _BLANK * (end - start)]
            last = end
        work = "".join(pieces) + work[last:]
        spans += [(start, end, token) for start, end, token in claimed if token is not None]
    # to the text as written: [first source char, last source char + 1), merged if they touch
    cuts: List[List] = []
    for start, end, token in sorted(spans):
        begin, finish = origin[start], origin[end - 1] + 1
        if cuts and begin < cuts[-1][1]:
            cuts[-1][1] = max(cuts[-1][1], finish)
        else:
            cuts.append([begin, finish, token])
    out: List[str] = []
    position = 0
    for begin, finish, token in cuts:
        out.append(_visible(text[position:begin]))
        out.append(token)
        position = finish
    out.append(_visible(text[position:]))
    return "".join(out)


def _visible(text: str) -> str:
    """``text`` without control and format characters (zero-width, bidi, ESC…); tab → space."""
    out = []
    for ch in text:
        if ch == "\t":
            out.append(" ")
        elif ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf"):
            out.append(ch)
    return "".join(out)


def pseudonymous_id(secret: str, channel: str, raw_sender_id: str) -> str:
    digest = hmac.new(secret.encode(), f"{channel}:{raw_sender_id}".encode(), hashlib.sha256)
    return f"{channel[:2]}_{digest.hexdigest()[:32]}"


def pseudonymize(channel: str, raw_sender_id: str) -> str:
    secret = get_settings().effective_question_log_secret()
    return pseudonymous_id(secret, channel, valid_unicode(raw_sender_id))


def mask_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """The one masking step of every channel: mask (on the whole text), then cut to ``limit``."""
    if not text:
        return ""
    return _mask(valid_unicode(text), public_contacts())[:limit]


def protect(channel: str, raw_sender_id: str, text: str) -> Tuple[str, str]:
    """(pseudonymous sender id, masked text) for a message arriving on ``channel``."""
    return pseudonymize(channel, raw_sender_id), mask_text(text)


_contacts_cache: List[Tuple[object, PublicContacts]] = []  # (notice object, its contacts)


def _contacts_of(notice) -> PublicContacts:
    """Every phone and e-mail the notice publishes (contacts, footer, any fact that names one)."""
    if _contacts_cache and _contacts_cache[0][0] is notice:
        return _contacts_cache[0][1]
    published = notice.json(ensure_ascii=False)
    canon = _canonical(published)
    phones = [m.group(0) for p in (MOBILE, LANDLINE) for m in p.finditer(canon)]
    phones += [notice.contacts.phone, notice.footer.website_phone]
    emails = [m.group(0) for m in EMAIL.finditer(canon)] + [notice.contacts.email]
    contacts = PublicContacts.of(phones, emails)
    _contacts_cache[:] = [(notice, contacts)]
    return contacts


def public_contacts() -> PublicContacts:
    try:
        return _contacts_of(knowledge_cache().get().notice)
    except Exception:  # knowledge unreadable: mask everything rather than fail the message
        return PublicContacts()
