"""What the notice itself says about a question: its clauses as a searchable source.

The notice (knowledge/notice_text.yml) is split into sentences, each under its
clause number. A question is matched against them with BM25 over jieba terms
(the knowledge vocabulary as user dictionary). Two more questions are answered
here, both for precision: which *distinctive* notice terms a question contains
(terms found in at most a couple of sentences, such as 工匠精神), and which of
its terms occur nowhere in the notice nor in the FAQ (what the notice does not
talk about at all).
"""

from __future__ import annotations

import math
import re
import sys
import threading
from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

import jieba
import jieba.posseg

from bot.answer.normalize import normalize
from bot.kb.models import Direction, KnowledgeBase

_CJK_TERM = re.compile(r"^[\u4e00-\u9fff]{2,}$")
_SENTENCE_END = re.compile(r"(?<=[。])")

# Words of a question that say nothing about its topic: question words, politeness,
# the applicant talking about itself, and words every question of this notice shares.
_STOPWORD_TEXT = """
    请问 你好 您好 老师 领导 麻烦 谢谢 打扰 想问 问问 问一下 问下 咨询 一下 了解 知道 告诉 请教
    我们 我们的 你们 咱们 他们 本单位 单位 公司 学校 我司 我校 我院 本人 自己 这边 那边
    什么 怎么 怎样 如何 哪些 哪个 哪里 哪儿 多少 几个 是否 能否 可以 可不可以 能不能 需要
    需不需要 要不要 有没有 是不是 还是 时候 什么时候 现在 今年 明年 的话 情况 问题 这个 那个
    这次 本次 此次 一般 大概 应该 必须 还有 另外 以及 如果 具体 相关 有关 关于 规定 要求
    一个 两个 是不是 怎么办 怎么样 行不行 可以吗 吗 呢 吧 啊 呀 哦 嗯 啥 咋 么 谁 多久
    申报 申请 报名 示范基地 基地 双创 省级 省里 湖南 湖南省 通知 文件 这种 那种 东西 事情
    方面 之类 等等 或者 然后 但是 因为 所以 已经 都是 就是 只是 还要 还能 能够 一些 有些
    一件事 两件事 三件事 几件事 事儿 几个问题 两个问题 三个问题 一个问题 几点 问清楚 一定 一定要
    名义
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

DISTINCTIVE_DF = 2  # a term in at most this many notice sentences points at their clause


@dataclass(frozen=True)
class Sentence:
    clause: str
    text: str
    terms: FrozenSet[str]


@dataclass(frozen=True)
class ClauseHit:
    clause: str
    sentences: Tuple[str, ...]
    score: float
    matched: Tuple[str, ...]


def split_sentences(text: str) -> List[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


class _Additions(dict):
    """A jieba tokenizer's own words over a dictionary it shares with other tokenizers.

    jieba's ``Tokenizer.FREQ`` (word or word prefix → frequency) is read with ``in``, ``[]`` and
    ``get`` and written with ``[]=`` (``add_word``): reads fall through to the shared
    dictionary, writes stay here, so the shared one is never changed."""

    __slots__ = ("shared",)

    def __init__(self, shared: Dict[str, int]) -> None:
        super().__init__()
        self.shared = shared

    def __missing__(self, word: str) -> int:
        return self.shared[word]

    def __contains__(self, word: object) -> bool:
        return dict.__contains__(self, word) or word in self.shared

    def get(self, word: str, default: Optional[int] = None) -> Optional[int]:  # type: ignore[override]
        value = dict.get(self, word, _ABSENT)
        return self.shared.get(word, default) if value is _ABSENT else value


_ABSENT = object()
# jieba's default dictionary as loaded (word → frequency, total frequency): one copy per
# process, read by jieba.dt (Rasa's JiebaTokenizer) and by every Segmenter.
_default: Optional[Tuple[Dict[str, int], int]] = None
_default_lock = threading.Lock()


def _initialize_global(dictionary: Optional[str] = None) -> None:
    """jieba.dt's initialize: load as jieba does, then keep what is added later (Rasa's user
    dictionary) apart from the default dictionary, which Segmenters then share."""
    global _default
    tokenizer = jieba.dt
    with tokenizer.lock:
        jieba.Tokenizer.initialize(tokenizer, dictionary)
        if tokenizer.dictionary == jieba.DEFAULT_DICT and not isinstance(
            tokenizer.FREQ, _Additions
        ):
            _default = (tokenizer.FREQ, tokenizer.total)
            tokenizer.FREQ = _Additions(tokenizer.FREQ)
            _compact_word_tags(_default[0])


# jieba loads its dictionary on first use. Unless something used jieba.dt before this module was
# imported, that load goes through _initialize_global (nlu/components.py imports this module
# before Rasa's JiebaTokenizer loads its user dictionary into jieba.dt).
if not jieba.dt.initialized and jieba.dt.dictionary == jieba.DEFAULT_DICT:
    jieba.dt.initialize = _initialize_global


def default_dictionary() -> Tuple[Dict[str, int], int]:
    """jieba's default dictionary (word → frequency, total), shared with jieba.dt when it was
    loaded through _initialize_global, else loaded once for this process's Segmenters."""
    global _default
    with _default_lock:
        if _default is None:
            jieba.dt.check_initialized()
        if _default is None:  # jieba.dt was loaded before this module was imported
            private = jieba.Tokenizer()
            private.initialize()
            _default = (private.FREQ, private.total)
            _compact_word_tags(_default[0])
        return _default


