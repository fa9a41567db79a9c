"""The staff console in a real browser: Debian's Chromium driven through chromedriver (selenium).

The console runs as ``python -m bot console`` serves it (``tests/support/console_server.py``:
only publishing is played by a stand-in) on a question log seeded with a week of turns through
the real store, over a scratch copy of knowledge/ (KNOWLEDGE_DIR); the test chat asks a stand-in
of the assistant's NLU (``tests/support/fake_rasa_parse.py``). One console, one browser for the
module. Every flow of the staff guide is played here, at 1280 px and at 375 px (a phone: nothing
scrolls sideways, no text under 12 px); the screenshots go to docs/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from typing import Iterator

import pytest

from tests.e2e.conftest import PROJECT_DIR, free_port, wait_for
from tests.support.console_e2e import (
    CHROMEDRIVER,
    CHROMIUM,
    FEEDBACK,
    PASSWORD,
    SINCE,
    TURNS_PER_DAY,
    UNTIL,
    USER,
    fetch,
    layout,
    log_in,
    screenshot,
    seed,
    wait_url,
)

pytestmark = pytest.mark.e2e

EDITOR, EDITOR_PASSWORD = "wu.min", "an editor password"
NLU_TOKEN = "e2e-nlu-token"


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[dict]:
    workdir = tmp_path_factory.mktemp("console")
    knowledge = workdir / "knowledge"
    shutil.copytree(PROJECT_DIR / "knowledge", knowledge)
    url = f"sqlite:///{workdir / 'question_log.db'}"
    assert seed(url) == 7 * (TURNS_PER_DAY + len(FEEDBACK))
    port, nlu_port = free_port(), free_port()
    env = dict(
        os.environ,
        DATABASE_URL=url,
        KNOWLEDGE_DIR=str(knowledge),
        CONSOLE_SECRET="e2e-console-secret",
        QUESTION_LOG_SECRET="e2e-secret",
        PYTHONDONTWRITEBYTECODE="1",
        PORT=str(nlu_port),  # where the test chat finds "the assistant"
        RASA_API_TOKEN=NLU_TOKEN,
        BOT_TODAY="2021-11-20",
        FAKE_PUBLISH_GO=str(workdir / "go"),
    )
    for name, password, role in ((USER, PASSWORD, "admin"), (EDITOR, EDITOR_PASSWORD, "editor")):
        adduser = subprocess.run(
            [sys.executable, "-m", "bot", "console", "adduser", name, "--role", role],
            input=password + "\n",
            text=True,
            capture_output=True,
            cwd=PROJECT_DIR,
            env=env,
            timeout=60,
        )
        assert adduser.returncode == 0, adduser.stderr
    log = workdir / "console.log"
    with log.open("wb") as out:
        nlu = subprocess.Popen(
            [sys.executable, "tests/support/fake_rasa_parse.py", str(nlu_port), NLU_TOKEN],
            cwd=PROJECT_DIR,
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.console_server", str(port), str(workdir)],
            cwd=PROJECT_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/login", process, log, timeout=60, what="console")
        yield {
            "base": base,
            "knowledge": knowledge,
            "downloads": workdir / "downloads",
            "go": workdir / "go",
        }
    finally:
        for child in (process, nlu):
            child.terminate()
            child.wait(timeout=20)


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
    wait_url(browser, r"/conversation/\d+#turn-\d+$")
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


def test_try_chat(console, browser):
    """试答: the production decision on the live knowledge, with its clause and how chosen."""
    from selenium.webdriver.common.by import By

    browser.get(console["base"] + "/try")
    browser.find_element(By.ID, "q").send_keys("申报截止时间是什么时候？")
    browser.find_element(By.ID, "ask").click()
    wait_url(browser, r"/try\?q=")
    answer = browser.find_element(By.CSS_SELECTOR, ".card.answer")
    assert "2021年11月28日" in answer.find_element(By.CSS_SELECTOR, ".reply").text
    assert answer.find_element(By.CSS_SELECTOR, ".clause").text == "四、2"
    assert "FAQ" in answer.find_element(By.CSS_SELECTOR, ".mechanism").text
    screenshot(browser, "console-try.png")


def test_edit_try_the_draft_and_save(console, browser):
    """编辑: a refused answer keeps what was typed; a draft is tried unsaved; saving is live."""
    from selenium.webdriver.common.by import By

    base, faq = console["base"], console["knowledge"] / "faq.yml"
    browser.get(base + "/knowledge")
    browser.find_element(By.ID, "edit-faq-submission_address").click()
    wait_url(browser, r"/knowledge/faq/submission_address$")
    answer = browser.find_element(By.ID, "answer")
    original = answer.get_attribute("value")
    answer.clear()
    answer.send_keys(original + "请致电 0731-12345678。")  # a phone must be a {name}
    browser.find_element(By.ID, "save").click()
    assert "没有保存" in browser.find_element(By.ID, "problems").text
    assert "0731-12345678" in browser.find_element(By.ID, "answer").get_attribute("value")
    assert browser.find_elements(By.CSS_SELECTOR, "#field-answer.field-bad")
    screenshot(browser, "console-edit-refused.png")
    before = faq.read_bytes()
    answer = browser.find_element(By.ID, "answer")
    answer.clear()
    answer.send_keys(original.replace("，地址", "（请提前电话预约），地址", 1))
    browser.find_element(By.ID, "try-draft").click()
    assert "草稿" in browser.find_element(By.ID, "draft").text
    assert "请提前电话预约" in browser.find_element(By.CSS_SELECTOR, ".card.answer .reply").text
    assert faq.read_bytes() == before
    screenshot(browser, "console-edit-try.png")
    browser.find_element(By.ID, "save").click()
    saved = browser.find_element(By.ID, "saved")
    assert "已保存" in saved.text and "不需要发布" in saved.text
    assert "请提前电话预约" in faq.read_text(encoding="utf-8")
    screenshot(browser, "console-edit-saved.png")


def test_review_in_bulk(console, browser):
    """待审: tick several groups, one decision for all."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(f"{console['base']}/review?since={SINCE.isoformat()}&until={UNTIL.isoformat()}")
    before = int(browser.find_element(By.ID, "pending-count").text)
    picks = browser.find_elements(By.CSS_SELECTOR, "input.pick")
    assert len(picks) == before >= 2
    assert "没帮助" in browser.page_source  # the materials answer applicants marked unhelpful
    for pick in picks[:2]:
        pick.click()
    Select(browser.find_element(By.ID, "bulk-action")).select_by_value("ignore")
    screenshot(browser, "console-review-bulk.png")
    browser.find_element(By.ID, "bulk-submit").click()
    assert "已完成" in browser.find_element(By.ID, "result").text
    assert int(browser.find_element(By.ID, "pending-count").text) == before - 2


