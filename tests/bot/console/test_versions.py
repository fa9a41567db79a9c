"""历史版本 in the console: versions with names and Beijing times, a diff, revert (publishers
only), marked for publishing when the questions differ."""

from __future__ import annotations

from bot.console import store
from bot.kb.edit import AddSimilar, apply_edits
from bot.kb.history import History
from bot.kb.load import load_knowledge
from tests.bot.console.conftest import csrf_token, log_in


def add_a_question(config):
    edit = AddSimilar("deadline", ["最晚哪天交材料呢"])
    assert apply_edits(config.knowledge_dir, [edit], by="wang.fang").written


async def test_versions_their_diff_and_a_revert_that_needs_publishing(staff, config):
    add_a_question(config)
    versions = History.for_folder(config.knowledge_dir).versions(config.knowledge_dir)
    first, latest = versions[0].version, versions[-1].version
    html = await (await staff.get("/history")).text()
    assert f'id="version-{latest}"' in html and "wang.fang" in html and "当前" in html
    assert "最晚哪天交材料呢" in html
    diff = await (await staff.get(f"/history/{latest}")).text()
    assert '<div class="add">+' in diff and "最晚哪天交材料呢" in diff
    token = await csrf_token(staff, "/history")
    response = await staff.post(f"/history/{first}/revert", data={"csrf": token})
    html = await response.text()
    assert 'id="result"' in html and "已完成" in html and 'id="revert-needs-publish"' in html
    assert (
        "最晚哪天交材料呢" not in load_knowledge(config.knowledge_dir).faq_entry("deadline").similar
    )
    newest = History.for_folder(config.knowledge_dir).versions(config.knowledge_dir)[-1]
    assert newest.by == "li.ming" and newest.action == "revert"
    assert [e.action for e in store.unpublished(config.database_url)] == [store.REVERT_TRAINING]


async def test_unknown_versions_and_editors(client, config):
    store.add_user("editor.wu", "editor password", config.database_url, role=store.EDITOR)
    await log_in(client, "editor.wu", "editor password")
    assert (await client.get("/history/999999")).status == 404
    assert (await client.get("/history/99999999999999999999999")).status == 400
    token = await csrf_token(client, "/history")
    response = await client.post("/history/1/revert", data={"csrf": token})
    assert response.status == 403