def _compact_word_tags(dictionary: Dict[str, int]) -> None:
    """Rebuild ``jieba.posseg.dt``'s word → tag table (read from dict.txt at import) with the
    dictionary's own word objects as keys and one object per tag: the same table without a
    second copy of every word (≈ 27 MiB) and of most tags (≈ 6 MiB). Once per process."""
    table = jieba.posseg.dt.word_tag_tab
    compact = {word: sys.intern(table[word]) for word in dictionary if word in table}
    if len(compact) < len(table):  # words of the tag table the dictionary lacks: kept as read
        compact.update((w, t) for w, t in table.items() if w not in compact)
    jieba.posseg.dt.word_tag_tab = compact


class _Tagger(jieba.posseg.POSTokenizer):
    """jieba's part-of-speech tagger over ``tokenizer``, with the word tags of jieba's default
    dictionary that ``import jieba.posseg`` already loaded (``jieba.posseg.dt``): a new
    POSTokenizer reads dict.txt again (≈ 40 MiB). Words added to ``tokenizer`` without a tag
    are tagged as before (by that table, else ``x``); nothing in this project calls
    ``jieba.posseg.cut``, which would merge jieba.dt's user-dictionary tags into the table."""

    def __init__(self, tokenizer: jieba.Tokenizer) -> None:  # no super(): it reloads the tags
        self.tokenizer = tokenizer
        self.word_tag_tab = jieba.posseg.dt.word_tag_tab


class Segmenter:
    """jieba with the knowledge vocabulary added, isolated from jieba's global state.

    Its dictionary is jieba's default one, shared (``default_dictionary``), with the knowledge
    words on top: the same segmentation as a ``jieba.Tokenizer()`` of its own, without a second
    copy of the dictionary (≈ 75 MiB) per Segmenter."""

    def __init__(self, words: Iterable[str]):
        shared, total = default_dictionary()
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.FREQ = _Additions(shared)
        self._tokenizer.total = total
        self._tokenizer.initialized = True
        for word in words:
            if word and not word.isascii():
                self._tokenizer.add_word(normalize(word), freq=2000)
        self._tagger = _Tagger(self._tokenizer)

    def nouns(self, text: str) -> List[str]:
        """Nouns of the question (what it is about); verbs, adverbs and time words are how it is
        asked."""
        found = []
        for word, flag in self._tagger.cut(text):
            if (
                flag.startswith("n")
                and _CJK_TERM.match(word)
                and word not in STOPWORDS
                and word not in found
            ):
                found.append(word)
        return found

    def terms(self, text: str) -> List[str]:
        """Content terms (two or more Chinese characters, no stopwords), for search."""
        found = []
        for token in self._tokenizer.cut_for_search(text):
            if _CJK_TERM.match(token) and token not in STOPWORDS and token not in found:
                found.append(token)
        return found

    def words(self, text: str) -> List[str]:
        """The question's own words (no sub-words), for the unknown-term check."""
        found = []
        for token in self._tokenizer.cut(text):
            if _CJK_TERM.match(token) and token not in STOPWORDS and token not in found:
                found.append(token)
        return found


