"""Helpers of the console's browser tests (tests/e2e/test_console_e2e.py): a week of seeded
traffic, screenshots into docs/screenshots/, requests without the browser, layout checks."""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
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
    from bot.questionlog.store import write_rows  # the project's own store, as in production

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


# the width the page is wider than the window, and the smallest visible text (px, its words)
LAYOUT = """
const overflow = document.documentElement.scrollWidth - window.innerWidth;
let smallest = [1000, ""];
for (const el of document.querySelectorAll("body *")) {
  const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own || !el.getClientRects().length) continue;
  const size = el.getBoundingClientRect();
  if (size.width === 0 || size.height === 0) continue;
  const font = parseFloat(getComputedStyle(el).fontSize);
  const scale = el instanceof SVGElement && el.ownerSVGElement
    ? el.ownerSVGElement.getBoundingClientRect().width / el.ownerSVGElement.viewBox.baseVal.width
    : 1;
  const shown = font * (scale || 1);
  if (shown < smallest[0]) smallest = [shown, el.textContent.trim().slice(0, 30)];
}
return [overflow, smallest[0], smallest[1]];
"""


def layout(driver, width: int) -> tuple:
    """(pixels the page scrolls sideways, smallest text size in px, that text) at ``width``."""
    driver.set_window_size(width, 900)
    overflow, smallest, text = driver.execute_script(LAYOUT)
    return overflow, smallest, text


def log_in(driver, base: str, username: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(base + "/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login").click()
    wait_url(driver, r"/report$")
