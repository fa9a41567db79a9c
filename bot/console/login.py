"""Log-in and log-out: attempts limited per name and per address, every attempt audited."""

from __future__ import annotations

from aiohttp import web

from bot.console import store
from bot.console.auth import BLOCKED, LOCKED_NOW
from bot.console.web import CONFIG, SESSIONS, client_ip, db, render, set_session

LOCKED_OUT = "尝试次数过多，请 15 分钟后再试。"


async def login_page(request: web.Request) -> web.Response:
    if request.get("user"):
        raise web.HTTPSeeOther("/report")
    return render(request, "login.html")


async def login(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]
    form = request["form"]
    username = str(form.get("username") or "").strip()[:64]
    password = str(form.get("password") or "")
    ip = client_ip(request)
    # counted before the (slow) password check: parallel tries cannot pass the limit
    verdict = config.limits.attempt(ip, username)
    if verdict == BLOCKED:
        await db(
            store.record,
            username or "?",
            store.LOGIN_FAILED,
            ip,
            "rate limited",
            False,
            config.database_url,
        )
        return render(request, "login.html", status=429, error=LOCKED_OUT, username=username)
    if not username or not await db(store.verify, username, password, config.database_url):
        await db(
            store.record, username or "?", store.LOGIN_FAILED, ip, "", False, config.database_url
        )
        if verdict == LOCKED_NOW:
            await db(
                store.record,
                username or "?",
                store.LOCKOUT,
                ip,
                "15 分钟内不再检查这个用户名（或这个地址）的密码",
                False,
                config.database_url,
            )
        return render(
            request, "login.html", status=401, error="用户名或密码不正确。", username=username
        )
    config.limits.succeed(ip, username)
    await db(store.record, username, store.LOGIN, ip, "", True, config.database_url)
    response = web.HTTPSeeOther("/report")
    set_session(request, response, request.app[SESSIONS].new(username))  # fresh CSRF token
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]
    await db(store.end_sessions, request["user"], config.database_url)
    await db(store.record, request["user"], store.LOGOUT, "", "", True, config.database_url)
    response = web.HTTPSeeOther("/login")
    set_session(request, response, request.app[SESSIONS].new())
    raise response


async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/report")
