"""Decide, before any answer is made, whether a question may be answered from the FAQ.

The intent model always names *some* topic. For a question no FAQ entry covers,
that topic is a neighbour, and its answer would mislead. The router looks at
what the model cannot know and, where it must, replaces the model's intent:

1. English → the FAQ topic its words name (knowledge/english.yml), or the honest reply;
2. a policy document named by number or title → ``policy_basis`` for that document;
3. a matter the notice does not regulate (knowledge/not_in_notice.yml) → ``not_in_notice``;
4. a term found only in one clause of the notice that the predicted FAQ answer does not
   contain (工匠精神, 隐形冠军) → ``notice_clause``, which quotes that clause;
5. words found nowhere in the notice, the FAQ or the vocabulary, when the model is not
   sure → ``not_in_notice``;
6. no confident topic, but a clause clearly matches → ``notice_clause``.

A clause answer travels as Rasa's ``nlu_fallback`` with the clause in its entities: the
honest fallback action quotes it instead of offering topics.

Greetings, self-check answers and follow-ups stay with the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from bot.answer import clauses as message_clauses
from bot.answer.clauses import asks_for_attachments_naming_no_fault, turns_the_assistant_down
from bot.answer.compound import is_question
from bot.answer.context import corrects_entity, is_correction, only_names_entities
from bot.answer.derived import (
    PROVINCE_CUES,
    TOTAL_CUES,
    YES_NO_CUES,
    deadline_check,
    quota_check,
    quota_total,
)
from bot.answer.documents import documents_named
from bot.answer.english import english_topic, is_english
from bot.answer.entities import EntityMatcher
from bot.answer.normalize import normalize
from bot.answer.notice_search import ClauseHit, NoticeIndex
from bot.answer.reading import asked_text
from bot.answer.replies import BLOCKED, NOTICE_CLAUSE, blocked_words
from bot.kb.answers import answer_faq
from bot.kb.models import KnowledgeBase, SilentTopic
from bot.names import (
    HUMAN_HANDOFF,
    INFORM,
    NLU_FALLBACK,
    NOT_IN_NOTICE,
    OUT_OF_SCOPE,
    SELFCHECK,
)

# Intents that are not questions about the notice: the model decides them alone.
CONVERSATION_INTENTS = frozenset(
    {
        "greet",
        "goodbye",
        "thanks",
        "human_handoff",
        "bot_capabilities",
        "bot_identity",
        "selfcheck",
        "selfcheck_stop",
        "selfcheck_restart",
        "selfcheck_result",
        "selfcheck_answer",
        "affirm",
        "deny",
        "stop",
        "restart",
        "skip",
    }
)
# A clause is quoted for a matched word that at most this many notice sentences use.
SPECIFIC_DF = 3
# Conversation intents a question is never meant as (the self-check's steps are left alone).
SMALL_TALK = frozenset({"greet", "goodbye", "thanks", "bot_capabilities", "bot_identity"})
BOT_IDENTITY = "bot_identity"
# words that make a question one about the assistant itself (“你是谁”, “是机器人吗”); without
# one, “…到底是个什么东西” asks about the 基地, not about the assistant
# “能报吗”: whether someone may apply — the notice's list of applicants answers it (the
# eligibility entry), for a type it names (“企业能不能申报”) and one it does not (“个体户能报吗”)
ELIGIBILITY = "eligibility"
_LATIN = re.compile(r"[a-zA-Z]{3,}")
_NOT_LATIN = re.compile(r"[^a-z']+")
# “双创具体指的什么”, “示范基地主要是干嘛的”: what the call's own subject is — its overall aim
OVERALL_AIM = "overall_aim"
_WHAT_IT_IS = re.compile(
    r"(?:双创示范基地|示范基地|双创基地|双创)(?:到底|具体|主要|究竟|就|又|是)*"
    r"(?:是个什么东西|是什么东西|是个什么|是什么|指的是什么|指的什么|指什么|什么意思|"
    r"是干嘛的|干嘛的|是干什么的|干什么的|是啥|用来干嘛)(?:呀|啊|呢|啦)?$"
)
# “能咨询哪些内容”, “可以问什么”: what the assistant can be asked
_WHAT_TO_ASK = re.compile(r"(?:能|可以|可)(?:咨询|问)(?:些|一些)?(?:哪些|什么|啥)")
BOT_CAPABILITIES = "bot_capabilities"
# asked to check the applicant's own unit (“测一测我们是否满足申报要求”): the self-check
CHECK_VERBS = ("测一测", "测一下", "测测", "自测", "自查", "自检", "自评", "预审", "预评估")
CHECK_VERBS += ("评估一下", "检查一下", "判断一下", "帮我看看", "帮我们看看")
ASSISTANT_WORDS = ("你", "您", "机器人", "助手", "真人", "人工", "客服", "自动", "工作人员", "聊")
ASSISTANT_WORDS += ("ai", "bot")
WEBSITE_SUPPORT, ATTACHMENTS = "website_support", "attachments"
# A date is about the deadline only when the question is about handing something in.
SUBMIT_CUES = ("交", "报", "送", "递", "截止", "来得及", "赶得上", "提交", "寄")


@dataclass(frozen=True)
class Thresholds:
    """Chosen on held-out data; see config.yml for the figures."""

    fallback: float = 0.5  # the FallbackClassifier's threshold
    trust_model: float = 0.9  # above this, unknown words do not overrule a FAQ topic
    clause_score: float = 4.0  # BM25 score for a clause answer without a distinctive term
    keyword_confirms: float = 0.3  # a keyword of the model's topic makes a guess this sure enough


@dataclass(frozen=True)
class Route:
    intent: str
    mechanism: str
    entities: Tuple[Tuple[str, str], ...] = ()


_CLAUSE_SEPARATORS = re.compile(r"[，,。；;！!？?\n]")
_CHINESE_QUESTION = re.compile(r"[什哪几多吗么呢啥谁怎][么个少里吗呢啥样]?")


_INTRODUCTION = re.compile(
    r"^(您好|你好|老师|领导|打扰|麻烦|请问)|我是|我们是|我们这边|我们单位|我司|我校|我院|本单位|"
    r"我们公司|我们学校|我们园区|我们所|我们企业|领导让我"
)


def asked_part(question: str) -> str:
    """The message without its greeting and self-introduction: “我们是益阳一家做食品加工的公司”
    says who asks, not what, and its words must not make the question look unknown."""
    pieces = [p for p in _CLAUSE_SEPARATORS.split(question) if p.strip()]
    kept = [p for p in pieces if is_question(p) or not _INTRODUCTION.search(p)]
    return "，".join(kept) or question


def question_pieces(question: str) -> str:
    """Only the pieces of a message that ask (“…那申报的事到底打哪个电话”)."""
    pieces = [p for p in _CLAUSE_SEPARATORS.split(question) if p.strip()]
    return "，".join(p for p in pieces if is_question(p)) or question


def silent_keywords(kb: KnowledgeBase) -> List[Tuple[str, SilentTopic]]:
    """(normalised keyword, topic) pairs of knowledge/not_in_notice.yml, in file order."""
    topics = kb.not_in_notice.topics if kb.not_in_notice else []
    return [(normalize(keyword), topic) for topic in topics for keyword in topic.keywords]


def silent_topic(
    question: str, keywords: Sequence[Tuple[str, SilentTopic]]
) -> Optional[SilentTopic]:
    return next((topic for keyword, topic in keywords if keyword in question), None)


def faq_texts(kb: KnowledgeBase) -> Dict[str, str]:
    """Everything a FAQ entry is about: its questions and its rendered answers."""
    texts = {}
    for entry in kb.faq:
        answer = answer_faq(kb, entry.id)
        parts = [entry.question, *entry.similar, answer.text if answer else ""]
        if entry.when:
            parts += [
                t for t in (entry.when.city, entry.when.applicant_type, entry.when.direction) if t
            ]
        texts[entry.id] = "\n".join(parts)
    return texts


class QuestionRouter:
    def __init__(self, kb: KnowledgeBase, thresholds: Thresholds = Thresholds()):
        self.kb = kb
        self.thresholds = thresholds
        self.faq_ids = {entry.id for entry in kb.faq}
        self.silent_keywords = silent_keywords(kb)
        self.faq_keywords = [(normalize(k), e.id) for e in kb.faq for k in e.keywords]
        english = kb.english.topics if kb.english else []
        # mixed Chinese and English (“submit纸质材料的window是几号”): the English words
        self.english_keywords = [(f" {k.lower()} ", t.faq) for t in english for k in t.keywords]
        self.footer_ids = {e.id for e in kb.faq if e.footer}
        self.blocked_words = blocked_words(kb)
        self.faq_questions = {
            e.id: normalize("\n".join([e.question, *e.similar]), limit=None) for e in kb.faq
        }
        self.entities = EntityMatcher(kb.entity_vocabulary())
        # text a policy document's title fragment must not be part of to name that document
        self.background = "\n".join(
            [
                normalize(c.text, limit=None)
                for c in kb.clauses
                if c.clause != kb.notice.policy_basis.clause
            ]
            + list(self.faq_questions.values())
        )
        # a FAQ keyword (“几楼”, “几套”) is a word the assistant knows, never an unknown term
        known = [*TOTAL_CUES, *YES_NO_CUES, *PROVINCE_CUES, *(k for k, _ in self.faq_keywords)]
        self.index = NoticeIndex(kb, faq_texts(kb), extra_known=known)

    def _without_places(self, question: str) -> str:
        """The question with its 市州 blanked out: “长沙比衡阳多几个” holds no abuse."""
        text = question
        for match in self.entities.find(question):
            if match.entity == "city":
                text = text[: match.start] + " " * (match.end - match.start) + text[match.end :]
        return text

    def _clause_route(self, hit: ClauseHit, mechanism: str) -> Route:
        """No FAQ topic: the honest fallback, which quotes the clause these entities name."""
        entities = [(NOTICE_CLAUSE, hit.clause)] + [("notice_quote", s) for s in hit.sentences]
        return Route(NLU_FALLBACK, mechanism, tuple(entities))

    def search(self, asked: str) -> Optional[ClauseHit]:
        """The clause search; a question naming one direction is about that direction's clause."""
        named = [m.value for m in self.entities.find(asked) if m.entity == "direction"]
        one = self.kb.direction(named[0]) if len(set(named)) == 1 else None
        return self.index.search_about(asked, one)

    def specific(self, hit: ClauseHit) -> bool:
        """A clause answers only if the question shares a word with it that few sentences of
        the notice use (“年度”, “示范” match the title, which answers nothing)."""
        return any(self.index.df.get(term, 0) <= SPECIFIC_DF for term in hit.matched)

    def footer_topic(self, asking: str, keywords: Dict[str, str]) -> Optional[str]:
        """The footer entry a question that names the page footer asks about: the one whose
        text has the keywords it names (“页面最底下那个联系电话” → the website's phone)."""
        if not keywords or not any(word in asking for word in message_clauses.PAGE_FOOTER_WORDS):
            return None
        named = list(keywords.values())
        found = [e.id for e in self.kb.faq if e.footer and self.index.faq_covers(e.id, named)]
        return found[0] if len(found) == 1 else None

    def keyword_topics(self, question: str) -> Dict[str, str]:
        """FAQ topics whose ``keywords`` occur in the question → the first keyword found; a
        的 between its words does not hide one (“维护的电话” names 维护电话), nor a direction
        (“负责往省里推荐” names 负责推荐)."""
        found: Dict[str, str] = {}
        plain = question.replace("的", "")
        straight = message_clauses.TOWARDS.sub("", plain)
        for keyword, faq_id in self.faq_keywords:
            if faq_id not in found and any(keyword in text for text in (question, plain, straight)):
                found[faq_id] = keyword
        if not found and _LATIN.search(question):  # the Chinese named no topic
            padded = f" {_NOT_LATIN.sub(' ', question.lower())} "
            for keyword, faq_id in self.english_keywords:
                if faq_id not in found and keyword in padded:
                    found[faq_id] = keyword.strip()
        return found

    def names_only_a_type(self, asked: str, question: str) -> bool:
        """Names an applicant type and no direction (“长沙的科研院所能报吗”): in what is asked or,
        when that names nothing and does not ask whether the call is still open (“现在还能不能
        申报”), in the introduction (“我们是一家高校，能报吗”). A count asked is another matter."""
        if message_clauses.OTHER_MATTER.search(asked):
            return False
        if not self.entities.find(asked):
            if any(cue in asked for cue in message_clauses.STILL_OPEN_CUES):
                return False
            asked = question
        kinds = {m.entity for m in self.entities.find(asked)}
        return "applicant_type" in kinds and "direction" not in kinds

    def derived_topic(self, question: str) -> Optional[str]:
        """A yes/no or total question the facts decide (“衡阳能推3个吗”, “12月3号交来得及吗”)."""
        cities = [m.value for m in self.entities.find(question) if m.entity == "city"]
        if quota_total(self.kb, question, cities) or quota_check(self.kb, question, cities):
            return "quota"
        if deadline_check(self.kb, question) and any(cue in question for cue in SUBMIT_CUES):
            return "deadline"
        return None

    def route(self, question: str, ranking: Sequence[Dict]) -> Optional[Route]:
        """A new intent for the (normalised) question, or None to keep the model's."""
        if any(word in self._without_places(question) for word in self.blocked_words):
            return Route(
                NLU_FALLBACK, "blocked", ((BLOCKED, "1"),)
            )  # a fixed reply, nothing repeated
        if is_english(question):
            topic = english_topic(question, self.kb.english)
            if topic or not _CHINESE_QUESTION.search(question):
                return Route(topic or NOT_IN_NOTICE, "english", (("language", "en"),))
            # mixed: “Hengyang能推几个enterprise” asks in Chinese: read it as Chinese
        documents = documents_named(
            question, self.kb.notice.policy_basis.documents, self.background
        )
        if documents:
            return Route(
                "policy_basis", "document", tuple(("policy_document", d.number) for d in documents)
            )
        # only what the message asks: a word of the greeting, the introduction or the reason
        # never becomes the subject (bot.answer.reading)
        asked = asked_text(question, self.kb)
        silent = silent_topic(asked, self.silent_keywords)
        if silent:
            return Route(NOT_IN_NOTICE, "silent_topic", (("silent_topic", silent.id),))

        top = ranking[0] if ranking else {"name": None, "confidence": 0.0}
        intent, confidence = top.get("name"), float(top.get("confidence") or 0.0)
        is_faq = intent in self.faq_ids
        sure = confidence >= self.thresholds.fallback
        trusted = is_faq and confidence >= self.thresholds.trust_model
        # a yes/no question the facts decide (a 市州 and a number, a date to hand in), even
        # when the model took it for a conversation step (“湘潭想报4家行不行” → an answer)
        derived = self.derived_topic(question)
        if derived:
            return Route(derived, "derived_fact")
        asks_to_apply = any(cue in asked for cue in message_clauses.APPLY_CUES)
        typed = self.names_only_a_type(asked, question)
        if asks_to_apply and not (intent == ELIGIBILITY and sure) and typed:
            return Route(ELIGIBILITY, "who_may_apply")
        if is_correction(question) and (
            only_names_entities(self.kb, question) or corrects_entity(self.kb, question)
        ):
            return Route(INFORM, "correction")  # “说错了，是衡阳”: bot.answer.context answers it
        if intent in SMALL_TALK and is_question(asked):
            # “在几楼” is no greeting: a question naming one topic's keyword goes to that topic
            named = self.keyword_topics(asked)
            if len(named) == 1:
                return Route(next(iter(named)), "keyword")
        if not self.keyword_topics(asked):
            if _WHAT_IT_IS.search(asked) and intent != OVERALL_AIM:
                return Route(OVERALL_AIM, "what_it_is")
            if _WHAT_TO_ASK.search(asked) and intent != BOT_CAPABILITIES:
                return Route(BOT_CAPABILITIES, "what_to_ask")
            checks = any(verb in asked for verb in CHECK_VERBS)
            if checks and intent != SELFCHECK and ("我" in asked or "咱" in asked):
                return Route(SELFCHECK, "check_our_unit")
        if intent == WEBSITE_SUPPORT and asks_for_attachments_naming_no_fault(asked):
            return Route(ATTACHMENTS, "no_fault")
        if intent == BOT_IDENTITY and turns_the_assistant_down(asked):
            return Route(HUMAN_HANDOFF, "refuses_the_assistant")
        if intent == BOT_IDENTITY and not any(word in asked for word in ASSISTANT_WORDS):
            return Route(NLU_FALLBACK, "not_about_the_assistant")
        if intent in CONVERSATION_INTENTS and sure:
            return None  # greeting, self-check answer, thanks …
        distinctive = [
            t
            for t in self.index.distinctive_terms(asked)
            if self.index.stands_for_notice_word(t, asked)
        ]
        if distinctive and not (is_faq and self.index.faq_covers(intent, distinctive)):
            hit = self.search(asked)
            if hit and not set(distinctive) & set(hit.matched):
                # the clause quoted must be the one with the distinctive word, not a neighbour
                hit = self.index.search(",".join(distinctive))
            if hit:
                return self._clause_route(hit, "distinctive_term")
        if (is_faq and sure and not trusted) or (intent == INFORM and not sure):
            unknown = self.index.unknown_nouns(asked)
            if unknown and not (intent == ELIGIBILITY and asks_to_apply):
                return Route(
                    NOT_IN_NOTICE, "unknown_terms", tuple(("unknown_term", w) for w in unknown)
                )
        keywords = self.keyword_topics(asked)
        pieces = question_pieces(question)
        footer = self.footer_topic(pieces, keywords)
        if footer and footer != intent:
            return Route(footer, "page_footer")
        names_the_website = any(word in pieces for word in message_clauses.WEBSITE_WORDS)
        if intent in self.footer_ids and intent not in keywords and not names_the_website:
            # the page footer answers footer questions only: asked about something else
            # (“那申报的事打哪个电话”), the footer's website phone is no application hotline
            asking = self.keyword_topics(pieces)
            if len(asking) == 1:
                return Route(next(iter(asking)), "keyword")
        if keywords and intent not in keywords and len(keywords) == 1:
            # a keyword of exactly one other entry, found in none of the model's topic's questions
            ((topic, keyword),) = keywords.items()
            if intent == INFORM or not is_faq or keyword not in self.faq_questions[intent]:
                return Route(topic, "keyword")
        if intent in keywords and not trusted and confidence >= self.thresholds.keyword_confirms:
            return Route(intent, "keyword")  # the model's guess, confirmed by a keyword
        if intent == OUT_OF_SCOPE and sure:
            return None  # the honest fallback already
        if not (is_faq and sure) and intent != INFORM:
            hit = self.search(asked)
            if hit and hit.score >= self.thresholds.clause_score and self.specific(hit):
                return self._clause_route(hit, "clause_search")
        return None


def apply_route(route: Route, ranking: List[Dict]) -> Tuple[Dict, List[Dict]]:
    """The intent and ranking a routed message carries: the model's ranking is kept below it,
    at half its confidence, so that the fallback's ambiguity check does not undo the route."""
    intent = {"name": route.intent, "confidence": 1.0}
    rest = [
        {**r, "confidence": float(r.get("confidence") or 0.0) * 0.5}
        for r in ranking
        if r.get("name") != route.intent
    ]
    return intent, [intent, *rest]