def test_publish_with_progress(console, browser):
    """发布: stages with elapsed and remaining time, live; a plain summary; who and why."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(console["base"] + "/publish")
    browser.find_element(By.ID, "note").send_keys("加了停车相关问法")
    browser.find_element(By.ID, "publish").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "li.stage.running"))
    assert "约剩" in browser.find_element(By.ID, "stages").text
    assert browser.find_element(By.ID, "remaining").text
    screenshot(browser, "console-publish-progress.png")
    console["go"].touch()  # the stand-in finishes training
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "publish-result"))
    assert "发布成功" in browser.find_element(By.ID, "publish-result").text
    screenshot(browser, "console-publish.png")
    browser.get(console["base"] + "/audit")
    assert "加了停车相关问法" in browser.find_element(By.ID, "audit").text


def test_history_diff_and_revert(console, browser):
    """历史: versions with names, a diff, revert."""
    from selenium.webdriver.common.by import By

    base, faq = console["base"], console["knowledge"] / "faq.yml"
    browser.get(base + "/history")
    versions = browser.find_elements(By.CSS_SELECTOR, ".card.version")
    assert USER in versions[0].text and "当前" in versions[0].text
    screenshot(browser, "console-history.png")
    versions[0].find_element(By.LINK_TEXT, "查看改动").click()
    assert browser.find_elements(By.CSS_SELECTOR, ".diff .add")
    screenshot(browser, "console-version.png")
    browser.get(base + "/history")
    browser.find_elements(By.CSS_SELECTOR, ".card.version")[1].find_element(
        By.CSS_SELECTOR, "button.revert"
    ).click()
    assert "已完成" in browser.find_element(By.ID, "result").text
    assert "请提前电话预约" not in faq.read_text(encoding="utf-8")


PAGES = ("/report", "/review", "/knowledge", "/knowledge/faq/deadline", "/try?q=截止时间",
         "/publish", "/history", "/audit", "/accounts")  # fmt: skip


def test_every_page_fits_a_phone_and_a_desk(console, browser):
    """375 px: no sideways scrolling, no text under 12 px (charts as bars, tables as cards)."""
    base = console["base"]
    for path in PAGES:
        browser.get(f"{base}{path}{'&' if '?' in path else '?'}since={SINCE}&until={UNTIL}")
        for width in (375, 1280):
            overflow, smallest, text = layout(browser, width)
            assert overflow <= 0, (path, width, overflow)
            if width == 375:
                assert smallest >= 12, (path, smallest, text)
    browser.get(f"{base}/report?since={SINCE}&until={UNTIL}")
    screenshot(browser, "console-report-phone.png", 375)
    browser.get(f"{base}/review?since={SINCE}&until={UNTIL}")
    screenshot(browser, "console-review-phone.png", 375)
    browser.get(f"{base}/audit")
    screenshot(browser, "console-audit-phone.png", 375)
    browser.set_window_size(1280, 1000)


def test_an_editor_edits_but_does_not_publish(console, browser):
    """角色: an editor sees no publish button and no accounts; the refusal is audited."""
    from selenium.webdriver.common.by import By

    base = console["base"]
    log_in(browser, base, EDITOR, EDITOR_PASSWORD)
    assert "编辑" in browser.find_element(By.CSS_SELECTOR, "header .who").text
    assert not browser.find_elements(By.LINK_TEXT, "账号")
    browser.get(base + "/publish")
    assert not browser.find_elements(By.ID, "publish")
    assert browser.find_element(By.ID, "publish-not-allowed")
    browser.get(base + "/accounts")
    assert "需要“管理员”权限" in browser.find_element(By.ID, "denied").text
    log_in(browser, base, USER, PASSWORD)
    browser.get(base + "/accounts")
    assert EDITOR in browser.find_element(By.ID, "accounts").text
    screenshot(browser, "console-accounts.png")
    browser.get(base + "/audit")
    assert "无权限" in browser.find_element(By.ID, "audit").text
