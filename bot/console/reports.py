"""The report page and its downloads: ``bot.questionlog.stats.compute`` rendered as
``python -m bot report`` renders it (sections, charts, XLSX, CSV)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Dict, List, Tuple

from aiohttp import web
from markupsafe import Markup

from bot.console.web import CONFIG, ConsoleConfig, date_range, db, render
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
from bot.questionlog.stats import FaqLabels, channel_label, compute, load_rows


def build_report(config: ConsoleConfig, since: dt.date, until: dt.date):
    rows = load_rows(since, until, config.database_url)
    return compute(rows, since, until, FaqLabels.from_knowledge(config.knowledge_dir))


# charts drawn above the tables of these sections (by title); every other section, such as
# ones added to bot/questionlog/report.py later, is shown as its table
def _bars(report) -> Dict[str, List[Tuple[str, int]]]:
    """The charts' numbers as (label, count) lists: a phone shows these as horizontal bars in
    text of normal size (an SVG scaled down to 375 px has 5–6 px labels)."""
    return {
        "每日消息数": [(d.strftime("%m-%d"), n) for d, n in report.per_day],
        "每小时消息数（北京时间）": [(f"{h} 时", n) for h, n in enumerate(report.per_hour) if n],
        "渠道": [(channel_label(c), n) for c, n in report.channels],
        "热门问题": [(q, n) for _, q, n in report.topics[:10]],
    }


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
    bars = _bars(report)
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
        bars=bars,
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
