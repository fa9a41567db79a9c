"""Named facts that answer templates refer to as ``{name}``.

Every fact carries the clause of the notice it comes from, so an answer can
say where it stands. Facts may refer to other facts; ``render`` resolves them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from typing import Dict, Iterable, Optional, Set

from bot.kb.loader import KnowledgeBase

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
MAX_DEPTH = 5

# Names filled from what the applicant asked about, only inside FAQ ``when`` answers.
CONTEXT_NAMES: Dict[str, Set[str]] = {
    "city": {"city_name", "city_quota"},
    "applicant_type": {"applicant_type_name", "type_direction", "type_direction_advice"},
    "direction": {"direction_name", "direction_focus", "direction_description"},
}
DYNAMIC_NAMES = {"deadline_status"}
# Facts from the web page's footer: only FAQ entries marked ``footer: true`` may use them.
FOOTER_NAMES = {"office_address", "postcode", "website_phone", "website_phone_scope"}


@dataclass(frozen=True)
class FactValue:
    text: str
    clause: str


_SPACE_BETWEEN_CJK = re.compile(r"(?<=[^\x00-\x7f])[ \t\r\n]+(?=[^\x00-\x7f])")


def tidy(text: str) -> str:
    """Drop the spaces YAML folding leaves between Chinese characters."""
    return _SPACE_BETWEEN_CJK.sub("", text.strip())


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def static_facts(kb: KnowledgeBase) -> Dict[str, FactValue]:
    """All facts that do not depend on the question or the day."""
    notice = kb.notice
    facts: Dict[str, FactValue] = {}

    def put(name: str, text: str, clause: str) -> None:
        facts[name] = FactValue(tidy(text), clause)

    meta = notice.notice
    put("title", meta.title, meta.clause)
    put("short_name", meta.short_name, meta.clause)
    put("issuer", meta.issuer, meta.clause)
    put("published", chinese_date(meta.published), meta.clause)
    put("addressees", meta.addressees, meta.clause)
    basis = notice.policy_basis
    put(
        "policy_basis",
        "、".join(f"《{doc.title}》（{doc.number}）" for doc in basis.documents),
        basis.clause,
    )
    for name, fact in notice.facts.items():
        put(name, fact.text, fact.clause)
    deadline = notice.deadline
    put("deadline", deadline.text, deadline.clause)
    put("deadline_date", chinese_date(deadline.date), deadline.clause)
    put("deadline_who", deadline.who, deadline.clause)
    put("submission_window", notice.submission.window, notice.submission.clause)
    put("submission_address", notice.submission.address, notice.submission.clause)
    contacts = notice.contacts
    put("contact_people", "、".join(contacts.people), contacts.clause)
    put("phone", contacts.phone, contacts.clause)
    put("email", contacts.email, contacts.clause)
    put(
        "procedure",
        "\n".join(f"{i}. {step}" for i, step in enumerate(notice.procedure.steps, 1)),
        notice.procedure.clause,
    )
    attachments = notice.attachments
    for item in attachments.items:
        put(f"attachment_{item.number}", f"附件{item.number}《{item.title}》", attachments.clause)
    put(
        "attachments",
        "；".join(f"附件{item.number}《{item.title}》" for item in attachments.items),
        attachments.clause,
    )
    put("office_address", notice.footer.office_address, notice.footer.clause)
    put("postcode", notice.footer.postcode, notice.footer.clause)
    put("website_phone", notice.footer.website_phone, notice.footer.clause)
    put("website_phone_scope", notice.footer.website_phone_scope, notice.footer.clause)

    put("directions_list", "、".join(d.name for d in kb.directions), "二")
    put(
        "directions_detail",
        "\n".join(f"{i}. {d.name}：{d.focus}。" for i, d in enumerate(kb.directions, 1)),
        "二",
    )
    defaults = []
    for kind in kb.applicant_types:
        direction = kb.direction(kind.default_direction)
        if direction:
            defaults.append(f"{kind.name}示范基地聚焦{direction.name}方向")
    put("direction_defaults", "；".join(defaults), "二")
    put("applicant_types", "、".join(_type_label(k.name, k.synonyms) for k in kb.applicant_types), "二")

    cities = kb.cities_file
    put("quota_principle", cities.quota_principle, cities.quota_clause)
    put("quota_reason", cities.quota_reason, cities.quota_clause)
    common = Counter(c.quota for c in cities.cities).most_common(1)[0][0]
    put("quota_others", f"其他市州各不超过{common}个", cities.quota_clause)
    put(
        "quota_table",
        "；".join(f"{c.name}不超过{c.quota}个" for c in cities.cities),
        cities.quota_clause,
    )
    return facts


def _type_label(name: str, synonyms: Iterable[str]) -> str:
    return f"{name}（含园区）" if name == "区域" and "园区" in synonyms else name


def deadline_status(kb: KnowledgeBase, today: dt.date) -> str:
    deadline = kb.notice.deadline.date
    contacts = kb.notice.contacts
    days = (deadline - today).days
    if days > 0:
        return f"距截止还有{days}天（今天是{chinese_date(today)}）；{kb.notice.deadline.who}。"
    if days == 0:
        return f"今天（{chinese_date(today)}）是截止日，请立即与所在市州发展改革委联系。"
    return (
        f"{kb.notice.notice.year}年度申报已截止（截止日期为{chinese_date(deadline)}，今天是{chinese_date(today)}）。"
        f"下一年度的申报安排请关注湖南省发展和改革委员会官网通知，或咨询 {contacts.phone}（{'、'.join(contacts.people)}）。"
    )


def context_facts(
    kb: KnowledgeBase,
    city: Optional[str] = None,
    applicant_type: Optional[str] = None,
    direction: Optional[str] = None,
) -> Dict[str, FactValue]:
    """Facts about the 市州 / applicant type / direction the question named."""
    facts: Dict[str, FactValue] = {}
    found_city = kb.city(city)
    if found_city:
        clause = kb.cities_file.quota_clause
        facts["city_name"] = FactValue(found_city.name, clause)
        facts["city_quota"] = FactValue(str(found_city.quota), clause)
    kind = kb.applicant_type(applicant_type)
    if kind:
        facts["applicant_type_name"] = FactValue(kind.name, kind.clause)
        default = kb.direction(kind.default_direction)
        if default:
            facts["type_direction"] = FactValue(default.name, kind.clause)
            advice = (
                f"原则上聚焦{default.name}方向开展创建工作（{default.focus}）。"
                f"通知用的是“原则上”，如确需选择其他方向，请先与所在市州发展改革委沟通。"
            )
        else:
            facts["type_direction"] = FactValue("四个方向任选其一", kind.clause)
            advice = "根据自身特色和优势，从四个重点方向中选择一个方向开展创建工作：{directions_list}。"
        facts["type_direction_advice"] = FactValue(advice, kind.clause)
    found_direction = kb.direction(direction)
    if found_direction:
        clause = found_direction.clause
        facts["direction_name"] = FactValue(found_direction.name, clause)
        facts["direction_focus"] = FactValue(tidy(found_direction.focus), clause)
        facts["direction_description"] = FactValue(tidy(found_direction.description), clause)
    return facts


def known_names() -> Set[str]:
    """Placeholder names a template may use besides the static facts."""
    names = set(DYNAMIC_NAMES)
    for group in CONTEXT_NAMES.values():
        names |= group
    return names


def render(template: str, facts: Dict[str, FactValue]) -> str:
    """Replace ``{name}`` with the fact's text, resolving facts that cite facts."""
    text = template
    for _ in range(MAX_DEPTH):
        if not PLACEHOLDER.search(text):
            break
        text = PLACEHOLDER.sub(
            lambda m: facts[m.group(1)].text if m.group(1) in facts else m.group(0), text
        )
    return text


def placeholders(template: str) -> Set[str]:
    return set(PLACEHOLDER.findall(template))
