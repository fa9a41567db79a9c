"""The staff console in a real browser: Debian's Chromium driven through chromedriver (selenium).

The console runs as ``python -m bot console`` on a question log seeded with a week of turns
through the real store, over a scratch copy of knowledge/ (KNOWLEDGE_DIR). No Rasa, no model.
Screenshots of the main pages go to docs/screenshots/ (linked from the README).
"""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Iterator

import pytest

from tests.e2e.conftest import PROJECT_DIR, free_port, wait_for

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = PROJECT_DIR / "docs" / "screenshots"
USER = "zhang.wei"
PASSWORD = "a long e2e password"
SINCE = dt.date(2026, 11, 16)
UNTIL = dt.date(2026, 11, 22)
FIRST_DAY = dt.date(2026, 11, 16)  # a week of traffic, Monday to Sunday (China time)
# (topic, text, channel) asked on every day of the week, at 09:00–17:00 China time
DAILY = [
    ("deadline", "申报截止时间是什么时候", "wechat"),
    ("submission_address", "材料交到哪里", "rest"),
    ("materials", "要准备哪些材料", "telegram"),
    ("fallback", "现场有没有停车位", "wechat"),
    ("fallback", "现场有停车位吗", "rest"),
    ("not_in_notice", "申报要交钱吗", "wechat"),
]
FEEDBACK = {"deadline": "yes", "materials": "no"}
TURNS_PER_DAY = len(DAILY) + 1 + 2  # and one greeting, and a self-check started and finished


def seed(url: str) -> int:
    from bot.questionlog.store import write_rows

    rows = []
    for day in range(7):
        date = FIRST_DAY + dt.timedelta(days=day)
        for number, (topic, text, channel) in enumerate(DAILY + [(None, "你好", "rest")]):
            local = dt.datetime.combine(date, dt.time(9 + number, 5 * day))
            rows.append(
                {
                    "created_at": local - dt.timedelta(hours=8),  # stored in UTC
                    "channel": channel,
                    "sender_id": f"e2e_sender_{day}_{number % 2}",
                    "channel_message_id": f"m{day}-{number}",
                    "text": text,
                    "topic": topic,
                    "intent": topic or "greet",
                    "reply": "（示例回复）",
                    "latency_ms": 100 + 10 * number,
                    "in_selfcheck": False,
                    "feedback_offered": topic in FEEDBACK,
                }
            )
        # “did it help?”: the deadline answer helped, the materials answer did not
        for number, (topic, verdict) in enumerate(FEEDBACK.items()):
            answered = next(i for i, item in enumerate(DAILY) if item[0] == topic)
            rows.append(
                {
                    "created_at": dt.datetime.combine(date, dt.time(9 + answered, 5 * day, 30))
                    - dt.timedelta(hours=8),
                    "channel": DAILY[answered][2],
                    "sender_id": f"e2e_sender_{day}_{answered % 2}",
                    "channel_message_id": f"f{day}-{number}",
                    "text": "有帮助" if verdict == "yes" else "没帮助",
                    "feedback": verdict,
                    "feedback_for": f"m{day}-{answered}",
                    "in_selfcheck": False,
                }
            )
        for number, event in enumerate(("start", "complete")):
            rows.append(
                {
                    "created_at": dt.datetime.combine(date, dt.time(20, number))
                    - dt.timedelta(hours=8),
                    "channel": "wechat",
                    "sender_id": f"wx_e2e_selfcheck_{day}",
                    "channel_message_id": f"s{day}-{number}",
                    "text": "我想自测" if event == "start" else "企业",
                    "intent": "selfcheck" if event == "start" else "inform",
                    "reply": "（示例回复）",
                    "latency_ms": 120,
                    "in_selfcheck": True,
                    "selfcheck_event": event,
                    "slots": json.dumps({"sc_direction": "rongtong_chuangxin"}),
                }
            )
    return write_rows(rows, url)


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[dict]:
    workdir = tmp_path_factory.mktemp("console")
    knowledge = workdir / "knowledge"
    shutil.copytree(PROJECT_DIR / "knowledge", knowledge)
    url = f"sqlite:///{workdir / 'question_log.db'}"
    assert seed(url) == 7 * (TURNS_PER_DAY + len(FEEDBACK))
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=url,
        KNOWLEDGE_DIR=str(knowledge),
        CONSOLE_SECRET="e2e-console-secret",
        QUESTION_LOG_SECRET="e2e-secret",
        PYTHONDONTWRITEBYTECODE="1",
    )
    adduser = subprocess.run(
        [sys.executable, "-m", "bot", "console", "adduser", USER],
        input=PASSWORD + "\n",
        text=True,
        capture_output=True,
        cwd=PROJECT_DIR,
        env=env,
        timeout=60,
    )
    assert adduser.returncode == 0, adduser.stderr
    log = workdir / "console.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "console", "--port", str(port)],
            cwd=PROJECT_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/login", process, log, timeout=60, what="console")
        yield {"base": base, "knowledge": knowledge, "downloads": workdir / "downloads"}
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser(console):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # selenium manager: never download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
        "--lang=zh-CN",
    ):
        options.add_argument(argument)
    console["downloads"].mkdir(exist_ok=True)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(console["downloads"]),
            "download.prompt_for_download": False,
        },
    )
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver, name: str, width: int = 1280) -> None:
    """The whole page at ``width`` pixels into docs/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(width, 1000)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(height + 120, 600), 6000))
    driver.save_screenshot(str(SCREENSHOTS / name))
    driver.set_window_size(1280, 1000)


def wait_url(driver, pattern: str) -> str:
    """The browser's address once it matches ``pattern`` (after a click that navigates)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 20).until(lambda d: re.search(pattern, d.current_url))
    return driver.current_url


