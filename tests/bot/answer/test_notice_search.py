"""The router's jieba (bot/answer/notice_search.py): one dictionary per process, same segmentation.

A Segmenter reads jieba's default dictionary shared with jieba.dt (Rasa's JiebaTokenizer) and
with every other Segmenter, and the word tags ``import jieba.posseg`` loaded: it must cut and
tag exactly as a ``jieba.Tokenizer()`` and ``POSTokenizer`` of its own (what it used before,
≈ 110 MiB more per process), and neither it nor jieba.dt may see the other's added words.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import List

import jieba
import jieba.posseg
import pytest

from bot.answer.normalize import normalize
from bot.answer.notice_search import (
    NoticeIndex,
    Segmenter,
    _knowledge_words,
    default_dictionary,
    split_sentences,
)
from bot.answer.routing import faq_texts
from tests.conftest import PROJECT_DIR


class PrivateSegmenter(Segmenter):
    """The Segmenter as it was: its own copy of the dictionary and of the word tags."""

    def __init__(self, words):
        self._tokenizer = jieba.Tokenizer()
        for word in words:
            if word and not word.isascii():
                self._tokenizer.add_word(normalize(word), freq=2000)
        self._tagger = jieba.posseg.POSTokenizer(self._tokenizer)


@pytest.fixture(scope="module")
def texts(kb) -> List[str]:
    found = [normalize(s) for c in kb.clauses for s in split_sentences(c.text)]
    found += [normalize(q) for e in kb.faq for q in [e.question, *e.similar]]
    return found


def test_segments_and_tags_as_a_private_tokenizer(kb, texts):
    words = _knowledge_words(kb)
    shared, private = Segmenter(words), PrivateSegmenter(words)
    assert len(texts) > 200
    for text in texts:
        assert shared.nouns(text) == private.nouns(text), text
        assert shared.terms(text) == private.terms(text), text
        assert shared.words(text) == private.words(text), text
        tagged = [(p.word, p.flag) for p in shared._tagger.cut(text)]
        assert tagged == [(p.word, p.flag) for p in private._tagger.cut(text)], text


def test_word_tags_are_jiebas(kb):
    Segmenter(_knowledge_words(kb))  # compacts jieba.posseg.dt's table once
    assert jieba.posseg.dt.word_tag_tab == jieba.posseg.POSTokenizer().word_tag_tab


def test_segmenters_share_one_dictionary_and_keep_their_words(kb):
    shared, total = default_dictionary()
    size = len(shared)
    first = Segmenter(["工匠精神测试词"])
    second = Segmenter([])
    word = normalize("工匠精神测试词")
    assert first._tokenizer.FREQ.shared is second._tokenizer.FREQ.shared is shared
    assert first._tokenizer.FREQ[word] == 2000 and word in first._tokenizer.FREQ
    assert word not in second._tokenizer.FREQ and word not in shared
    assert len(shared) == size and default_dictionary()[1] == total
    assert first._tokenizer.total == total + 2000 and second._tokenizer.total == total
    assert first._tagger.word_tag_tab is second._tagger.word_tag_tab


SHARED_WITH_RASA = """
import json
import jieba
from bot.kb.load import load_knowledge
from bot.answer import notice_search
from bot.answer.notice_search import Segmenter, _Additions, _knowledge_words

jieba.load_userdict({userdict!r})  # what Rasa's JiebaTokenizer does when the model loads
segmenter = Segmenter(_knowledge_words(load_knowledge()))
assert isinstance(jieba.dt.FREQ, _Additions)
assert segmenter._tokenizer.FREQ.shared is jieba.dt.FREQ.shared
assert jieba.dt.FREQ[{user_word!r}] == 2000
assert {user_word!r} not in segmenter._tokenizer.FREQ
print(json.dumps([segmenter.terms({question!r}), segmenter.nouns({question!r}),
                  list(jieba.cut({question!r}))]))
"""


@pytest.mark.model
def test_rasa_tokenizer_shares_the_dictionary_and_keeps_its_user_words(tmp_path, kb):
    """In a fresh process (as the Rasa server): jieba.dt loads through bot.answer.notice_search, its
    user dictionary stays its own, and the router cuts as in a process without it."""
    user_word = "鹿鸣测试词"
    userdict = tmp_path / "userdict.txt"
    userdict.write_text(f"{user_word} 2000 n\n", encoding="utf-8")
    question = "我们想申报鹿鸣测试词的工匠精神方向"
    script = SHARED_WITH_RASA.format(userdict=str(userdict), user_word=user_word, question=question)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    segmenter = Segmenter(_knowledge_words(kb))
    expected = [segmenter.terms(question), segmenter.nouns(question)]
    terms, nouns, rasa_words = json.loads(result.stdout.strip().splitlines()[-1])
    assert [terms, nouns] == expected
    assert user_word in rasa_words  # jieba.dt cuts with its user dictionary


@pytest.fixture(scope="module")
def notice_index(kb):
    return NoticeIndex(kb, faq_texts(kb))


@pytest.mark.parametrize(
    "question, term, stands",
    [
        ("带动返乡农民工创业的算不算", "农民工", True),  # a word of the question itself
        ("我们孵化器主要服务退伍军人创业", "军人", True),  # 退伍军人 ~ the notice's 退役军人
        ("怎么联系你们的工作人员", "人员", False),  # 工作人员 only ends like 科研人员
    ],
)
def test_a_term_inside_a_longer_word_stands_for_the_notices_word_only_if_spelt_alike(
    notice_index, question, term, stands
):
    assert notice_index.stands_for_notice_word(term, normalize(question)) is stands
