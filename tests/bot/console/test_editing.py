"""编辑知识库 in the console: through the one write path, with history under the account's
name; a refused edit keeps what was typed; 试答 with a draft writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.console import store
from bot.kb.history import History
from bot.kb.load import load_knowledge
from tests.bot.console.conftest import USER, csrf_token
from tests.support.fake_rasa_parse import serving

ADDRESS = "报至{submission_window}，地址"


async def form_of(staff, path):
    response = await staff.get(path)
    assert response.status == 200, await response.text()
    return await response.text()


async def submit(staff, path, **fields):
    token = await csrf_token(staff, path)
    return await staff.post(path, data={"csrf": token, **fields}, allow_redirects=True)


def faq_fields(config, faq_id):
    entry = load_knowledge(config.knowledge_dir).faq_entry(faq_id)
    return {
        "question": entry.question,
        "answer": entry.answer,
        "clause": entry.clause,
        "similar": "\n".join(entry.similar),
    }


async def test_an_answer_edited_in_the_console_is_live_and_in_the_history(staff, config):
    html = await form_of(staff, "/knowledge")
    assert 'id="edit-faq-submission_address"' in html and 'id="edit-message-welcome"' in html
    fields = faq_fields(config, "submission_address")
    fields["answer"] = fields["answer"].replace(
        ADDRESS, "报至{submission_window}（请提前预约），地址"
    )
    response = await submit(staff, "/knowledge/faq/submission_address", do="save", **fields)
    html = await response.text()
    assert response.status == 200 and 'id="saved"' in html and "不需要发布" in html
    kb = load_knowledge(config.knowledge_dir)
    assert "（请提前预约）" in kb.faq_entry("submission_address").answer
    latest = History.for_folder(config.knowledge_dir).versions(config.knowledge_dir)[-1]
    assert latest.by == USER and any("submission_address" in line for line in latest.summary)
    assert store.unpublished(config.database_url) == []  # an answer needs no training


async def test_a_new_similar_question_is_marked_for_publishing(staff, config):
    fields = faq_fields(config, "deadline")
    fields["similar"] += "\n材料最晚哪天要交齐"
    response = await submit(staff, "/knowledge/faq/deadline", do="save", **fields)
    html = await response.text()
    assert 'id="needs-publish"' in html
    assert (
        "材料最晚哪天要交齐" in load_knowledge(config.knowledge_dir).faq_entry("deadline").similar
    )
    assert [e.action for e in store.unpublished(config.database_url)] == [store.EDIT_TRAINING]


async def test_a_refused_edit_keeps_what_was_typed_and_marks_the_field(staff, config):
    before = (config.knowledge_dir / "faq.yml").read_bytes()
    fields = faq_fields(config, "deadline")
    fields["answer"] = "请于{deadline_typo}前报送（这段文字要留在表单里）"
    response = await submit(staff, "/knowledge/faq/deadline", do="save", **fields)
    html = await response.text()
    assert response.status == 422 and "没有保存" in html and "deadline_typo" in html
    assert "（这段文字要留在表单里）" in html
    assert 'class="field-bad" id="field-answer"' in html
    assert "python -m bot" not in html  # no advice that needs the server
    assert 'id="names"' in html and "{deadline}" in html  # the names it may use, on the page
    assert (config.knowledge_dir / "faq.yml").read_bytes() == before
    assert store.recent(1, config.database_url)[0].ok is False


async def test_a_fixed_reply_and_a_not_in_notice_topic(staff, config):
    text = load_knowledge(config.knowledge_dir).message("welcome")
    response = await submit(staff, "/knowledge/message/welcome", do="save", text="您好！" + text)
    assert 'id="saved"' in await response.text()
    assert load_knowledge(config.knowledge_dir).message("welcome").startswith("您好！")
    topic = load_knowledge(config.knowledge_dir).not_in_notice.topics[0]
    response = await submit(
        staff,
        f"/knowledge/silent/{topic.id}",
        do="save",
        name=topic.name,
        keywords="\n".join([*topic.keywords, "手续费"]),
        examples="\n".join(topic.examples),
    )
    assert 'id="saved"' in await response.text()
    assert "手续费" in load_knowledge(config.knowledge_dir).not_in_notice.topics[0].keywords


async def test_a_draft_is_tried_without_being_saved(staff, config):
    before = (config.knowledge_dir / "faq.yml").read_bytes()
    fields = faq_fields(config, "submission_address")
    fields["answer"] = fields["answer"].replace(ADDRESS, "报至{submission_window}（草稿），地址")
    with serving("draft-token") as url:
        config.rasa_url, config.rasa_token = url, "draft-token"
        config.today = dt.date(2021, 11, 20)
        response = await submit(
            staff, "/knowledge/faq/submission_address", do="try", **fields,
            **{"try": "材料交到哪里"},
        )  # fmt: skip
    html = await response.text()
    assert 'id="draft"' in html and "（草稿）" in html and 'class="card answer"' in html
    assert (config.knowledge_dir / "faq.yml").read_bytes() == before


@pytest.mark.parametrize(
    "path", ["/knowledge/faq/no_such_entry", "/knowledge/nothing/deadline", "/knowledge/faq/../x"]
)
async def test_unknown_items_are_a_400_in_chinese(staff, path):
    response = await staff.get(path)
    assert response.status in (400, 404)
    if response.status == 400:
        assert "没有" in await response.text()


async def test_an_editor_edits_but_cannot_publish(client, config):
    from tests.bot.console.conftest import log_in

    store.add_user("editor.wu", "editor password", config.database_url, role=store.EDITOR)
    assert (await log_in(client, "editor.wu", "editor password")).status == 303
    assert (await client.get("/knowledge/faq/deadline")).status == 200
    token = await csrf_token(client, "/publish")
    html = await (await client.get("/publish")).text()
    assert 'id="publish"' not in html
    response = await client.post("/publish", data={"csrf": token})
    assert response.status == 403 and "需要“发布”权限" in await response.text()
    assert store.recent(1, config.database_url)[0].action == store.DENIED