def fetch(url: str, data: dict | None = None, cookie: str | None = None):
    """(status, final url, body) without the browser; redirects are followed."""
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(data).encode() if data is not None else None
    )
    if cookie:
        request.add_header("Cookie", cookie)
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.url, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, url, error.read().decode("utf-8", "replace")


def test_unauthenticated_access_is_refused(console):
    base = console["base"]
    for path in (
        "/",
        "/report",
        "/review",
        "/audit",
        "/publish",
        "/conversation/1",
        "/report.xlsx",
    ):
        status, final, body = fetch(base + path)
        assert final.endswith("/login") and 'id="login"' in body, path
    for path in ("/review/decide", "/publish", "/logout"):
        assert fetch(base + path, {"action": "ignore", "key": "x"})[0] == 403


def test_the_whole_round(console, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base = console["base"]
    faq_before = (PROJECT_DIR / "knowledge" / "faq.yml").read_text(encoding="utf-8")

    # log in (anything asked for first leads to the log-in page)
    browser.get(base + "/review")
    assert browser.current_url.endswith("/login")
    screenshot(browser, "console-login.png", 420)
    browser.find_element(By.ID, "username").send_keys(USER)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login").click()
    wait_url(browser, r"/report$")
    assert browser.find_element(By.ID, "who").text == USER

    # the report for the week, chosen in the form
    for field, value in (("since", SINCE), ("until", UNTIL)):
        browser.execute_script(
            "document.getElementById(arguments[0]).value = arguments[1]", field, value.isoformat()
        )
    browser.find_element(By.ID, "show").click()
    wait_url(browser, f"since={SINCE.isoformat()}&until={UNTIL.isoformat()}")
    assert browser.find_element(By.ID, "total").text == str(7 * TURNS_PER_DAY)
    assert browser.find_element(By.ID, "senders").text.isdigit()
    assert browser.find_element(By.ID, "selfcheck-starts").text == "7"
    assert browser.find_element(By.ID, "selfcheck-completions").text == "7"
    assert browser.find_element(By.ID, "feedback-count").text == "14"
    assert browser.find_element(By.ID, "helpful-rate").text == "50.0%"
    assert "回答是否有帮助" in browser.page_source
    page = browser.page_source
    assert "每日消息数" in page and "每小时消息数" in page and "热门问题" in page
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg")) == 4
    screenshot(browser, "console-report.png")
    screenshot(browser, "console-report-phone.png", 390)

    # the XLSX download
    browser.find_element(By.ID, "download-xlsx").click()
    target = console["downloads"] / f"report-{SINCE.isoformat()}-{UNTIL.isoformat()}.xlsx"
    deadline = time.monotonic() + 30
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    from openpyxl import load_workbook

    workbook = load_workbook(target, read_only=True)
    assert ("消息总数", 7 * TURNS_PER_DAY) in list(workbook["概览"].iter_rows(values_only=True))
    workbook.close()

    # the review queue: the parking questions are one group; add them to an FAQ topic
    browser.get(f"{base}/review?since={SINCE.isoformat()}&until={UNTIL.isoformat()}")
    groups = browser.find_elements(By.CSS_SELECTOR, ".group")
    assert browser.find_element(By.ID, "pending-count").text == str(len(groups))
    parking = next(g for g in groups if "停车位" in g.find_element(By.CSS_SELECTOR, ".key").text)
    screenshot(browser, "console-review.png")
    parking.find_element(By.CSS_SELECTOR, ".add-similar summary").click()
    form = parking.find_element(By.CSS_SELECTOR, ".add-similar form")
    Select(form.find_element(By.NAME, "faq_id")).select_by_value("submission_address")
    assert form.find_element(By.NAME, "questions").get_attribute("value").count("停车位") == 2
    form.find_element(By.CSS_SELECTOR, "button").click()
    result = browser.find_element(By.ID, "result")
    assert "已完成" in result.text and "新增相似问 2 条" in result.text, result.text
    assert "知识库有 1 项修改尚未发布" in browser.find_element(By.ID, "unpublished").text
    assert int(browser.find_element(By.ID, "pending-count").text) == len(groups) - 1
    screenshot(browser, "console-review-done.png")
    copy = (console["knowledge"] / "faq.yml").read_text(encoding="utf-8")
    assert "现场有停车位吗" in copy and "现场有没有停车位" in copy
    assert (PROJECT_DIR / "knowledge" / "faq.yml").read_text(encoding="utf-8") == faq_before

    # one question in its conversation (by row id; the pseudonymous id is nowhere)
    link = browser.find_element(By.CSS_SELECTOR, "a.conversation-link")
    link.click()
    wait_url(browser, r"/conversation/\d+$")
    assert "e2e_sender" not in browser.page_source
    assert browser.find_elements(By.CSS_SELECTOR, ".turn.here")
    assert len(browser.find_elements(By.CSS_SELECTOR, ".turn")) == 3  # the sender's day
    screenshot(browser, "console-conversation.png")

    # publishing is offered; the change is on the audit page with the account name
    browser.get(base + "/publish")
    assert browser.find_element(By.ID, "unpublished-count").text == "1"
    assert browser.find_element(By.ID, "publish").text == "发布"
    screenshot(browser, "console-publish.png")
    browser.get(base + "/audit")
    audit = browser.find_element(By.ID, "audit").text
    assert "加为相似问" in audit and USER in audit

    # a forged post with the browser's own session cookie but no / a wrong CSRF token
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in browser.get_cookies())
    for token in (None, "forged"):
        data = {"action": "ignore", "key": "申报要交钱吗", **({"csrf": token} if token else {})}
        assert fetch(base + "/review/decide", data, cookie)[0] == 403
    browser.get(base + "/audit")
    assert "申报要交钱吗" not in browser.find_element(By.ID, "audit").text
