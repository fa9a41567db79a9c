"""账号 in the console (administrators): accounts and their roles, a new account, a new role,
disabling one. Every change is audited; a changed account logs in again."""

from __future__ import annotations

from aiohttp import web

from bot.console import store
from bot.console.web import CONFIG, db, needs, render, row_id


@needs(store.ADMIN)
async def accounts_page(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    result = None
    if request.query.get("result"):
        wanted = row_id(request.query["result"], "结果编号")
        entries = await db(store.recent, 50, config.database_url)
        result = next((e for e in entries if e.id == wanted), None)
    accounts = await db(store.accounts, config.database_url)
    return render(request, "accounts.html", accounts=accounts, roles=store.ROLES, result=result)


@needs(store.ADMIN)
async def accounts_submit(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]
    form = request["form"]
    username = str(form.get("username") or "").strip()[:64]
    role = str(form.get("role") or "") or None
    change = str(form.get("change") or "")
    try:
        if change == "add":
            new = await db(
                store.add_user, username, str(form.get("password") or ""), config.database_url, role
            )
            detail = ("新建账号" if new else "重设密码") + (f"，角色 {role}" if role else "")
        elif username == request["user"]:
            raise store.AccountError("不能修改自己的角色或停用自己（请让另一位管理员操作）")
        else:
            disabled = {"disable": True, "enable": False}.get(change)
            wanted_role = role if change == "role" else None
            detail = await db(store.set_role, username, wanted_role, disabled, config.database_url)
            detail = detail or "没有变化"
        ok = True
    except store.AccountError as exc:
        detail, ok = str(exc), False
    entry = await db(
        store.record, request["user"], store.ACCOUNT, username or "?", detail, ok,
        config.database_url,
    )  # fmt: skip
    raise web.HTTPSeeOther(f"/accounts?result={entry}#result")
