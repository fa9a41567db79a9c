"""The console's pages (aiohttp + Jinja2). Every route but the log-in page needs a session.

Reading: the report (``bot.questionlog.stats.compute`` → ``bot.questionlog.report`` sections
and charts, the same as ``python -m bot report``), the review queue (grouped as ``review
export`` does), one sender's conversation. Changing: review decisions through
``bot.kb.edit.apply_edits`` (the spreadsheet import's validated write), publishing through
``python -m bot publish``. Every change and log-in is written to the audit table.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import select

from bot.console import store
from bot.console.auth import COOKIE, SESSION_SECONDS, LoginLimits, Session, Sessions, csrf_ok
from bot.console.publisher import PUBLISH_COMMAND, Publisher, PublishJob
from bot.kb.edit import AddSimilar, MarkNotInNotice, NewFaq, apply_edits
from bot.kb.load import load_knowledge
from bot.questionlog.db import session_scope
from bot.questionlog.models import QuestionLogEntry
from bot.questionlog.report import (
    TOP_TOPICS,
    bar_chart,
    hbar_chart,
    headline_kpis,
    rate,
    render_csv,
    sections,
    write_xlsx,
)
from bot.questionlog.similarity import jaccard, shingles
from bot.questionlog.stats import (
    CATEGORY_LABELS,
    CHINA,
    FaqLabels,
    channel_label,
    compute,
    load_rows,
    local_time,
    percent,
    unanswered_by_category,
)
from bot.settings import BUILD_DIR, get_settings

HERE = Path(__file__).resolve().parent
MAX_DAYS = 400
SHOWN_GROUPS = 100  # pending groups on one review page, most frequent first
NEAREST = 3
ID = re.compile(r"^[a-z][a-z0-9_]{1,63}$")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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
        )


CONFIG = web.AppKey("config", ConsoleConfig)
SESSIONS = web.AppKey("sessions", Sessions)
TEMPLATES = web.AppKey("templates", Environment)
PUBLISHER = web.AppKey("publisher", Publisher)

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
    return env


# -- sessions, authentication, CSRF ----------------------------------------------------------


def _session(request: web.Request) -> Optional[Session]:
    return request.app[SESSIONS].load(request.cookies.get(COOKIE))


def _set_session(request: web.Request, response: web.StreamResponse, session: Session) -> None:
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
    user = None
    if session is not None and session.user:
        config = request.app[CONFIG]
        if await db(store.is_active, session.user, session.issued, config.database_url):
            user = session.user
    # a first visit gets a session (no user) at once, so the log-in form carries a CSRF token
    request["session"] = session or request.app[SESSIONS].new()
    request["user"] = user
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
        _set_session(request, response, request["session"])


def render(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
    session: Optional[Session] = request.get("session")
    context.update(
        user=request.get("user"),
        csrf=session.csrf if session else "",
        nonce=request["nonce"],
        path=request.path,
    )
    text = request.app[TEMPLATES].get_template(name).render(**context)
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def client_ip(request: web.Request) -> str:
    return request.remote or "unknown"


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
    if config.limits.blocked(ip, username):
        await db(
            store.record,
            username or "?",
            store.LOGIN_FAILED,
            ip,
            "rate limited",
            False,
            config.database_url,
        )
        return render(
            request,
            "login.html",
            status=429,
            error="尝试次数过多，请 15 分钟后再试。",
            username=username,
        )
    if not username or not await db(store.verify, username, password, config.database_url):
        config.limits.fail(ip, username)
        await db(
            store.record, username or "?", store.LOGIN_FAILED, ip, "", False, config.database_url
        )
        return render(
            request, "login.html", status=401, error="用户名或密码不正确。", username=username
        )
    config.limits.succeed(username)
    await db(store.record, username, store.LOGIN, ip, "", True, config.database_url)
    response = web.HTTPSeeOther("/report")
    _set_session(request, response, request.app[SESSIONS].new(username))  # fresh CSRF token
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]
    await db(store.end_sessions, request["user"], config.database_url)
    await db(store.record, request["user"], store.LOGOUT, "", "", True, config.database_url)
    response = web.HTTPSeeOther("/login")
    _set_session(request, response, request.app[SESSIONS].new())
    raise response


async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/report")


# -- the report --------------------------------------------------------------------------------


def date_range(request: web.Request, default_days: int) -> Tuple[dt.date, dt.date, Optional[str]]:
    """(since, until, problem) from ?since=&until= (China dates, inclusive)."""
    until = today_china()
    since = until - dt.timedelta(days=default_days - 1)
    try:
        if request.query.get("until"):
            until = dt.date.fromisoformat(request.query["until"])
        if request.query.get("since"):
            since = dt.date.fromisoformat(request.query["since"])
        else:
            since = until - dt.timedelta(days=default_days - 1)
    except ValueError:
        return since, until, "日期格式应为 YYYY-MM-DD。"
    if since > until:
        return until, until, "起始日期晚于截止日期，已改为只看截止日期当天。"
    if (until - since).days >= MAX_DAYS:
        return until - dt.timedelta(days=MAX_DAYS - 1), until, f"区间最长 {MAX_DAYS} 天。"
    return since, until, None


def build_report(config: ConsoleConfig, since: dt.date, until: dt.date):
    rows = load_rows(since, until, config.database_url)
    return compute(rows, since, until, FaqLabels.from_knowledge(config.knowledge_dir))


# charts drawn above the tables of these sections (by title); every other section, such as
# ones added to bot/questionlog/report.py later, is shown as its table
def _charts(report) -> Dict[str, str]:
    every_day = max(1, len(report.per_day) // 10)
    return {
        "每日消息数": bar_chart(
            [d.strftime("%m-%d") for d, _ in report.per_day],
            [n for _, n in report.per_day],
            "每日消息数",
            every_day,
        ),
        "每小时消息数（北京时间）": bar_chart(
            [str(h) for h in range(24)], report.per_hour, "每小时消息数", 2
        ),
        "渠道": hbar_chart([(channel_label(c), n) for c, n in report.channels], "渠道"),
        "热门问题": hbar_chart([(q, n) for _, q, n in report.topics[:10]], "热门问题"),
    }


async def report_page(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    since, until, problem = date_range(request, 7)
    report = await db(build_report, config, since, until)
    charts = {title: Markup(svg) for title, svg in _charts(report).items()}
    kpis = [
        *headline_kpis(report),
        ("latency-median", "回复耗时中位数（毫秒）", report.latency_median_ms or "—"),
        ("feedback-count", "回答后的反馈", report.feedback_count),
        ("helpful-rate", "有帮助比例", rate(report.helpful_rate) or "—"),
    ]
    return render(
        request,
        "report.html",
        since=since,
        until=until,
        problem=problem,
        report=report,
        kpis=kpis,
        sections=sections(report),
        charts=charts,
        top_topics=TOP_TOPICS,
    )


async def report_download(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]
    fmt = request.match_info["fmt"]
    since, until, _ = date_range(request, 7)
    report = await db(build_report, config, since, until)
    name = f"report-{since.isoformat()}-{until.isoformat()}.{fmt}"
    if fmt == "csv":
        body = ("\ufeff" + render_csv(report)).encode("utf-8")
        content_type = "text/csv; charset=utf-8"
    else:

        def xlsx() -> bytes:
            with tempfile.TemporaryDirectory(prefix="console-") as scratch:
                path = Path(scratch) / name
                write_xlsx(report, path)
                return path.read_bytes()

        body = await db(xlsx)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return web.Response(
        body=body,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


# -- the review queue --------------------------------------------------------------------------


@dataclass
class ReviewGroup:
    number: int
    category: str
    key: str
    count: int
    examples: List[Tuple[str, Optional[int]]]  # (masked text, row id of its latest turn)
    nearest: List[Tuple[str, str, float]]  # (faq id, standard question, similarity)
    decision: Optional[store.Audit] = None


def nearest_topics(
    text: str, labels: FaqLabels, limit: int = NEAREST
) -> List[Tuple[str, str, float]]:
    grams = shingles(text)
    scores = [
        (max((jaccard(grams, shingles(w)) for w in wordings), default=0.0), faq_id)
        for faq_id, wordings in labels.wordings
    ]
    scores.sort(key=lambda item: (-item[0], item[1]))
    return [(faq_id, labels.topic(faq_id), round(score, 2)) for score, faq_id in scores[:limit]]


def review_groups(config: ConsoleConfig, since: dt.date, until: dt.date) -> List[ReviewGroup]:
    labels = FaqLabels.from_knowledge(config.knowledge_dir)
    rows = load_rows(since, until, config.database_url)
    latest: Dict[str, int] = {}
    for row in rows:
        if row.get("text"):
            latest[row["text"]] = row["id"]
    decided = store.decided(config.database_url)
    groups = []
    for number, (category, group) in enumerate(unanswered_by_category(rows), 1):
        groups.append(
            ReviewGroup(
                number=number,
                category=category,
                key=group.key,
                count=group.count,
                examples=[(e, latest.get(e)) for e in group.examples],
                nearest=nearest_topics(group.key, labels),
                decision=decided.get(group.key),
            )
        )
    return groups


def knowledge_choices(config: ConsoleConfig) -> Dict[str, Any]:
    try:
        kb = load_knowledge(config.knowledge_dir)
    except Exception:
        return {"faq": [], "silent": []}
    return {
        "faq": [(e.id, e.question) for e in kb.faq],
        "silent": [(t.id, t.name) for t in (kb.not_in_notice.topics if kb.not_in_notice else [])],
    }


async def review_page(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    since, until, problem = date_range(request, config.retention_days)
    groups = await db(review_groups, config, since, until)
    choices = await db(knowledge_choices, config)
    result = None
    if request.query.get("result", "").isdigit():
        wanted = int(request.query["result"])
        entries = await db(store.recent, 500, config.database_url)
        result = next((e for e in entries if e.id == wanted), None)
    show_done = request.query.get("done") == "1"
    pending = [g for g in groups if g.decision is None]
    done = [g for g in groups if g.decision is not None]
    unpublished = await db(store.unpublished, config.database_url)
    return render(
        request,
        "review.html",
        since=since,
        until=until,
        problem=problem,
        pending=pending[:SHOWN_GROUPS],
        pending_count=len(pending),
        done=done,
        show_done=show_done,
        choices=choices,
        result=result,
        unpublished=unpublished,
    )


def _lines(value: Any) -> List[str]:
    text = str(value or "").replace("\r", "\n")
    return [line.strip() for line in re.split(r"[\n,，、;；]", text) if line.strip()]


def decision_edits(action: str, form: Any) -> Tuple[List[object], List[str]]:
    """(edits for bot.kb.edit, problems with the form) for one review decision."""
    questions = _lines(form.get("questions"))
    faq_id = str(form.get("faq_id") or "").strip()
    if action == store.ADD_SIMILAR:
        if not faq_id:
            return [], ["请选择要加入的问答"]
        if not questions:
            return [], ["“要加入的问法”是空的"]
        return [AddSimilar(faq_id, questions)], []
    if action == store.NEW_FAQ:
        question = str(form.get("question") or "").strip()
        answer = str(form.get("answer") or "").strip()
        clause = str(form.get("clause") or "").strip()
        problems = [
            f"请填写{name}"
            for name, value in (
                ("问答ID", faq_id),
                ("标准问", question),
                ("回答", answer),
                ("出处条款", clause),
            )
            if not value
        ]
        if faq_id and not ID.match(faq_id):
            problems.append(
                "问答ID 只能用小写英文字母、数字和下划线，并以字母开头，例如 parking_info"
            )
        if problems:
            return [], problems
        return [
            NewFaq(faq_id, question, answer, clause, [q for q in questions if q != question])
        ], []
    if action == store.NOT_IN_NOTICE:
        topic_id = str(form.get("topic_id") or "").strip()
        if topic_id == "__new__":
            topic_id = str(form.get("new_topic_id") or "").strip()
        name = str(form.get("name") or "").strip()
        keywords = _lines(form.get("keywords"))
        problems = []
        if not ID.match(topic_id):
            problems.append("事项ID 只能用小写英文字母、数字和下划线，并以字母开头，例如 parking")
        if not keywords:
            problems.append("请至少填写一个关键词（提问中出现它，助手就说明通知未涉及）")
        if problems:
            return [], problems
        return [MarkNotInNotice(topic_id, name or topic_id, keywords, questions)], []
    return [], [f"无法识别的处理方式：{action}"]


async def decide(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]
    form = request["form"]
    user = request["user"]
    action = str(form.get("action") or "")
    key = str(form.get("key") or "").strip()
    back = {"since": str(form.get("since") or ""), "until": str(form.get("until") or "")}
    if action not in store.DECISIONS or not key:
        raise web.HTTPBadRequest(text="bad decision")
    if action == store.IGNORE:
        note = str(form.get("note") or "").strip()[:500]
        entry = await db(
            store.record,
            user,
            action,
            key,
            json.dumps({"changes": [f"忽略。{note}".strip()]}, ensure_ascii=False),
            True,
            config.database_url,
        )
    else:
        edits, problems = decision_edits(action, form)
        changes: List[str] = []
        skipped: List[str] = []
        if not problems:
            result = await db(
                apply_edits, config.knowledge_dir, edits, by=user, action=f"console {action}"
            )
            changes, skipped = result.changes, result.skipped
            problems = [str(p) for p in result.problems]
            if not result.written and not problems:
                problems = ["没有新的内容需要写入，知识库未改动。"] + skipped
        detail = json.dumps(
            {"changes": changes, "skipped": skipped, "problems": problems}, ensure_ascii=False
        )
        entry = await db(store.record, user, action, key, detail, not problems, config.database_url)
    query = "&".join(f"{k}={v}" for k, v in back.items() if re.match(r"^\d{4}-\d{2}-\d{2}$", v))
    raise web.HTTPSeeOther(f"/review?{query}&result={entry}#result")


# -- one conversation --------------------------------------------------------------------------


def conversation_rows(config: ConsoleConfig, row_id: int) -> Tuple[Optional[dict], List[dict]]:
    with session_scope(config.database_url) as session:
        row = session.get(QuestionLogEntry, row_id)
        if row is None:
            return None, []
        turns = session.execute(
            select(QuestionLogEntry)
            .where(QuestionLogEntry.sender_id == row.sender_id)
            .order_by(QuestionLogEntry.created_at, QuestionLogEntry.id)
            .limit(500)
        ).scalars()
        # the sender's pseudonymous id stays on the server: never shown, never in a URL
        fields = (
            "id",
            "created_at",
            "channel",
            "text",
            "reply",
            "topic",
            "selfcheck_event",
            "feedback",
        )
        return {f: getattr(row, f) for f in fields}, [
            {f: getattr(t, f) for f in fields} for t in turns
        ]


async def conversation(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    try:
        row_id = int(request.match_info["row_id"])
    except ValueError as exc:
        raise web.HTTPNotFound() from exc
    row, turns = await db(conversation_rows, config, row_id)
    if row is None:
        raise web.HTTPNotFound(text="no such question")
    labels = await db(FaqLabels.from_knowledge, config.knowledge_dir)
    return render(
        request,
        "conversation.html",
        row=row,
        turns=turns,
        labels=labels,
        categories=CATEGORY_LABELS,
    )


# -- publishing and the audit log --------------------------------------------------------------


async def publish_page(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    unpublished = await db(store.unpublished, config.database_url)
    job = request.app[PUBLISHER].job
    return render(request, "publish.html", unpublished=unpublished, job=job)


async def publish(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]
    user = request["user"]
    unpublished = await db(store.unpublished, config.database_url)
    start_id = await db(
        store.record,
        user,
        store.PUBLISH,
        "",
        f"{len(unpublished)} 项修改",
        True,
        config.database_url,
    )

    def done(job: PublishJob) -> None:
        tail = "\n".join(job.lines[-20:])
        store.record(
            job.started_by,
            store.PUBLISH_DONE,
            str(start_id),
            f"退出码 {job.returncode}\n{tail}",
            job.ok,
            config.database_url,
        )

    request.app[PUBLISHER].start(user, done)
    raise web.HTTPSeeOther("/publish")


async def audit_page(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    entries = await db(store.recent, 300, config.database_url)
    return render(request, "audit.html", entries=entries)


def create_app(config: ConsoleConfig) -> web.Application:
    app = web.Application(middlewares=[security], client_max_size=256 * 1024)
    app[CONFIG] = config
    app[SESSIONS] = Sessions(config.secret)
    app[TEMPLATES] = templates()
    app[PUBLISHER] = Publisher(config.publish_command, log=config.publish_log)
    app.router.add_get("/", home)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/report", report_page)
    app.router.add_get(r"/report.{fmt:(xlsx|csv)}", report_download)
    app.router.add_get("/review", review_page)
    app.router.add_post("/review/decide", decide)
    app.router.add_get(r"/conversation/{row_id:\d+}", conversation)
    app.router.add_get("/publish", publish_page)
    app.router.add_post("/publish", publish)
    app.router.add_get("/audit", audit_page)
    return app


def run(config: ConsoleConfig, host: str, port: int) -> None:
    """Serve the console until interrupted."""
    web.run_app(create_app(config), host=host, port=port, print=None, access_log=None)
