"""账号 in the console: administrators add accounts and change roles, audited; others cannot."""

from __future__ import annotations

from bot.console import store
from tests.bot.console.conftest import USER, csrf_token, log_in


async def post(client, **fields):
    token = await csrf_token(client, "/report")
    return await client.post("/accounts", data={"csrf": token, **fields})


async def test_an_administrator_manages_accounts(staff, config):
    html = await (await post(
        staff, change="add", username="wu.min", password="a long password", role="editor"
    )).text()  # fmt: skip
    assert 'id="result"' in html and "新建账号" in html and "wu.min" in html
    html = await (await post(staff, change="role", username="wu.min", role="publisher")).text()
    assert "角色 编辑 → 发布" in html
    html = await (await post(staff, change="disable", username="wu.min")).text()
    assert "停用" in html and not store.is_active("wu.min", url=config.database_url)
    html = await (await post(staff, change="role", username=USER, role="editor")).text()
    assert "不能修改自己" in html  # an administrator cannot lock himself out
    html = await (await post(staff, change="add", username="x", password="short")).text()
    assert "用户名只能用" in html
    actions = [(e.action, e.ok) for e in store.recent(5, config.database_url)]
    assert actions[0] == (store.ACCOUNT, False) and (store.ACCOUNT, True) in actions


async def test_others_see_no_accounts(client, config):
    store.add_user("pub.li", "publisher pw!", config.database_url, role=store.PUBLISHER)
    await log_in(client, "pub.li", "publisher pw!")
    assert 'href="/accounts"' not in await (await client.get("/report")).text()
    assert (await client.get("/accounts")).status == 403
    assert (
        await post(client, change="add", username="y.z", password="long password")
    ).status == 403
