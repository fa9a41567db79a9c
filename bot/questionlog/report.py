"""The question-log report (``python -m bot report``, options in ``bot/cli/questionlog.py``).

A self-contained HTML page (inline CSS and SVG, no external assets, readable on
a phone) or a spreadsheet (CSV with BOM / XLSX) that opens in Excel and WPS.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from pathlib import Path
from typing import List, Sequence, Tuple

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from bot.questionlog.safe_cells import clean_text, safe_cell
from bot.questionlog.stats import (
    CHINA,
    Report,
    channel_label,
    percent,
)

TOP_TOPICS = 20
TOP_UNANSWERED = 20
UNHELPFUL_EXAMPLES = 5  # questions marked unhelpful shown per topic (newest first)


# -- tables shared by every format -------------------------------------------------


def summary_rows(report: Report) -> List[Tuple[str, object]]:
    return [
        ("统计区间", f"{report.since.isoformat()} 至 {report.until.isoformat()}（北京时间）"),
        ("消息总数", report.total),
        ("提问人数（匿名）", report.senders),
        ("按问答条目回答", report.answered),
        ("回答率", percent(report.answer_rate)),
        ("未能回答（兜底回复）", report.fallback),
        ("兜底率", percent(report.fallback_rate)),
        ("通知未涉及", report.not_in_notice),
        ("其他（问候、感谢、自测步骤等）", report.other),
        ("回答后的反馈（有帮助 / 没帮助）", report.feedback_count),
        ("有帮助比例", rate(report.helpful_rate)),
        ("自测开始", report.selfcheck_starts),
        ("自测完成", report.selfcheck_completions),
        ("自测中途退出", report.selfcheck_cancels),
        (
            "回复耗时中位数（毫秒）",
            "" if report.latency_median_ms is None else report.latency_median_ms,
        ),
        ("回复耗时95分位（毫秒）", "" if report.latency_p95_ms is None else report.latency_p95_ms),
    ]


def rate(value: float | None) -> str:
    return "" if value is None else percent(value)


def feedback_rows(report: Report) -> List[Sequence[object]]:
    return [
        (
            t.topic,
            t.question,
            t.answers,
            t.feedback,
            t.helpful,
            t.unhelpful,
            rate(t.helpful_rate),
            " / ".join(t.unhelpful_questions[:UNHELPFUL_EXAMPLES]),
        )
        for t in report.feedback
    ]


FEEDBACK_HEADER = [
    "问答ID",
    "标准问",
    "回答次数",
    "反馈次数",
    "有帮助",
    "没帮助",
    "有帮助比例",
    "标为没帮助的提问",
]


def sections(report: Report) -> List[Tuple[str, List[str], List[Sequence[object]]]]:
    """(title, header, rows) for every table in the report."""
    return [
        ("概览", ["指标", "数值"], summary_rows(report)),
        ("每日消息数", ["日期", "消息数"], [(d.isoformat(), n) for d, n in report.per_day]),
        (
            "每小时消息数（北京时间）",
            ["小时", "消息数"],
            [(f"{h:02d}:00", n) for h, n in enumerate(report.per_hour)],
        ),
        (
            "渠道",
            ["渠道", "消息数", "占比"],
            [
                (channel_label(c), n, percent(n / report.total if report.total else 0))
                for c, n in report.channels
            ],
        ),
        (
            "热门问题",
            ["排名", "问答ID", "标准问", "次数"],
            [(i, t, q, n) for i, (t, q, n) in enumerate(report.topics[:TOP_TOPICS], 1)],
        ),
        ("自测选择的方向", ["方向", "次数"], list(report.directions)),
        (
            "未能回答的问题（相似问法已合并）",
            ["排名", "代表问法", "次数", "例句"],
            [
                (i, g.key, g.count, " / ".join(g.examples))
                for i, g in enumerate(report.unanswered[:TOP_UNANSWERED], 1)
            ],
        ),
        (
            "通知未涉及的问题（相似问法已合并）",
            ["排名", "代表问法", "次数", "例句"],
            [
                (i, g.key, g.count, " / ".join(g.examples))
                for i, g in enumerate(report.not_in_notice_groups[:TOP_UNANSWERED], 1)
            ],
        ),
        ("回答是否有帮助（按问答条目）", FEEDBACK_HEADER, feedback_rows(report)),
    ]


# -- HTML ----------------------------------------------------------------------------

CSS = (
    "\n"
    'body{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;'
    "padding:12px;color:#222;background:#f6f7f9;line-height:1.5}\n"
    "h1{font-size:1.3em;margin:.2em 0}h2{font-size:1.1em;margin:1.2em 0 .4em;"
    "border-left:4px solid #c0392b;padding-left:8px}\n"
    ".card{background:#fff;border-radius:8px;padding:12px;margin:10px 0;"
    "box-shadow:0 1px 3px rgba(0,0,0,.08);overflow-x:auto}\n"
    ".kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:8px}\n"
    ".kpi{background:#fff;border-radius:8px;padding:10px;"
    "box-shadow:0 1px 3px rgba(0,0,0,.08)}\n"
    ".kpi b{display:block;font-size:1.5em;color:#c0392b}.kpi span{font-size:.85em;color:#666}"
    "\n"
    "table{border-collapse:collapse;width:100%;font-size:.9em}"
    "th,td{border-bottom:1px solid #eee;padding:6px 4px;text-align:left;vertical-align:top}\n"
    "td.n{text-align:right;white-space:nowrap}svg{width:100%;height:auto;display:block}"
    ".muted{color:#888;font-size:.85em}\n"
)


def esc(value: object) -> str:
    return html.escape(clean_text(str(value)), quote=True)


def bar_chart(labels: Sequence[str], values: Sequence[int], title: str, every: int = 1) -> str:
    """Vertical bars as inline SVG."""
    width, height, bottom, top = 640, 200, 34, 16
    count = max(len(values), 1)
    peak = max(values or [0]) or 1
    slot = width / count
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}">']
    for i, (label, value) in enumerate(zip(labels, values, strict=False)):
        bar = (height - bottom - top) * value / peak
        x = i * slot + slot * 0.15
        y = height - bottom - bar
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar:.1f}" '
            f'fill="#c0392b"><title>{esc(label)}：{value}</title></rect>'
        )
        if value:
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{y - 3:.1f}" font-size="10" '
                f'text-anchor="middle">{value}</text>'
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{height - bottom + 14}" font-size="10" '
                f'text-anchor="middle">{esc(label)}</text>'
            )
    parts.append(
        f'<line x1="0" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        'stroke="#999"/></svg>'
    )
    return "".join(parts)


def hbar_chart(items: Sequence[Tuple[str, int]], title: str) -> str:
    """Horizontal bars (labels on their own line so long questions fit a phone)."""
    if not items:
        return '<p class="muted">暂无数据</p>'
    row, width = 34, 640
    peak = max(n for _, n in items) or 1
    height = row * len(items) + 4
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}">']
    for i, (label, value) in enumerate(items):
        y = i * row
        bar = (width - 60) * value / peak
        parts.append(f'<text x="0" y="{y + 12}" font-size="12">{esc(label[:40])}</text>')
        parts.append(f'<rect x="0" y="{y + 16}" width="{bar:.1f}" height="12" fill="#2e86c1"/>')
        parts.append(f'<text x="{bar + 4:.1f}" y="{y + 27}" font-size="11">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)


def html_table(header: Sequence[str], rows: Sequence[Sequence[object]], table_id: str) -> str:
    if not rows:
        return '<p class="muted">暂无数据</p>'
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{esc(c)}</td>' if isinstance(c, int) else f"<td>{esc(c)}</td>"
            for c in row
        )
        + "</tr>"
        for row in rows
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def headline_kpis(report: Report) -> List[Tuple[str, str, object]]:
    """(element id, label, value) of the figures at the top of the report (file and console)."""
    return [
        ("total", "消息总数", report.total),
        ("senders", "提问人数", report.senders),
        ("answer-rate", "回答率", percent(report.answer_rate)),
        ("fallback-rate", "兜底率", percent(report.fallback_rate)),
        ("selfcheck-starts", "自测开始", report.selfcheck_starts),
        ("selfcheck-completions", "自测完成", report.selfcheck_completions),
    ]


def render_html(report: Report) -> str:
    kpis = headline_kpis(report)
    kpi_html = "".join(
        f'<div class="kpi"><b id="{k}">{esc(v)}</b><span>{esc(label)}</span></div>'
        for k, label, v in kpis
    )
    tables = sections(report)
    every_day = max(1, len(report.per_day) // 10)
    day_labels = [d.strftime("%m-%d") for d, _ in report.per_day]
    unanswered_rows = [
        (i, g.key, g.count, "<br>".join(esc(e) for e in g.examples))
        for i, g in enumerate(report.unanswered[:TOP_UNANSWERED], 1)
    ]
    unanswered_html = (
        '<table id="unanswered"><thead><tr><th>排名</th><th>代表问法</th><th>次数</th>'
        "<th>例句</th></tr></thead><tbody>"
        + "".join(
            f'<tr><td class="n">{i}</td><td>{esc(k)}</td><td class="n">{n}</td><td>{ex}</td></tr>'
            for i, k, n, ex in unanswered_rows
        )
        + "</tbody></table>"
        if unanswered_rows
        else '<p class="muted">没有未能回答的问题</p>'
    )
    body = [
        f'<h1>双创示范基地申报助手 · 问题日志报告</h1><p class="muted">{esc(report.since)} 至 '
        f"{esc(report.until)}（北京时间）· 生成于 "
        f"{esc(dt.datetime.now(dt.timezone.utc).astimezone().strftime('%Y-%m-%d %H:%M'))}</p>",
        f'<div class="kpis">{kpi_html}</div>',
        '<h2>概览</h2><div class="card">' + html_table(*tables[0][1:], "summary") + "</div>",
        '<h2>每日消息数</h2><div class="card">'
        + bar_chart(day_labels, [n for _, n in report.per_day], "每日消息数", every_day)
        + html_table(*tables[1][1:], "per-day")
        + "</div>",
        '<h2>每小时消息数（北京时间）</h2><div class="card">'
        + bar_chart([str(h) for h in range(24)], report.per_hour, "每小时消息数", 2)
        + "</div>",
        '<h2>渠道</h2><div class="card">'
        + hbar_chart([(channel_label(c), n) for c, n in report.channels], "渠道")
        + html_table(*tables[3][1:], "channels")
        + "</div>",
        '<h2>热门问题</h2><div class="card">'
        + hbar_chart([(q, n) for _, q, n in report.topics[:10]], "热门问题")
        + html_table(*tables[4][1:], "topics")
        + "</div>",
        '<h2>回答情况</h2><div class="card">'
        + hbar_chart(
            [
                ("按问答条目回答", report.answered),
                ("未能回答（兜底）", report.fallback),
                ("通知未涉及", report.not_in_notice),
                ("其他", report.other),
            ],
            "回答情况",
        )
        + "</div>",
        f'<h2>申报条件自测</h2><div class="card"><p>开始 <b>{report.selfcheck_starts}</b> 次，'
        f"完成 <b>{report.selfcheck_completions}</b> 次，中途退出 "
        f"<b>{report.selfcheck_cancels}</b> 次。</p>"
        + html_table(*tables[5][1:], "directions")
        + "</div>",
        '<h2>未能回答的问题（相似问法已合并）</h2><div class="card"><p class="muted">可用 '
        "<code>python -m bot review export</code> 导出表格，标注后补充到问答库。</p>"
        + unanswered_html
        + "</div>",
        '<h2>通知未涉及的问题</h2><div class="card">'
        '<p class="muted">助手已说明通知没有规定并给出咨询电话；也可考虑补充问答。</p>'
        + html_table(*tables[7][1:], "not-in-notice")
        + "</div>",
        '<h2>回答是否有帮助</h2><div class="card">'
        f'<p>反馈 <b id="feedback-count">{report.feedback_count}</b> 次，'
        f'有帮助比例 <b id="helpful-rate">{esc(rate(report.helpful_rate) or "—")}</b>。</p>'
        '<p class="muted">常见问题的回答和通知原文引用之后，申请人可以点“有帮助”或“没帮助”'
        "（同一主题连续回答只问一次；同一个回答只算第一次反馈）。“标为没帮助的提问”是申请人原话"
        "（已遮盖个人信息），可据此补充相似问法或改写回答。</p>"
        + html_table(*tables[8][1:], "feedback")
        + "</div>",
        '<p class="muted">说明：回答率 = 按问答条目回答的消息 ÷ 消息总数；兜底率 = '
        "助手表示无法回答的消息 ÷ 消息总数；“其他”为问候、感谢、转人工、自测步骤等。"
        "提问人只以匿名编号统计，手机号、身份证号、个人邮箱在进入系统前已被遮盖。</p>",
    ]
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>问题日志报告 {esc(report.since)}—{esc(report.until)}</title>"
        f"<style>{CSS}</style></head><body>" + "".join(body) + "</body></html>"
    )


# -- spreadsheets ------------------------------------------------------------------


def render_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for title, header, rows in sections(report):
        writer.writerow([f"【{title}】"])
        writer.writerow(header)
        writer.writerows([safe_cell(c) for c in row] for row in rows)  # user text: never a formula
        writer.writerow([])
    return out.getvalue()


def write_xlsx(report: Report, path: Path) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, header, rows in sections(report):
        sheet = workbook.create_sheet(title[:31].replace("（", "(").replace("）", ")"))
        sheet.append(list(header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([safe_cell(c) for c in row])  # user text: never a formula
        for column, _ in enumerate(header, 1):
            letter = sheet.cell(row=1, column=column).column_letter
            longest = max((len(str(c.value or "")) for c in sheet[letter]), default=8)
            sheet.column_dimensions[letter].width = min(60, max(8, longest * 1.8))
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "A2"
    workbook.save(path)


def write_report(report: Report, path: Path, fmt: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        path.write_text(render_html(report), encoding="utf-8")
    elif fmt == "csv":
        path.write_text(render_csv(report), encoding="utf-8-sig", newline="")
    elif fmt == "xlsx":
        write_xlsx(report, path)
    else:
        raise ValueError(fmt)


def today_china() -> dt.date:
    return dt.datetime.now(CHINA).date()
