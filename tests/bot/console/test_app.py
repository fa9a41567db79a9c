"""The console over HTTP (aiohttp's test server): access, CSRF, report, review, conversation,
publish."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from bot.console import store
from bot.console.app import create_app
from bot.console.auth import COOKIE
from bot.kb.load import load_knowledge
from bot.questionlog.stats import compute, load_rows
from bot.questionlog.store import write_rows
from tests.bot.console.conftest import PASSWORD, USER, csrf_of, csrf_token, log_in
from tests.support.question_log import make_row
from tests.support.question_log_seed import SINCE, TOTAL, UNTIL, T

BACK = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}
RANGE = f"since={SINCE.isoformat()}&until={UNTIL.isoformat()}"


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "1", re.sub(r"\{fmt[^}]*\}", "xlsx", path))


def routes(config):
    """Every (method, path) the app serves, dynamic parts filled in."""
    app = create_app(config)
    found = []
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        info = route.resource.get_info()
        path = info.get("path") or info.get("formatter")
        found.append((route.method, concrete(path)))
    return sorted(set(found))


async def test_every_route_but_login_needs_a_session(client, config):
    served = routes(config)
    assert len(served) >= 12
    for method, path in served:
        response = await client.request(method, path, allow_redirects=False)
        if path == "/login" and method == "GET":
            assert response.status == 200
        elif method == "GET":
            assert response.status == 303, path
            assert response.headers["Location"] == "/login"
        else:  # a POST without a session has no CSRF token either
            assert response.status == 403, path
    for path in ("/report.xlsx?" + RANGE, "/conversation/1", "/nonexistent", "/static/x"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303, path


async def test_login_sets_a_signed_httponly_strict_cookie(client):
    response = await log_in(client)
    assert response.status == 303 and response.headers["Location"] == "/report"
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and not cookie["secure"]
    page = await client.get("/report")
    assert page.status == 200 and USER in await page.text()
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


async def test_secure_cookies_when_configured(config):
    config.secure_cookies = True
    from aiohttp.test_utils import TestClient, TestServer

    async with TestClient(TestServer(create_app(config))) as client:
        response = await client.get("/login")
        assert response.cookies[COOKIE]["secure"]


@pytest.mark.parametrize(
    ("username", "password"), [(USER, "wrong password!"), ("nobody", PASSWORD), ("", "")]
)
async def test_wrong_credentials_are_refused_and_recorded(client, config, username, password):
    response = await log_in(client, username, password)
    assert response.status == 401
    assert "用户名或密码不正确" in await response.text()
    assert (await client.get("/report", allow_redirects=False)).status == 303
    failures = [e for e in store.recent(url=config.database_url) if e.action == store.LOGIN_FAILED]
    assert len(failures) == 1


async def test_login_is_rate_limited_per_username(client):
    for _ in range(5):
        assert (await log_in(client, USER, "wrong password!")).status == 401
    response = await log_in(client)  # even the right password, for a while
    assert response.status == 429
    assert "尝试次数过多" in await response.text()


async def test_login_is_rate_limited_per_address(client):
    for number in range(20):
        assert (await log_in(client, f"guess{number}", "wrong password!")).status == 401
    assert (await log_in(client)).status == 429


@pytest.mark.parametrize("token", [None, "", "forged-token"])
async def test_a_post_without_the_sessions_csrf_token_is_refused(staff, config, token):
    data = {
        "action": "ignore",
        "key": "食堂几点开饭",
        **({"csrf": token} if token is not None else {}),
    }
    response = await staff.post("/review/decide", data=data, allow_redirects=False)
    assert response.status == 403
    assert (await staff.post("/publish", data=data, allow_redirects=False)).status == 403
    assert (await staff.post("/logout", data=data, allow_redirects=False)).status == 403
    assert not [e for e in store.recent(url=config.database_url) if e.action == store.IGNORE]


async def test_another_sessions_token_is_refused(client, config):
    from aiohttp.test_utils import TestClient, TestServer

    async with TestClient(TestServer(create_app(config))) as other:
        foreign = csrf_of(await (await other.get("/login")).text())
    await log_in(client)
    response = await client.post(
        "/review/decide", data={"csrf": foreign, "action": "ignore", "key": "x"}
    )
    assert response.status == 403


async def test_a_tampered_session_cookie_is_no_session(staff):
    cookie = staff.session.cookie_jar.filter_cookies(staff.make_url("/"))[COOKIE].value
    staff.session.cookie_jar.update_cookies({COOKIE: cookie[:-2] + "xx"})
    assert (await staff.get("/report", allow_redirects=False)).status == 303


async def test_logout(staff, config):
    token = await csrf_token(staff)
    old = staff.session.cookie_jar.filter_cookies(staff.make_url("/"))[COOKIE].value
    response = await staff.post("/logout", data={"csrf": token}, allow_redirects=False)
    assert response.status == 303
    assert (await staff.get("/report", allow_redirects=False)).status == 303
    staff.session.cookie_jar.update_cookies({COOKIE: old})  # a copy kept from before: void
    assert (await staff.get("/report", allow_redirects=False)).status == 303
    staff.session.cookie_jar.clear()
    assert (await log_in(staff)).status == 303  # logging in again works at once
    assert (await staff.get("/report", allow_redirects=False)).status == 200
    assert [e.action for e in store.recent(url=config.database_url)][1:3] == [
        store.LOGOUT,
        store.LOGIN,
    ]


async def test_report_shows_the_numbers_of_the_range(staff, config):
    page = await staff.get("/report?" + RANGE)
    html = await page.text()
    expected = compute(load_rows(SINCE, UNTIL, config.database_url), SINCE, UNTIL)
    assert f'<b id="total">{TOTAL}</b>' in html
    assert f'<b id="senders">{expected.senders}</b>' in html
    assert 'id="helpful-rate"' in html and 'id="feedback-count"' in html
    for title in ("每日消息数", "每小时消息数（北京时间）", "渠道", "热门问题", "自测选择的方向"):
        assert f"<h2>{title}</h2>" in html
    assert html.count("<svg") == 4
    assert "食堂几点开饭" in html  # the unanswered section
    assert "申报截止" in html or "deadline" in html


@pytest.mark.parametrize(
    ("query", "note"),
    [("since=2026-13-01", "日期格式"), ("since=2026-11-05&until=2026-11-01", "起始日期晚于")],
)
async def test_report_explains_a_bad_range(staff, query, note):
    assert note in await (await staff.get("/report?" + query)).text()


@pytest.mark.parametrize(
    ("path", "note"),
    [
        ("/report?until=9999-12-31", "超出范围"),
        ("/report?since=0001-01-01&until=0001-01-02", "超出范围"),
        ("/report?since=2026-13-01", "日期格式不对"),
        ("/report.csv?until=9999-12-31", "超出范围"),
        ("/review?since=1999-12-31", "超出范围"),
        ("/conversation/99999999999999999999999", "不存在"),
        ("/conversation/9223372036854775808", "不存在"),
    ],
)
async def test_out_of_range_queries_get_400_in_chinese(staff, path, note):
    response = await staff.get(path)
    assert response.status == 400, path
    assert note in await response.text()


async def test_an_unknown_row_is_a_404_in_chinese(staff):
    response = await staff.get("/conversation/9223372036854775807")
    assert response.status == 404 and "没有编号为" in await response.text()


async def test_downloads(staff):
    response = await staff.get("/report.xlsx?" + RANGE)
    assert response.status == 200
    assert "report-2026-11-01-2026-11-03.xlsx" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(await response.read()), read_only=True)
    assert workbook.sheetnames[0] == "概览"
    rows = list(workbook["概览"].iter_rows(values_only=True))
    assert ("消息总数", TOTAL) in rows
    workbook.close()
    response = await staff.get("/report.csv?" + RANGE)
    body = (await response.read()).decode("utf-8")
    assert body.startswith("\ufeff【概览】") and f"消息总数,{TOTAL}" in body


async def review(staff):
    html = await (await staff.get("/review?" + RANGE)).text()
    return html, csrf_of(html)


async def test_review_queue_groups_the_unanswered_with_nearest_topics(staff):
    html, _ = await review(staff)
    assert "食堂几点开饭" in html and "材料交错了能不能补交" in html
    assert 'id="pending-count">2<' in html
    assert "最相近的问答" in html
    assert "/conversation/" in html


async def test_add_similar_goes_through_the_validated_write(staff, config):
    _, token = await review(staff)
    response = await staff.post(
        "/review/decide",
        data={
            "csrf": token,
            "action": "add_similar",
            "key": "材料交错了能不能补交",
            "since": SINCE.isoformat(),
            "until": UNTIL.isoformat(),
            "faq_id": "deadline",
            "questions": "材料交错了还能补交吗",
        },
    )
    html = await response.text()
    assert "已完成" in html and "新增相似问 1 条" in html
    assert (
        "材料交错了还能补交吗" in load_knowledge(config.knowledge_dir).faq_entry("deadline").similar
    )
    assert 'id="pending-count">1<' in html
    assert 'id="unpublished"' in html
    [entry] = [e for e in store.recent(url=config.database_url) if e.action == store.ADD_SIMILAR]
    assert entry.username == USER and entry.ok
    audit = await (await staff.get("/audit")).text()
    assert "加为相似问" in audit and USER in audit


async def test_a_decision_the_check_refuses_changes_nothing(staff, config):
    before = (config.knowledge_dir / "faq.yml").read_text(encoding="utf-8")
    _, token = await review(staff)
    response = await staff.post(
        "/review/decide",
        data={
            "csrf": token,
            **BACK,
            "action": "new_faq",
            "key": "食堂几点开饭",
            "faq_id": "canteen",
            "question": "食堂几点开饭",
            "answer": "请拨打 0731-12345678 咨询。",  # a phone number must be {phone}
            "clause": "四、2",
            "questions": "食堂几点开饭\n食堂开饭时间",
        },
    )
    html = await response.text()
    assert response.status == 422 and "没有处理" in html and "知识库没有改动" in html
    # what was typed is still there, its form open, the refused field marked
    assert "请拨打 0731-12345678 咨询。</textarea>" in html and 'value="canteen"' in html
    assert '<details class="new-faq" open>' in html
    assert '<div class="field-bad"><label>回答' in html
    assert (config.knowledge_dir / "faq.yml").read_text(encoding="utf-8") == before
    assert 'id="pending-count">2<' in html
    [entry] = [e for e in store.recent(url=config.database_url) if e.action == store.NEW_FAQ]
    assert not entry.ok and entry.lines


@pytest.mark.parametrize(
    ("form", "problem"),
    [
        (
            {
                "action": "new_faq",
                "faq_id": "Bad Id",
                "question": "q",
                "answer": "a",
                "clause": "一",
            },
            "问答ID",
        ),
        ({"action": "new_faq"}, "请填写回答"),
        ({"action": "add_similar", "faq_id": "deadline", "questions": ""}, "要加入的问法"),
        ({"action": "not_in_notice", "topic_id": "__new__", "new_topic_id": "x"}, "事项ID"),
        ({"action": "not_in_notice", "topic_id": "fee", "keywords": ""}, "关键词"),
    ],
)
async def test_incomplete_forms_are_explained(staff, form, problem):
    _, token = await review(staff)
    html = await (
        await staff.post(
            "/review/decide", data={"csrf": token, **BACK, "key": "食堂几点开饭", **form}
        )
    ).text()
    assert problem in html and "没有处理" in html


async def test_new_faq_and_not_in_notice_and_ignore(staff, config):
    _, token = await review(staff)
    response = await staff.post(
        "/review/decide",
        data={
            "csrf": token,
            **BACK,
            "action": "not_in_notice",
            "key": "食堂几点开饭",
            "topic_id": "__new__",
            "new_topic_id": "canteen",
            "name": "食堂开饭时间",
            "keywords": "食堂\n开饭",
            "questions": "食堂几点开饭\n请问食堂几点开饭？",
        },
    )
    assert "新建“通知未涉及”事项 canteen" in await response.text()
    topics = load_knowledge(config.knowledge_dir).not_in_notice.topics
    canteen = next(t for t in topics if t.id == "canteen")
    assert canteen.keywords == ["食堂", "开饭"] and len(canteen.examples) == 2
    response = await staff.post(
        "/review/decide",
        data={
            "csrf": token,
            **BACK,
            "action": "ignore",
            "key": "材料交错了能不能补交",
            "note": "个别",
        },
    )
    html = await response.text()
    assert 'id="pending-count">0<' in html
    done = await (await staff.get(f"/review?{RANGE}&done=1")).text()
    assert "标记为通知未涉及" in done and "忽略" in done


async def test_conversation_shows_one_senders_masked_turns_without_the_id(staff, config):
    rows = load_rows(SINCE, UNTIL, config.database_url)
    row = next(r for r in rows if r["text"] == "材料交错了能不能补交")
    html = await (await staff.get(f"/conversation/{row['id']}")).text()
    assert "申报截止时间是什么时候" in html and "你好" in html  # the same sender's other turns
    assert "食堂几点开饭" not in html  # another sender's
    assert row["sender_id"] not in html
    assert f'id="turn-{row["id"]}"' in html
    assert (await staff.get("/conversation/999999")).status == 404


async def test_conversation_shows_feedback_as_a_verdict_not_its_payload(staff, config):
    payload = '/feedback{"helpful":"no","answer":"a1"}'
    write_rows(
        [make_row(T(2, 6, 5), "a1-fb", sender_id="re_a", text=payload, feedback="no")],
        config.database_url,
    )
    rows = load_rows(SINCE, UNTIL, config.database_url)
    row = next(r for r in rows if r["text"] == "材料交错了能不能补交")
    html = await (await staff.get(f"/conversation/{row['id']}")).text()
    assert "评价上一条回答：没帮助" in html
    assert "/feedback" not in html and "helpful" not in html


async def test_a_new_faq_entry_from_a_group(staff, config):
    _, token = await review(staff)
    response = await staff.post(
        "/review/decide",
        data={
            "csrf": token,
            **BACK,
            "action": "new_faq",
            "key": "食堂几点开饭",
            "faq_id": "canteen_hours",
            "question": "食堂几点开饭",
            "answer": "通知没有涉及食堂安排，请咨询 {phone}。",
            "clause": "四、2",
            "questions": "食堂几点开饭\n食堂开饭时间\n几点能吃饭\n食堂什么时候开",
        },
    )
    html = await response.text()
    assert "新建问答 canteen_hours" in html and "已完成" in html
    entry = load_knowledge(config.knowledge_dir).faq_entry("canteen_hours")
    assert entry.question == "食堂几点开饭" and len(entry.similar) == 3


async def test_a_long_queue_shows_the_most_frequent_groups(staff, monkeypatch):
    from bot.console import review as review_pages

    monkeypatch.setattr(review_pages, "SHOWN_GROUPS", 1)
    html, _ = await review(staff)
    assert 'id="pending-count">2<' in html and "最常见的 1 组" in html
    assert html.count('class="card group"') == 1


async def test_the_page_has_every_table_of_the_cli_report(staff, config):
    """The same sections as python -m bot report, including ones added there later."""
    from markupsafe import escape

    from bot.questionlog.report import sections
    from bot.questionlog.stats import FaqLabels

    html = await (await staff.get("/report?" + RANGE)).text()
    labels = FaqLabels.from_knowledge(config.knowledge_dir)
    report = compute(load_rows(SINCE, UNTIL, config.database_url), SINCE, UNTIL, labels)
    for title, header, rows in sections(report):
        assert f"<h2>{title}</h2>" in html
        for cell in [*header, *(cell for row in rows for cell in row)]:
            assert str(escape(str(cell))) in html, (title, cell)
