"""``python -m bot report | review | purge``: the question log, for staff.

report   statistics as HTML / CSV / XLSX (``bot.questionlog.report``)
review   unanswered questions → spreadsheet → knowledge/faq.yml (``bot.questionlog.review``)
purge    delete what is older than the retention period (``bot.questionlog.purge``)
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from bot.kb.history import default_operator
from bot.questionlog.buffer import SpillFile, default_spill_path
from bot.questionlog.db import database_url
from bot.questionlog.purge import purge, purge_rejected, purge_tracker
from bot.questionlog.report import today_china, write_report
from bot.questionlog.review import export, import_review
from bot.questionlog.stats import FaqLabels, compute, load_rows, percent
from bot.settings import get_settings


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    {"report": _report_arguments, "review": _review_arguments, "purge": _purge_arguments}[command](
        parser
    )


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{value}") from exc


# -- report ------------------------------------------------------------------------


def _report_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "问题日志报告（HTML / CSV / XLSX）"
    parser.add_argument("--since", type=parse_date, help="起始日期（含），默认截止日期前 29 天")
    parser.add_argument("--until", type=parse_date, help="截止日期（含），默认今天")
    parser.add_argument(
        "--out", type=Path, default=Path("report.html"), help="输出文件，默认 report.html"
    )
    parser.add_argument("--format", choices=("html", "csv", "xlsx"), help="默认按 --out 的扩展名")
    parser.add_argument(
        "--database-url", help="默认 DATABASE_URL（未设置时为 .build/question_log.db）"
    )
    parser.add_argument("--knowledge-dir", type=Path, help="默认 knowledge/")
    parser.set_defaults(func=report)


def report(args: argparse.Namespace) -> int:
    until = args.until or today_china()
    since = args.since or (until - dt.timedelta(days=29))
    if since > until:
        print("起始日期晚于截止日期。", file=sys.stderr)
        return 2
    fmt = args.format or (
        args.out.suffix.lstrip(".").lower()
        if args.out.suffix.lower() in (".html", ".csv", ".xlsx")
        else "html"
    )
    knowledge_dir = args.knowledge_dir
    if knowledge_dir is None:
        knowledge_dir = get_settings().knowledge_dir
    try:
        rows = load_rows(since, until, args.database_url)
    except Exception as exc:
        print(f"读取问题日志失败：{exc}", file=sys.stderr)
        return 1
    made = compute(rows, since, until, FaqLabels.from_knowledge(knowledge_dir))
    write_report(made, args.out, fmt)
    print(
        f"已生成 {args.out}（{since} 至 {until}）：消息 {made.total} 条，"
        f"回答率 {percent(made.answer_rate)}，兜底率 {percent(made.fallback_rate)}，"
        f"未能回答的问题 {len(made.unanswered)} 组。"
    )
    return 0


# -- review ------------------------------------------------------------------------


def _review_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "未能回答的问题：导出表格 / 导入处理结果"
    commands = parser.add_subparsers(dest="review_command", required=True)
    export_parser = commands.add_parser("export", help="导出未能回答的问题（已合并相似问法）")
    export_parser.add_argument("--out", type=Path, default=Path("review.xlsx"))
    export_parser.add_argument("--since", type=parse_date, help="起始日期（含），默认保留期内全部")
    export_parser.add_argument("--until", type=parse_date, help="截止日期（含），默认今天")
    export_parser.add_argument("--database-url")
    export_parser.add_argument("--knowledge-dir", type=Path)
    export_parser.set_defaults(func=review_export)
    import_parser = commands.add_parser("import", help="把标注好的表格应用到 knowledge/faq.yml")
    import_parser.add_argument("file", type=Path)
    import_parser.add_argument("--knowledge-dir", type=Path)
    import_parser.add_argument(
        "--by", default=default_operator(), help="操作人（记入知识库历史，默认当前系统用户）"
    )
    import_parser.set_defaults(func=review_import)


def review_export(args: argparse.Namespace) -> int:
    settings = get_settings()
    knowledge_dir = args.knowledge_dir or settings.knowledge_dir
    until = args.until or today_china()
    since = args.since or (until - dt.timedelta(days=settings.retention_days))
    try:
        count = export(args.out, since, until, args.database_url, knowledge_dir)
    except Exception as exc:
        print(f"导出失败：{exc}", file=sys.stderr)
        return 1
    print(
        f"已导出 {count} 组未能回答的问题到 {args.out}（{since} 至 {until}）。"
        f"在“处理方式”列选择后，运行 python -m bot review import {args.out}"
    )
    return 0


def review_import(args: argparse.Namespace) -> int:
    knowledge_dir = args.knowledge_dir or get_settings().knowledge_dir
    if not args.file.exists():
        print(f"找不到文件 {args.file}", file=sys.stderr)
        return 1
    return import_review(args.file, knowledge_dir, by=args.by)


# -- purge -------------------------------------------------------------------------


def _purge_arguments(parser: argparse.ArgumentParser) -> None:
    settings = get_settings()
    parser.description = "删除超过保留期的问题日志和对话记录"
    parser.add_argument(
        "--days",
        type=int,
        default=settings.retention_days,
        help=f"保留天数，默认 RETENTION_DAYS={settings.retention_days}",
    )
    parser.add_argument("--database-url", help="问题日志数据库（默认 DATABASE_URL）")
    parser.add_argument("--tracker-url", help="对话记录数据库（默认 TRACKER_DB 的 SQLite 文件）")
    parser.set_defaults(func=purge_command)


def purge_command(args: argparse.Namespace) -> int:
    if args.days < 0:
        print("--days 不能为负数", file=sys.stderr)
        return 2
    tracker_url = args.tracker_url or get_settings().tracker_database_url()
    try:
        deleted = purge(args.days, args.database_url)
        events = purge_tracker(args.days, tracker_url)
        rejected = SpillFile(default_spill_path(database_url(args.database_url))).rejected
        deleted += purge_rejected(args.days, rejected)
    except Exception as exc:
        print(f"清理失败：{exc.__class__.__name__}", file=sys.stderr)
        return 1
    print(f"已删除 {deleted} 条超过 {args.days} 天的问题日志，{events} 条对话记录事件。")
    return 0
