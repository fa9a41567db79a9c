"""Pydantic models of the knowledge files (knowledge/*.yml).

They describe shape only; cross-file rules (unknown fact names, duplicate
similar questions, missing 市州) live in ``bot.kb.check``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Dict, List, Optional

from pydantic import BaseModel, Extra, Field, validator

PHONE_PATTERN = re.compile(r"^0\d{2,3}-\d{7,8}$")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True


class NoticeMeta(Strict):
    title: str
    short_name: str
    year: int
    issuer: str
    published: dt.date
    addressees: str
    clause: str


class PolicyDocument(Strict):
    number: str
    title: str


class PolicyBasis(Strict):
    clause: str
    documents: List[PolicyDocument] = Field(..., min_items=1)


class Fact(Strict):
    clause: str
    text: str


class Deadline(Strict):
    clause: str
    date: dt.date
    text: str
    who: str


class Submission(Strict):
    clause: str
    window: str
    address: str


class Contacts(Strict):
    clause: str
    people: List[str] = Field(..., min_items=1)
    phone: str
    email: str

    @validator("phone")
    def phone_is_a_landline(cls, value: str) -> str:
        if not PHONE_PATTERN.match(value):
            raise ValueError("电话号码格式应为 区号-号码，例如 0731-89991015")
        return value

    @validator("email")
    def email_has_at(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError("电子邮箱格式不对")
        return value


class Procedure(Strict):
    clause: str
    steps: List[str] = Field(..., min_items=1)


class Attachment(Strict):
    number: int
    title: str


class Attachments(Strict):
    clause: str
    items: List[Attachment] = Field(..., min_items=1)


class Footer(Strict):
    clause: str
    office_address: str
    postcode: str
    website_phone: str
    website_phone_scope: str


class NoticeFile(Strict):
    notice: NoticeMeta
    policy_basis: PolicyBasis
    facts: Dict[str, Fact]
    deadline: Deadline
    submission: Submission
    contacts: Contacts
    procedure: Procedure
    attachments: Attachments
    footer: Footer


class Direction(Strict):
    id: str
    name: str
    clause: str
    synonyms: List[str] = []
    focus: str
    description: str


class ApplicantType(Strict):
    id: str
    name: str
    clause: str
    default_direction: Optional[str]
    synonyms: List[str] = []


class DirectionsFile(Strict):
    directions: List[Direction] = Field(..., min_items=1)
    applicant_types: List[ApplicantType] = Field(..., min_items=1)


class City(Strict):
    name: str
    aliases: List[str] = []
    quota: int = Field(..., gt=0)


class CityGroup(Strict):
    """A name people use for several 市州 together (长株潭), for totals."""

    name: str
    aliases: List[str] = []
    members: List[str] = Field(..., min_items=1)


class CitiesFile(Strict):
    quota_clause: str
    quota_principle: str
    quota_reason: str
    cities: List[City]
    groups: List[CityGroup] = []


class FaqWhen(Strict):
    city: Optional[str] = None
    applicant_type: Optional[str] = None
    direction: Optional[str] = None


class FaqEntry(Strict):
    id: str
    question: str
    clause: str
    tags: List[str] = []
    answer: str
    when: Optional[FaqWhen] = None
    similar: List[str] = []
    # answered from the web page's footer (the commission's address, the website's own phone),
    # the only entries that may use the footer facts
    footer: bool = False
    # words that say a question is about this entry (“邮箱”, “电话”): a follow-up such as “那邮箱呢”
    # goes here, and they confirm or correct the intent model
    keywords: List[str] = []

    @validator("id")
    def id_is_snake_case(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError("id 只能用小写英文字母、数字和下划线，并以字母开头，例如 deadline")
        return value


class FaqFile(Strict):
    faq: List[FaqEntry]


# knowledge/indicators.yml — the self-check questions. Kinds, units and threshold
# sources are checked across files in ``bot.kb.check_indicators`` (worded for staff).


class Threshold(Strict):
    op: str
    value: float
    source: Optional[str] = None


class Indicator(Strict):
    id: str
    name: str
    kind: str
    unit: Optional[str] = None
    help: str
    source: str
    threshold: Optional[Threshold] = None


class QualitativeCheck(Strict):
    id: str
    question: str
    requirement: str
    clause: str
    help: str = ""


class DirectionIndicators(Strict):
    direction: str
    checks: List[QualitativeCheck] = []
    indicators: List[Indicator] = []


class IndicatorsFile(Strict):
    common_checks: List[QualitativeCheck] = []
    directions: List[DirectionIndicators] = Field(..., min_items=1)


# knowledge/notice_text.yml — the notice itself, clause by clause.


class NoticeClause(Strict):
    clause: str
    title: Optional[str] = None
    scope: str = "notice"
    text: str

    @validator("scope")
    def scope_is_known(cls, value: str) -> str:
        if value not in ("notice", "footer"):
            raise ValueError("scope 只能填 notice（通知正文）或 footer（网页页脚）")
        return value


class NoticeTextFile(Strict):
    clauses: List[NoticeClause] = Field(..., min_items=1)


# knowledge/not_in_notice.yml — what the notice does not regulate.


class SilentTopic(Strict):
    id: str
    name: str
    keywords: List[str] = Field(..., min_items=1)
    examples: List[str] = []

    @validator("id")
    def id_is_snake_case(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError("id 只能用小写英文字母、数字和下划线，并以字母开头，例如 fee")
        return value


class NotInNoticeFile(Strict):
    topics: List[SilentTopic] = []


# knowledge/english.yml — how English questions map to FAQ topics.


class EnglishTopic(Strict):
    faq: str
    keywords: List[str] = Field(..., min_items=1)


class EnglishFile(Strict):
    lead: str
    topics: List[EnglishTopic] = []


# knowledge/blocked_words.yml — abuse and sensitive words: a fixed reply, never repeated back.


class BlockedWordsFile(Strict):
    words: List[str] = []


# knowledge/messages.yml — every fixed sentence that is not a FAQ answer.


class MessagesFile(Strict):
    messages: Dict[str, str]
