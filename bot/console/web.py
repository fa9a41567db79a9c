"""What every console page shares: configuration, the security middleware (session, role,
CSRF, headers), rendering, the client's address and validated query parameters."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional, Sequence, Tuple

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.console import store
from bot.console.auth import (
    COOKIE,
    SESSION_SECONDS,
    LoginLimits,
    Session,
    Sessions,
    client_address,
    csrf_ok,
    parse_networks,
)
from bot.console.publisher import PUBLISH_COMMAND, Publisher
from bot.questionlog.stats import CHINA, channel_label, local_time, percent
from bot.settings import BUILD_DIR, get_settings

HERE = Path(__file__).resolve().parent
MAX_DAYS = 400
# dates the report can be asked for: anything else is a typing slip (400), not a query
FIRST_DATE = dt.date(2000, 1, 1)
FUTURE_DAYS = 366
# row ids are 64-bit integers in every database the question log runs on
MAX_ROW_ID = 2**63 - 1

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# a parser of questions for the test chat: questions → Rasa parse results (bot.ops.preview)
Parse = Callable[[Sequence[str]], list]


@dataclass
class ConsoleConfig:
    database_url: Optional[str]
    knowledge_dir: Path
    secret: str
    secure_cookies: bool = False
    retention_days: int = 180
    publish_command: Sequence[str] = PUBLISH_COMMAND
    publish_log: Optional[Path] = None
    limits: LoginLimits = field(default_factory=LoginLimits)
    trusted_proxies: str = ""  # TRUSTED_PROXIES: addresses / CIDRs whose X-Forwarded-For counts
    # the test chat's parser (None: the running assistant's NLU over Rasa's HTTP API)
    parse: Optional[Parse] = None
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = ""
    today: Optional[dt.date] = None  # BOT_TODAY, for the test chat's deadline wording

    @classmethod
    def from_settings(cls) -> ConsoleConfig:
        settings = get_settings()
        return cls(
            database_url=settings.effective_database_url(),
            knowledge_dir=settings.knowledge_dir,
            secret=settings.effective_console_secret(),
            secure_cookies=settings.console_secure_cookies,
            retention_days=settings.retention_days,
            publish_log=BUILD_DIR / "console-publish.log",
            trusted_proxies=settings.trusted_proxies or "",
            rasa_url=f"http://127.0.0.1:{settings.port}",
            rasa_token=settings.effective_rasa_api_token(),
            today=settings.today,
        )


CONFIG = web.AppKey("config", ConsoleConfig)
SESSIONS = web.AppKey("sessions", Sessions)
TEMPLATES = web.AppKey("templates", Environment)
PUBLISHER = web.AppKey("publisher", Publisher)
TRUSTED = web.AppKey("trusted", list)

PUBLIC = {"/login"}


def today_china() -> dt.date:
    return dt.datetime.now(CHINA).date()


def china_time(value: dt.datetime) -> str:
    return local_time(value).strftime("%Y-%m-%d %H:%M")


def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["china_time"] = china_time
    env.filters["percent"] = percent
    env.filters["channel"] = channel_label
    env.globals["role_labels"] = store.ROLE_LABELS
    return env


def new_app(config: ConsoleConfig) -> web.Application:
    app = web.Application(middlewares=[security, bad_queries], client_max_size=256 * 1024)
    app[CONFIG] = config
    app[SESSIONS] = Sessions(config.secret)
    app[TEMPLATES] = templates()
    app[PUBLISHER] = Publisher(config.publish_command, log=config.publish_log)
    app[TRUSTED] = parse_networks(config.trusted_proxies)
    return app


# -- sessions, authentication, roles, CSRF ----------------------------------------------------


def _session(request: web.Request) -> Optional[Session]:
    return request.app[SESSIONS].load(request.cookies.get(COOKIE))


def set_session(request: web.Request, response: web.StreamResponse, session: Session) -> None:
    response.set_cookie(
        COOKIE,
        request.app[SESSIONS].dump(session),
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.app[CONFIG].secure_cookies,
    )


async def db(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Blocking database / file work off the event loop."""
    return await asyncio.to_thread(function, *args, **kwargs)


