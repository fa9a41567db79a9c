"""Rules that span knowledge files, reported in words staff understand.

``cross_file_problems`` checks a parsed ``KnowledgeBase``; ``bot.kb.load`` runs it after
parsing (``python -m bot kb check`` is ``bot.kb.load.check_directory``).
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional

from bot.answer.english import ENGLISH_DATE_NAMES
from bot.answer.normalize import normalize
from bot.kb.check_feedback import feedback_word_problems
from bot.kb.check_indicators import indicator_problems
from bot.kb.check_lookups import lookup_problems
from bot.kb.check_notice_text import notice_text_problems
from bot.kb.facts import (
    CONTEXT_NAMES,
    FOOTER_NAMES,
    known_names,
    placeholders,
    static_facts,
)
from bot.kb.messages import COMMON_VALUES, MESSAGE_VALUES, NO_COMMON, NO_FACTS
from bot.kb.models import KnowledgeBase
from bot.kb.problems import Problem
from bot.kb.reserved_ids import reserved_id_problem

# The 14 prefecture-level divisions of Hunan: the quota table must name each once.
HUNAN_CITIES = (
    "长沙市",
    "株洲市",
    "湘潭市",
    "衡阳市",
    "邵阳市",
    "岳阳市",
    "常德市",
    "张家界市",
    "益阳市",
    "郴州市",
    "永州市",
    "怀化市",
    "娄底市",
    "湘西土家族苗族自治州",
)


PHONE_LITERAL = re.compile(r"0\d{2,3}-?\d{7,8}")
EMAIL_LITERAL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
DATE_LITERAL = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日|\d{1,2}月\d{1,2}日")


def _template_problems(
    file: str, entry: str, template: str, allowed: set, where: str
) -> List[Problem]:
    problems = []
    for name in sorted(placeholders(template) - allowed):
        problems.append(
            Problem(
                file,
                entry,
                f"{where}引用了不存在的事实 {{{name}}}（可用名称见 `python -m bot kb facts`）",
            )
        )
    return problems


def _literal_problems(
    file: str, entry: str, template: str, kb: KnowledgeBase, where: str
) -> List[Problem]:
    problems = []
    website_phone = kb.notice.footer.website_phone
    if website_phone in template or website_phone.replace("-", "") in template:
        problems.append(
            Problem(
                file,
                entry,
                f"{where}出现了网站维护电话 {website_phone}，它不受理申报咨询，不能出现在回答中",
            )
        )
    elif PHONE_LITERAL.search(template):
        problems.append(
            Problem(file, entry, f"{where}直接写了电话号码，请改用 {{phone}} 引用，以免两处不一致")
        )
    if EMAIL_LITERAL.search(template):
        problems.append(Problem(file, entry, f"{where}直接写了邮箱，请改用 {{email}} 引用"))
    if DATE_LITERAL.search(template):
        problems.append(
            Problem(file, entry, f"{where}直接写了日期，请改用 {{deadline}}、{{published}} 等引用")
        )
    return problems


def cross_file_problems(kb: KnowledgeBase) -> List[Problem]:
    problems: List[Problem] = []
    facts = static_facts(kb)
    base_names = set(facts) | {"deadline_status"}

    # facts and procedure steps may cite other static facts
    for name, fact in kb.notice.facts.items():
        problems += _template_problems(
            "notice.yml", f"facts › {name}", fact.text, set(facts), "事实文字"
        )
    for number, step in enumerate(kb.notice.procedure.steps, 1):
        problems += _template_problems(
            "notice.yml", f"procedure › 第{number}步", step, set(facts), "步骤"
        )

    # directions / applicant types
    direction_ids = {d.id for d in kb.directions}
    for kind in kb.applicant_types:
        if kind.default_direction is not None and kind.default_direction not in direction_ids:
            problems.append(
                Problem(
                    "directions.yml",
                    f"applicant_types › {kind.name}",
                    f"default_direction “{kind.default_direction}”不是已有方向的 id（可选："
                    f"{'、'.join(sorted(direction_ids))}）",
                )
            )
    for direction in kb.directions:
        for word in direction.supports:
            if word not in direction.focus + direction.description:
                where = f"directions › {direction.name}"
                message = f"supports 里的“{word}”不在这个方向的原文（focus、description）里"
                problems.append(Problem("directions.yml", where, message))
    problems += _duplicate_ids("directions.yml", "directions", [d.id for d in kb.directions])
    problems += _duplicate_ids(
        "directions.yml", "applicant_types", [t.id for t in kb.applicant_types]
    )

    # cities: all 14, each once
    names = [c.name for c in kb.cities]
    for city in HUNAN_CITIES:
        if city not in names:
            problems.append(Problem("cities.yml", "cities", f"缺少{city}的推荐名额"))
    for city in names:
        if city not in HUNAN_CITIES:
            problems.append(
                Problem(
                    "cities.yml",
                    f"cities › {city}",
                    "不是湖南省的市州名称（请写全称，如 长沙市、湘西土家族苗族自治州）",
                )
            )
        elif names.count(city) > 1:
            problems.append(Problem("cities.yml", f"cities › {city}", "重复出现"))

    # one everyday word must mean one thing
    owner: Dict[str, str] = {}
    vocabulary = kb.entity_vocabulary()
    for entity, mapping in vocabulary.items():
        file = "cities.yml" if entity == "city" else "directions.yml"
        for word, value in mapping.items():
            key = normalize(word)
            label = f"{entity}:{value}"
            if key in owner and owner[key] != label:
                problems.append(
                    Problem(
                        file, value, f"说法“{word}”同时属于 {owner[key]} 和 {label}，系统无法区分"
                    )
                )
            owner.setdefault(key, label)

    # FAQ
    problems += _duplicate_ids("faq.yml", "faq", [e.id for e in kb.faq])
    seen_questions: Dict[str, str] = {}
    silent_words = [
        (normalize(k), t.name)
        for t in (kb.not_in_notice.topics if kb.not_in_notice else [])
        for k in t.keywords
    ]
    for entry in kb.faq:
        label = f"faq › {entry.id}"
        if not entry.footer:
            used = (placeholders(entry.answer) | _when_placeholders(entry)) & FOOTER_NAMES
            if used:
                names = "、".join("{" + n + "}" for n in sorted(used))
                problems.append(
                    Problem(
                        "faq.yml",
                        label,
                        f"{names} 是网页页脚的信息（省发改委地址、网站维护电话），只能用在标了 "
                        "footer: true 的条目里",
                    )
                )
        for question in entry.similar:
            plain = normalize(question)
            clash = next((name for word, name in silent_words if word in plain), None)
            if clash:
                problems.append(
                    Problem(
                        "faq.yml",
                        label,
                        f"相似问“{question}”含有“通知未涉及”事项（{clash}）的关键词，"
                        "会被当作通知没有规定的问题；请改写或删除（见 not_in_notice.yml）",
                    )
                )
        reserved = reserved_id_problem(entry.id)
        if reserved:
            problems.append(Problem("faq.yml", label, reserved))
        problems += _template_problems("faq.yml", label, entry.answer, base_names, "answer ")
        problems += _literal_problems("faq.yml", label, entry.answer, kb, "answer ")
        if entry.when:
            for kind, names_for_kind in CONTEXT_NAMES.items():
                template: Optional[str] = getattr(entry.when, kind)
                if template:
                    problems += _template_problems(
                        "faq.yml", label, template, base_names | names_for_kind, f"when.{kind} "
                    )
                    problems += _literal_problems("faq.yml", label, template, kb, f"when.{kind} ")
        stray = placeholders(entry.answer) & (known_names() - base_names)
        if stray:
            problems.append(
                Problem(
                    "faq.yml",
                    label,
                    f"answer 中的 {'、'.join('{' + s + '}' for s in sorted(stray))} 只能用在 when "
                    "里对应的专门回答中",
                )
            )
        if len(entry.similar) < 3:
            problems.append(
                Problem("faq.yml", label, "相似问太少（至少 3 条），模型学不会这个问题的各种问法")
            )
        for question in [entry.question, *entry.similar]:
            key = normalize(question).rstrip("?？。!！ ")
            if not key:
                problems.append(Problem("faq.yml", label, "有一条空的相似问"))
                continue
            if key in seen_questions and seen_questions[key] != entry.id:
                problems.append(
                    Problem(
                        "faq.yml",
                        label,
                        f"相似问“{question}”同时出现在 {seen_questions[key]} 和 {entry.id} "
                        "两个条目下，请只保留一处",
                    )
                )
            seen_questions.setdefault(key, entry.id)
    problems += indicator_problems(kb)
    problems += notice_text_problems(kb)
    problems += _silent_problems(kb)
    problems += _english_problems(kb)
    problems += lookup_problems(kb)
    problems += _message_problems(kb, set(facts))
    problems += _group_problems(kb)
    return problems


def _when_placeholders(entry) -> set:
    if not entry.when:
        return set()
    templates = [entry.when.city, entry.when.applicant_type, entry.when.direction]
    return set().union(*(placeholders(t) for t in templates if t))


def _silent_problems(kb: KnowledgeBase) -> List[Problem]:
    if kb.not_in_notice is None:
        return []
    file = "not_in_notice.yml"
    problems = _duplicate_ids(file, "topics", [t.id for t in kb.not_in_notice.topics])
    for topic in kb.not_in_notice.topics:
        keywords = [normalize(k) for k in topic.keywords]
        for example in topic.examples:
            if not any(k in normalize(example) for k in keywords):
                problems.append(
                    Problem(
                        file,
                        f"topics › {topic.id}",
                        f"例句“{example}”不含任何关键词，助手认不出它；请补充关键词",
                    )
                )
    return problems


def _english_problems(kb: KnowledgeBase) -> List[Problem]:
    if kb.english is None:
        return []
    problems = [
        Problem("english.yml", f"topics › {t.faq}", f"faq “{t.faq}”不是 faq.yml 中已有的条目 id")
        for t in kb.english.topics
        if kb.faq_entry(t.faq) is None
    ]
    allowed = set(static_facts(kb)) | {"contacts", "deadline_status", *ENGLISH_DATE_NAMES}
    for topic in kb.english.topics:
        if topic.answer:
            where = f"topics › {topic.faq}"
            problems += _template_problems("english.yml", where, topic.answer, allowed, "answer ")
            problems += _literal_problems("english.yml", where, topic.answer, kb, "answer ")
    return problems


def _message_problems(kb: KnowledgeBase, fact_names: set) -> List[Problem]:
    file = "messages.yml"
    messages = kb.messages_file.messages if kb.messages_file else {}
    problems = []
    for name in MESSAGE_VALUES:
        if name not in messages:
            problems.append(Problem(file, f"messages › {name}", "缺少这条固定回复"))
    for name, template in messages.items():
        if name not in MESSAGE_VALUES:
            problems.append(
                Problem(file, f"messages › {name}", "系统不使用这条回复（名称写错了吗？）")
            )
            continue
        own, required = MESSAGE_VALUES[name]
        common = frozenset() if name in NO_COMMON else COMMON_VALUES
        facts = frozenset() if name in NO_FACTS else (fact_names - FOOTER_NAMES - COMMON_VALUES)
        allowed = facts | common | own
        used = placeholders(template)
        listed = "、".join("{" + n + "}" for n in sorted(own | common)) or "无"
        also = "" if name in NO_FACTS else " 及事实名称"
        for unknown in sorted(used - allowed):
            problems.append(
                Problem(
                    file,
                    f"messages › {name}",
                    f"引用了这条回复不能用的名称 {{{unknown}}}（可用：{listed}{also}）",
                )
            )
        for missing in sorted(required - used):
            problems.append(Problem(file, f"messages › {name}", f"缺少必须出现的 {{{missing}}}"))
        problems += _literal_problems(file, f"messages › {name}", template, kb, "")
    return problems + feedback_word_problems(messages)


def _group_problems(kb: KnowledgeBase) -> List[Problem]:
    names = {c.name for c in kb.cities}
    return [
        Problem("cities.yml", f"groups › {group.name}", f"“{member}”不是 cities 中的市州全称")
        for group in kb.cities_file.groups
        for member in group.members
        if member not in names
    ]


def _duplicate_ids(file: str, section: str, ids: List[str]) -> List[Problem]:
    return [
        Problem(file, f"{section} › {i}", "id 重复")
        for i in sorted({i for i in ids if ids.count(i) > 1})
    ]