def _knowledge_words(kb: KnowledgeBase) -> List[str]:
    words = [w for mapping in kb.entity_vocabulary().values() for w in mapping]
    words += [d.name for d in kb.directions]
    if kb.not_in_notice:
        words += [k for topic in kb.not_in_notice.topics for k in topic.keywords]
    return words


def _spelt_alike(text: str, term: str, word: str) -> bool:
    """Whether ``text`` has ``word`` around an occurrence of ``term`` with at most one
    character different."""
    at = word.index(term)
    start = text.find(term)
    while start >= 0:
        window = text[start - at : start - at + len(word)] if start >= at else ""
        alike = len(window) == len(word) and sum(map(str.__eq__, window, word)) >= len(word) - 1
        if alike:
            return True
        start = text.find(term, start + 1)
    return False


class NoticeIndex:
    """BM25 over the notice's sentences, plus the vocabulary the assistant knows."""

    K1 = 1.2
    B = 0.75

    def __init__(
        self, kb: KnowledgeBase, faq_texts: Dict[str, str], extra_known: Sequence[str] = ()
    ):
        self.segmenter = Segmenter(_knowledge_words(kb))
        self.sentences: List[Sentence] = []
        for clause in kb.clauses:
            if clause.scope != "notice":
                continue
            for text in split_sentences(clause.text):
                terms = frozenset(self.segmenter.terms(normalize(text, limit=None)))
                self.sentences.append(Sentence(clause.clause, text, terms))
        self.df: Dict[str, int] = {}
        for sentence in self.sentences:
            for term in sentence.terms:
                self.df[term] = self.df.get(term, 0) + 1
        self.notice_terms = sorted(self.df, key=len, reverse=True)
        self.average_length = sum(len(s.terms) for s in self.sentences) / max(
            1, len(self.sentences)
        )
        self.faq_texts = {faq_id: normalize(text, limit=None) for faq_id, text in faq_texts.items()}
        self.faq_text = "\n".join(self.faq_texts.values())
        notice_text = " ".join(normalize(c.text, limit=None) for c in kb.clauses)
        vocabulary = " ".join(w for m in kb.entity_vocabulary().values() for w in m)
        self.known_text = " ".join(
            [
                notice_text,
                *self.faq_texts.values(),
                normalize(vocabulary, limit=None),
                *STOPWORDS,
                *extra_known,
            ]
        )

    def idf(self, term: str) -> float:
        n = len(self.sentences)
        df = self.df.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def notice_terms_in(self, question: str) -> List[str]:
        """Notice terms among the question's own words, longest first, none inside a longer one.

        Words, not substrings: “换成长沙” does not contain the notice's 成长."""
        words = set(self.segmenter.terms(question))
        found: List[str] = []
        for term in self.notice_terms:
            if term in words and not any(term in longer for longer in found):
                found.append(term)
        return found

    def distinctive_terms(self, question: str) -> List[str]:
        """Notice terms of the question that occur in at most a couple of sentences and in no
        FAQ entry: they point at a clause the FAQ does not answer."""
        return [
            t
            for t in self.notice_terms_in(question)
            if self.df[t] <= DISTINCTIVE_DF and t not in self.faq_text
        ]

    def stands_for_notice_word(self, term: str, question: str) -> bool:
        """Whether ``term`` in the question means the notice's word. Inside a longer word of
        the question it does only if the notice has that word spelt nearly alike around it
        (退伍军人 ~ 退役军人: all but one character), not when it merely ends the same
        (工作人员 is no 科研人员)."""
        words = [w for w in self.segmenter.words(question) if term in w and w != term]
        if not words:
            return True
        return any(
            _spelt_alike(sentence.text, term, word) for word in words for sentence in self.sentences
        )

    def _uncovered_runs(self, question: str) -> List[Tuple[int, int]]:
        covered = [False] * len(question)
        for start in range(len(question)):
            for length in (4, 3, 2):
                piece = question[start : start + length]
                if len(piece) == length and piece in self.known_text:
                    for i in range(start, start + length):
                        covered[i] = True
                    break
        runs, start = [], None
        for i, ch in enumerate(question + " "):
            inside = i < len(question) and not covered[i] and "\u4e00" <= ch <= "\u9fff"
            if inside and start is None:
                start = i
            elif not inside and start is not None:
                if i - start >= 2:
                    runs.append((start, i))
                start = None
        return runs

    def unknown_words(self, question: str) -> List[str]:
        """Words of the question found nowhere in the notice, the FAQ or the vocabulary.

        Coverage is by character n-grams (a question is covered where any 2–4 characters of it
        occur in what the assistant knows), so a word jieba cuts oddly does not count as new.
        """
        runs = [question[start:end] for start, end in self._uncovered_runs(question)]
        if not runs:
            return []
        return [w for w in self.segmenter.words(question) if any(w in run for run in runs)]

    def unknown_nouns(self, question: str) -> List[str]:
        """The unknown words (see ``unknown_words``) that are nouns."""
        unknown = self.unknown_words(question)
        if not unknown:
            return []
        nouns = self.segmenter.nouns(question)
        return [w for w in unknown if any(w in noun or noun in w for noun in nouns)]

    def search_about(self, question: str, direction: Optional[Direction]) -> Optional[ClauseHit]:
        """``search``, kept to the clause of the ``direction`` the question names (“精益创业方向
        培育对象” is about 二（三）, not the 全球化 clause that also 培育s)."""
        hit = self.search(question)
        if hit and direction and hit.clause != direction.clause:
            return self.search(question, within=direction.clause) or hit
        return hit

    def faq_covers(self, faq_id: str, terms: Sequence[str]) -> bool:
        text = self.faq_texts.get(faq_id, "")
        return all(term in text for term in terms)

    def search(self, question: str, within: Optional[str] = None) -> Optional[ClauseHit]:
        """The best-matching clause (``within``: that clause only) and its matching sentences."""
        terms = self.notice_terms_in(question)
        if not terms:
            return None
        scores: List[Tuple[float, int]] = []
        for number, sentence in enumerate(self.sentences):
            if within and sentence.clause != within:
                continue
            score = 0.0
            length_norm = 1 - self.B + self.B * len(sentence.terms) / self.average_length
            for term in terms:
                if term in sentence.terms:
                    score += self.idf(term) * (self.K1 + 1) / (1 + self.K1 * length_norm)
            if score > 0:
                scores.append((score, number))
        if not scores:
            return None
        scores.sort(reverse=True)
        best_score, best = scores[0]
        clause = self.sentences[best].clause
        chosen = [best]
        for score, number in scores[1:3]:
            if self.sentences[number].clause == clause and score >= 0.6 * best_score:
                chosen.append(number)
        chosen.sort()
        matched = tuple(t for t in terms if any(t in self.sentences[n].terms for n in chosen))
        return ClauseHit(
            clause=clause,
            sentences=tuple(self.sentences[n].text for n in chosen),
            score=best_score,
            matched=matched,
        )