@web.middleware
async def security(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Log-in required everywhere but /login; a CSRF token on every POST; safe headers."""
    nonce = secrets.token_urlsafe(16)
    request["nonce"] = nonce
    session = _session(request)
    user = role = None
    if session is not None and session.user:
        config = request.app[CONFIG]
        role = await db(store.active_role, session.user, session.issued, config.database_url)
        user = session.user if role else None
    # a first visit gets a session (no user) at once, so the log-in form carries a CSRF token
    request["session"] = session or request.app[SESSIONS].new()
    request["user"] = user
    request["role"] = role
    try:
        if request.method == "POST":
            form = await request.post()
            request["form"] = form
            if not csrf_ok(session, form.get("csrf")):
                raise web.HTTPForbidden(
                    text="CSRF token missing or invalid / 表单已失效，请刷新页面后重试"
                )
        if user is None and request.path not in PUBLIC:
            if request.method == "POST":
                raise web.HTTPForbidden(text="login required / 请先登录")
            raise web.HTTPSeeOther("/login")
        response = await handler(request)
    except web.HTTPException as exc:
        finish(request, exc, session, nonce)
        raise
    finish(request, response, session, nonce)
    return response


def needs(role: str) -> Callable[[Handler], Handler]:
    """Only accounts with ``role`` (or a higher one) may use the page; a refusal is audited."""

    def wrap(handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            if not store.may(request.get("role"), role):
                config = request.app[CONFIG]
                await db(
                    store.record,
                    request["user"],
                    store.DENIED,
                    f"{request.method} {request.path}",
                    f"需要“{store.ROLE_LABELS[role]}”权限",
                    False,
                    config.database_url,
                )
                return render(
                    request,
                    "denied.html",
                    status=403,
                    needed=store.ROLE_LABELS[role],
                )
            return await handler(request)

        guarded.__name__ = handler.__name__
        guarded.__doc__ = handler.__doc__
        return guarded

    return wrap


def finish(
    request: web.Request, response: web.StreamResponse, session: Optional[Session], nonce: str
) -> None:
    """Headers of every answer; a first visit gets a session with a CSRF token."""
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    if session is None and COOKIE not in response.cookies and not response.prepared:
        set_session(request, response, request["session"])


def render(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
    session: Optional[Session] = request.get("session")
    role = request.get("role")
    context.update(
        user=request.get("user"),
        role=role,
        may=lambda wanted: store.may(role, wanted),
        csrf=session.csrf if session else "",
        nonce=request["nonce"],
        path=request.path,
    )
    text = request.app[TEMPLATES].get_template(name).render(**context)
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def client_ip(request: web.Request) -> str:
    """The client's address: X-Forwarded-For counts only when it comes from a trusted proxy."""
    return client_address(
        request.remote, request.headers.getall("X-Forwarded-For", []), request.app[TRUSTED]
    )


# advice in kb check's messages that needs a terminal on the server → what to do on the page
SERVER_ADVICE = (
    ("（可用名称见 `python -m bot kb facts`）", "（可以用的名称见表单下方“可以用的 {名称}”）"),
)


def for_the_page(problem: object) -> str:
    """A knowledge-check problem worded for the console (no server commands)."""
    text = str(problem)
    for advice, instead in SERVER_ADVICE:
        text = text.replace(advice, instead)
    return text


# -- query parameters: anything out of range is a 400 with a reason in Chinese ------------------


class BadQuery(ValueError):
    """A query parameter staff (or a fuzzer) typed that the console cannot use."""


def bad_request(request: web.Request, problem: str) -> web.Response:
    return render(request, "bad_request.html", status=400, problem=problem)


def parse_date(text: str, name: str) -> dt.date:
    try:
        value = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise BadQuery(
            f"{name}“{text[:40]}”日期格式不对，应为 YYYY-MM-DD，例如 2026-11-30。"
        ) from exc
    last = today_china() + dt.timedelta(days=FUTURE_DAYS)
    if not FIRST_DATE <= value <= last:
        raise BadQuery(
            f"{name} {value.isoformat()} 超出范围：请选 {FIRST_DATE} 至 {last} 之间的日期。"
        )
    return value


def date_range(request: web.Request, default_days: int) -> Tuple[dt.date, dt.date, Optional[str]]:
    """(since, until, note) from ?since=&until= (China dates, inclusive); ``BadQuery`` when a
    date is malformed or out of range."""
    until = today_china()
    if request.query.get("until"):
        until = parse_date(request.query["until"], "截止日期")
    since = until - dt.timedelta(days=default_days - 1)
    if request.query.get("since"):
        since = parse_date(request.query["since"], "起始日期")
    since = max(since, FIRST_DATE)
    if since > until:
        return until, until, "起始日期晚于截止日期，已改为只看截止日期当天。"
    if (until - since).days >= MAX_DAYS:
        return until - dt.timedelta(days=MAX_DAYS - 1), until, f"区间最长 {MAX_DAYS} 天。"
    return since, until, None


def row_id(text: str, name: str = "编号") -> int:
    """A database row id from the path or query; ``BadQuery`` when it cannot be one."""
    if not text.isascii() or not text.isdigit() or len(text) > 19 or int(text) > MAX_ROW_ID:
        raise BadQuery(f"{name}“{text[:40]}”不存在：应为不超过 {MAX_ROW_ID} 的正整数。")
    return int(text)


@web.middleware
async def bad_queries(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BadQuery as exc:
        return bad_request(request, str(exc))
