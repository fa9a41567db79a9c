"""Named facts that answer templates refer to as ``{name}``.

Every fact carries the clause of the notice it comes from, so an answer can
say where it stands. Facts may refer to other facts; ``render`` resolves them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Dict, Hashable, Iterable, Optional, Set, TypeVar

from bot.kb.models import ApplicantType, City, KnowledgeBase

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
FOOTER_NAMES = {
    "office_address",
    "postcode",
    "website_phone",
    "website_phone_scope",
    "website_code",
    "website_icp",
    "website_police_record",
    "website_tech_support",
    "website_sponsor",
}


@dataclass(frozen=True)
class FactValue:
    text: str
    clause: str


T = TypeVar("T")
_MEMO_ATTRIBUTE = "_derived_memo"
MEMO_MAX_ENTRIES = 4096


def memoized(kb: KnowledgeBase, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, computed once per knowledge base and ``key``, kept on ``kb`` itself.

    A loaded knowledge base is never changed (a staff edit is a new load: bot.kb.load's
    ``KnowledgeCache``), so what follows from it alone stays right as long as it lives, and
    goes with it. Only for immutable results (strings, frozen values) or results copied by
    the caller. At most ``MEMO_MAX_ENTRIES`` per knowledge base (keys with a date grow by one
    a day): beyond that the memo starts afresh.
    """
    memo: Dict[Hashable, Any] = kb.__dict__.setdefault(_MEMO_ATTRIBUTE, {})
    try:
        return memo[key]
    except KeyError:
        pass
    value = compute()
    if len(memo) >= MEMO_MAX_ENTRIES:
        memo.clear()
    memo[key] = value
    return value


_SPACE_BETWEEN_CJK = re.compile(r"(?<=[^\x00-\x7f])[ \t\r\n]+(?=[^\x00-\x7f])")


def tidy(text: str) -> str:
    """Drop the spaces YAML folding leaves between Chinese characters."""
    return _SPACE_BETWEEN_CJK.sub("", text.strip())


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def static_facts(kb: KnowledgeBase) -> Dict[str, FactValue]:
    """All facts that do not depend on the question or the day: a new dict on every call
    (callers add to it), computed once per knowledge base."""
    return dict(memoized(kb, "static_facts", lambda: _static_facts(kb)))


def _static_facts(kb: KnowledgeBase) -> Dict[str, FactValue]:
    notice = kb.notice
    facts: Dict[str, FactValue] = {}

    def put(name: str, text: str, clause: str) -> None:
        facts[name] = FactValue(tidy(text), clause)

    meta = notice.notice
    put("title", meta.title, meta.clause)
    put("short_name", meta.short_name, meta.clause)
    put("issuer", meta.issuer, meta.clause)
    put("published", chinese_date(meta.published), meta.clause)
    put("year", str(meta.year), meta.clause)
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
    labels = [
        _own(kb, "fact_attachment", number=str(item.number), attachment_title=item.title)
        for item in attachments.items
    ]
    for item, label in zip(attachments.items, labels, strict=True):
        put(f"attachment_{item.number}", label, attachments.clause)
    put("attachments", "；".join(labels), attachments.clause)
    put("office_address", notice.footer.office_address, notice.footer.clause)
    put("postcode", notice.footer.postcode, notice.footer.clause)
    put("website_phone", notice.footer.website_phone, notice.footer.clause)
    put("website_phone_scope", notice.footer.website_phone_scope, notice.footer.clause)
    for name, value in (
        ("website_code", notice.footer.site_code),
        ("website_icp", notice.footer.icp_number),
        ("website_police_record", notice.footer.police_record),
        ("website_tech_support", notice.footer.tech_support),
        ("website_sponsor", notice.footer.sponsor),
    ):
        if value:
            put(name, value, notice.footer.clause)

    # the part of the notice that lists the directions and types: “二” of “二（一）”
    directions_clause = kb.directions[0].clause.split("（")[0]
    types_clause = kb.applicant_types[0].clause.split("（")[0]
    put("directions_list", "、".join(d.name for d in kb.directions), directions_clause)
    put(
        "directions_detail",
        "\n".join(f"{i}. {d.name}：{d.focus}。" for i, d in enumerate(kb.directions, 1)),
        directions_clause,
    )
    defaults = []
    for kind in kb.applicant_types:
        direction = kb.direction(kind.default_direction)
        if direction:
            defaults.append(
                _own(kb, "fact_direction_default", type=kind.name, direction=direction.name)
            )
    put("direction_defaults", "；".join(defaults), types_clause)
    put("applicant_types", "、".join(_type_label(kb, k) for k in kb.applicant_types), types_clause)

    cities = kb.cities_file
    put("quota_principle", cities.quota_principle, cities.quota_clause)
    put("quota_reason", cities.quota_reason, cities.quota_clause)
    common = Counter(c.quota for c in cities.cities).most_common(1)[0][0]
    put("quota_others", _own(kb, "fact_quota_others", quota=str(common)), cities.quota_clause)
    put("quota_table", quota_list(kb, cities.cities, "；"), cities.quota_clause)
    return facts


def _own(kb: KnowledgeBase, message: str, **values: str) -> str:
    """A messages.yml sentence that uses only its own values (no facts)."""
    return render(kb.message(message), {k: FactValue(v, "") for k, v in values.items()})


def quota_list(kb: KnowledgeBase, cities: Iterable[City], separator: str) -> str:
    """“长沙市不超过4个；…” in the wording of messages.yml (fact_quota_item)."""
    return separator.join(
        _own(kb, "fact_quota_item", city=c.name, quota=str(c.quota)) for c in cities
    )


# The type that chooses its direction freely and also covers parks (directions.yml: the
# synonym 园区) is listed as “区域（含园区）”: the word is matched in the data, not said.
_PARKS = "园区"


def _type_label(kb: KnowledgeBase, kind: ApplicantType) -> str:
    if kind.default_direction is None and _PARKS in kind.synonyms:
        return _own(kb, "fact_type_with_parks", type=kind.name)
    return kind.name


def deadline_status(kb: KnowledgeBase, today: dt.date) -> str:
    """How the deadline stands today (messages.yml: deadline_status_open / _today / _closed)."""
    return memoized(kb, ("deadline_status", today), lambda: _deadline_status(kb, today))


def _deadline_status(kb: KnowledgeBase, today: dt.date) -> str:
    days = (kb.notice.deadline.date - today).days
    name = (
        "deadline_status_open"
        if days > 0
        else "deadline_status_today"
        if days == 0
        else "deadline_status_closed"
    )
    facts = static_facts(kb)
    facts["days"] = FactValue(str(days), "")
    facts["today"] = FactValue(chinese_date(today), "")
    return tidy(render(kb.message(name), facts))


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
            advice = _partial(
                kb.message("type_direction_advice_default"),
                direction=default.name,
                focus=tidy(default.focus),
            )
        else:
            facts["type_direction"] = FactValue(
                tidy(kb.message("type_direction_free")), kind.clause
            )
            advice = kb.message("type_direction_advice_free")
        facts["type_direction_advice"] = FactValue(advice, kind.clause)
    found_direction = kb.direction(direction)
    if found_direction:
        clause = found_direction.clause
        facts["direction_name"] = FactValue(found_direction.name, clause)
        facts["direction_focus"] = FactValue(tidy(found_direction.focus), clause)
        facts["direction_description"] = FactValue(tidy(found_direction.description), clause)
    return facts


def _partial(template: str, **values: str) -> str:
    """Fill ``values``; other ``{fact}`` names stay for the answer's own rendering."""
    return tidy(PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template))


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
