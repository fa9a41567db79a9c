"""Privacy at the door: every channel passes what it hands Rasa through here.

Rasa (tracker store, question log, logs) only ever sees a keyed-hash sender id and text in
which mobile numbers, landlines, ID-card numbers and personal e-mail addresses are masked.

Masking looks at the text the way the NLU reads it (``bot.answer.normalize.canonical``: NFKC, so
full-width ``１３９``/``＠``/``．`` count; zero-width and control characters dropped; one
space for any run of whitespace) and cuts each match out of the text as it was written, so
a number cannot hide behind full-width digits or invisible characters between its groups.
Invisible and control characters are removed from the result too. The contacts the notice
itself publishes (knowledge/notice.yml) stay readable.

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

MAX_MESSAGE_CHARS = 4000  # longer pastes are cut (after masking); NLU reads far less anyway

# Between two digits of a number people put nothing, spaces, dashes, dots, slashes or
# brackets — at most three of them (canonical text has single spaces only). Repetitions are
# written out (``_D * 9``) rather than nested, and an optional part is ``(?:…|)``.
_SEP = r"[ \-.·・_~/()\[\]‐‑‒–—―−]{0,3}"
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


def _passes(public: PublicContacts) -> List[Tuple[re.Pattern, str, Keep]]:
    return [
        (ID_CARD, MASKED_ID_CARD, lambda m: False),
        (MOBILE, MASKED_MOBILE, lambda m: _phone_key(m, False) in public.phones),
        (LANDLINE, MASKED_LANDLINE, lambda m: _phone_key(m, True) in public.phones),
        (EMAIL, MASKED_EMAIL, lambda m: _email_key(m.group(0)) in public.emails),
    ]


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
    canon, origin = canonical_with_offsets(text)
    spans: List[Tuple[int, int, str]] = []  # in canonical coordinates
    work = canon
    for pattern, token, keep in _passes(public):
        claimed = [(m.start(), m.end(), None if keep(m) else token) for m in pattern.finditer(work)]
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
