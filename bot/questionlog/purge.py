"""``python -m bot purge [--days N]``: delete question-log rows older than the retention period."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import List


def purge(days: int, url: str | None = None, now: dt.datetime | None = None) -> int:
    """Delete rows older than ``days`` days; return how many were deleted."""
    from sqlalchemy import delete

    from bot.questionlog.db import session_scope
    from bot.questionlog.models import QuestionLogEntry

    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    cutoff = now - dt.timedelta(days=days)
    with session_scope(url) as session:
        result = session.execute(delete(QuestionLogEntry).where(QuestionLogEntry.created_at < cutoff))
        return int(result.rowcount or 0)


def main(argv: List[str] | None = None) -> int:
    from bot.settings import get_settings

    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m bot purge", description="删除超过保留期的问题日志")
    parser.add_argument("--days", type=int, default=settings.retention_days, help=f"保留天数，默认 RETENTION_DAYS={settings.retention_days}")
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    if args.days < 0:
        print("--days 不能为负数", file=sys.stderr)
        return 2
    try:
        deleted = purge(args.days, args.database_url)
    except Exception as exc:
        print(f"清理失败：{exc}", file=sys.stderr)
        return 1
    print(f"已删除 {deleted} 条超过 {args.days} 天的问题日志。")
    return 0
