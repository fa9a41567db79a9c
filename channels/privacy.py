"""Privacy at the door: every channel passes what it hands Rasa through here.

Rasa (tracker store, question log, logs) only ever sees a keyed-hash sender id
and text with mobile numbers, ID-card numbers and personal e-mail addresses
masked. The commission's own published contacts are left as they are.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Iterable, Tuple

from channels.texts import knowledge_cache

MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
ID_CARD = re.compile(
    r"(?<![\dA-Za-z])[1-9]\d{5}(?:"
    r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"  # 18 digits
    r"|\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}"  # the old 15-digit cards
    r")(?![\dA-Za-z])"
)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")

# What stands in for personal data in the text Rasa, the logs and the question log see.
# Never sent to the applicant (the reply is composed from knowledge/).
MASKED_MOBILE = "[手机号]"
MASKED_ID_CARD = "[身份证号]"
MASKED_EMAIL = "[邮箱]"


def pseudonymous_id(secret: str, channel: str, raw_sender_id: str) -> str:
    digest = hmac.new(secret.encode(), f"{channel}:{raw_sender_id}".encode(), hashlib.sha256)
    return f"{channel[:2]}_{digest.hexdigest()[:32]}"


def mask_personal_data(text: str, public_emails: Iterable[str] = ()) -> str:
    allowed = {e.lower() for e in public_emails}
    text = ID_CARD.sub(MASKED_ID_CARD, text)
    text = MOBILE.sub(MASKED_MOBILE, text)
    return EMAIL.sub(lambda m: m.group(0) if m.group(0).lower() in allowed else MASKED_EMAIL, text)


MAX_MESSAGE_CHARS = 4000  # longer pastes are cut; NLU reads far less anyway


def pseudonymize(channel: str, raw_sender_id: str) -> str:
    from bot.settings import get_settings

    return pseudonymous_id(get_settings().effective_question_log_secret(), channel, str(raw_sender_id))


def mask_text(text: str) -> str:
    return mask_personal_data(text or "", _public_emails())


def protect(channel: str, raw_sender_id: str, text: str) -> Tuple[str, str]:
    """(pseudonymous sender id, masked text) for a message arriving on ``channel``."""
    return pseudonymize(channel, raw_sender_id), mask_text(text)


def _public_emails() -> Tuple[str, ...]:
    try:
        return (knowledge_cache().get().notice.contacts.email,)
    except Exception:  # knowledge unreadable: mask every address rather than fail the message
        return ()
