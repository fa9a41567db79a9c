"""Pydantic models of the knowledge files (knowledge/*.yml) and ``KnowledgeBase``, all of them
but the WeChat menu's (``bot.kb.menu``) and the look-ups' (``bot.kb.lookups``).

They describe shape only; cross-file rules (unknown fact names, duplicate
similar questions, missing 市州) live in ``bot.kb.check``. Reading the files is
``bot.kb.parse``'s; ``bot.kb.load`` parses, checks and caches.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from pydantic import Field, validator

from bot.kb.indicators import DirectionIndicators, IndicatorsFile
from bot.kb.lookups import LookupsFile
from bot.kb.menu import Menu
from bot.kb.strict import Strict

PHONE_PATTERN = re.compile(r"^0\d{2,3}-\d{7,8}$")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


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
    # the rest of the footer (what someone may ask about: knowledge/lookups.yml)
    site_code: Optional[str] = None  # 政府网站标识码
    icp_number: Optional[str] = None  # ICP 备案号
    police_record: Optional[str] = None  # 公网安备号
    tech_support: Optional[str] = None  # 技术支持单位
    sponsor: Optional[str] = None  # 主办单位


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
    supports: List[str] = []  # whom the notice says it supports (its words)


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
    answer: Optional[str] = None  # the fact in English, before the Chinese answer


class EnglishFile(Strict):
    lead: str
    silent: List[str] = []  # matters the notice does not regulate, in English words
    topics: List[EnglishTopic] = []


# knowledge/blocked_words.yml — abuse and sensitive words: a fixed reply, never repeated back.


class BlockedWordsFile(Strict):
    words: List[str] = []


# knowledge/messages.yml — every fixed sentence that is not a FAQ answer.


class MessagesFile(Strict):
    messages: Dict[str, str]


@dataclass
class KnowledgeBase:
    """Everything the assistant knows, with lookups by id and by everyday word."""

    notice: NoticeFile
    directions_file: DirectionsFile
    cities_file: CitiesFile
    faq_file: FaqFile
    directory: Path
    _faq_by_id: Dict[str, FaqEntry] = field(default_factory=dict)
    indicators_file: IndicatorsFile | None = None
    wechat_menu: Menu | None = None
    notice_text: NoticeTextFile | None = None
    not_in_notice: NotInNoticeFile | None = None
    english: EnglishFile | None = None
    lookups: LookupsFile | None = None
    blocked_words: BlockedWordsFile | None = None
    messages_file: MessagesFile | None = None

    def __post_init__(self) -> None:
        self._faq_by_id = {entry.id: entry for entry in self.faq_file.faq}

    @property
    def faq(self) -> List[FaqEntry]:
        return self.faq_file.faq

    @property
    def directions(self) -> List[Direction]:
        return self.directions_file.directions

    @property
    def applicant_types(self) -> List[ApplicantType]:
        return self.directions_file.applicant_types

    @property
    def cities(self) -> List[City]:
        return self.cities_file.cities

    def selfcheck_for(self, direction_id: str | None) -> DirectionIndicators | None:
        """The self-check questions (indicators.yml) for one direction."""
        if self.indicators_file is None:
            return None
        return next(
            (d for d in self.indicators_file.directions if d.direction == direction_id), None
        )

    @property
    def clauses(self) -> List[NoticeClause]:
        return self.notice_text.clauses if self.notice_text else []

    def clause(self, number: str) -> Optional[NoticeClause]:
        return next((c for c in self.clauses if c.clause == number), None)

    def message(self, name: str) -> str:
        """A fixed sentence from messages.yml (``kb check`` guarantees the ones code asks for)."""
        return self.messages_file.messages.get(name, "") if self.messages_file else ""

    def faq_entry(self, faq_id: str) -> Optional[FaqEntry]:
        return self._faq_by_id.get(faq_id)

    def direction(self, direction_id: Optional[str]) -> Optional[Direction]:
        return next((d for d in self.directions if direction_id in (d.id, d.name)), None)

    def applicant_type(self, type_id: Optional[str]) -> Optional[ApplicantType]:
        return next((t for t in self.applicant_types if type_id in (t.id, t.name)), None)

    def city(self, name: Optional[str]) -> Optional[City]:
        return next((c for c in self.cities if name == c.name), None)

    def entity_vocabulary(self) -> Dict[str, Dict[str, str]]:
        """entity type → {word people use: canonical value}. Feeds NLU, jieba and the self-check."""
        vocabulary: Dict[str, Dict[str, str]] = {"city": {}, "applicant_type": {}, "direction": {}}
        for city in self.cities:
            for word in [city.name, *city.aliases]:
                vocabulary["city"][word] = city.name
        for kind in self.applicant_types:
            for word in [kind.name, *kind.synonyms]:
                vocabulary["applicant_type"][word] = kind.id
        for direction in self.directions:
            for word in [direction.name, *direction.synonyms]:
                vocabulary["direction"][word] = direction.id
        return vocabulary
