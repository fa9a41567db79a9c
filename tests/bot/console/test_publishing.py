"""Publishing from the console: stages with elapsed and remaining time while it runs, a plain
summary at the end, who and why in the audit log and the history command line."""

from __future__ import annotations

import asyncio

from bot.console import store
from bot.console.app import PUBLISHER
from tests.bot.console.conftest import USER, csrf_of


async def start(staff, note="加了停车相关问法"):
    page = await (await staff.get("/publish")).text()
    response = await staff.post(
        "/publish", data={"csrf": csrf_of(page), "note": note}, allow_redirects=False
    )
    assert response.status == 303
    return staff.server.app[PUBLISHER]


async def test_progress_is_live_on_the_page_and_ends_in_a_summary(
    staff, config, tmp_path, monkeypatch
):
    go = tmp_path / "go"
    monkeypatch.setenv("FAKE_PUBLISH_GO", str(go))
    store.record(USER, store.ADD_SIMILAR, "k", "{}", True, config.database_url)
    publisher = await start(staff)
    for _ in range(500):  # until the fake reaches training (it waits there for "go")
        page = await (await staff.get("/publish")).text()
        if 'class="stage running"><b>训练新模型' in page:
            break
        await asyncio.sleep(0.02)
    assert 'http-equiv="refresh"' in page and 'id="remaining"' in page
    assert "<progress" in page and "约剩" in page
    assert 'class="stage done"><b>检查知识库' in page
    assert 'class="stage waiting"><b>加载新模型' in page
    assert "加了停车相关问法" in page
    go.touch()
    await asyncio.to_thread(publisher.wait, 30)
    page = await (await staff.get("/publish")).text()
    assert 'id="publish-result"' in page and "发布成功：助手已改用新模型回答" in page
    assert "http-equiv" not in page and "没有尚未发布的修改" in page
    assert "--by li.ming --note 加了停车相关问法" in page  # passed on to publish (history)
    actions = [e.action for e in store.recent(url=config.database_url)]
    assert actions[:2] == [store.PUBLISH_DONE, store.PUBLISH]
    done = store.recent(1, config.database_url)[0]
    assert done.ok and done.lines[0].startswith("发布成功")
    assert "说明：加了停车相关问法" in store.recent(2, config.database_url)[1].detail
    # the durations measured here estimate the next publish
    assert config.publish_log.with_name("publish-durations.json").is_file()


async def test_a_failed_publish_says_why_in_plain_words(staff, config, monkeypatch):
    monkeypatch.setenv("FAKE_PUBLISH_FAIL", "1")
    publisher = await start(staff, note="")
    await asyncio.to_thread(publisher.wait, 30)
    page = await (await staff.get("/publish")).text()
    assert "发布没有完成：新模型只答对了 3/40 个标准问" in page
    assert "助手继续使用原来的模型" in page
    assert 'class="stage skipped"><b>加载新模型' in page
    assert store.recent(1, config.database_url)[0].ok is False
