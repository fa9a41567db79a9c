"""试答 in the console: the production decision on the live knowledge, parsed by the running
assistant's NLU (its stand-in: tests/support/fake_rasa_parse.py)."""

from __future__ import annotations

import datetime as dt
import urllib.parse

import pytest

from tests.support.fake_rasa_parse import serving


@pytest.fixture
def nlu(config):
    with serving("console-token") as url:
        config.rasa_url, config.rasa_token = url, "console-token"
        config.today = dt.date(2021, 11, 20)
        yield url


async def ask(staff, *questions):
    query = urllib.parse.urlencode({"q": "\n".join(questions)})
    response = await staff.get(f"/try?{query}")
    assert response.status == 200
    return await response.text()


async def test_the_reply_its_clause_and_how_it_was_chosen(nlu, staff):
    html = await ask(staff, "申报截止时间是什么时候？", "你好")
    assert html.count('class="card answer"') == 2
    assert "2021年11月28日" in html and "距截止还有8天" in html
    assert '<dd class="clause">四、2</dd>' in html
    assert "FAQ：" in html and "（deadline）" in html
    assert "对话" in html  # the greeting is a dialogue step, said so


async def test_an_edited_answer_is_tried_at_once(nlu, staff, config):
    faq = config.knowledge_dir / "faq.yml"
    text = faq.read_text(encoding="utf-8")
    faq.write_text(
        text.replace(
            "报至{submission_window}，地址", "报至{submission_window}（请提前预约），地址", 1
        ),
        encoding="utf-8",
    )
    assert "（请提前预约）" in await ask(staff, "材料交到哪里")


async def test_without_the_assistant_it_says_so(staff, config):
    config.rasa_url, config.rasa_token = "http://127.0.0.1:9", "x"
    html = await ask(staff, "申报截止时间是什么时候？")
    assert "助手没有在运行" in html and "make run" in html


async def test_an_empty_form_shows_the_form(staff):
    html = await ask(staff)
    assert 'id="q"' in html and 'class="card answer"' not in html
