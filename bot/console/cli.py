"""``python -m bot console [serve] [--host H] [--port P]`` and ``python -m bot console adduser NAME``."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import List, Optional, TextIO

from bot.console import store
from bot.settings import get_settings


def read_password(stdin: TextIO = sys.stdin) -> str:
    """From the terminal (asked twice), or the first line of standard input when piped."""
    if not stdin.isatty():
        return stdin.readline().rstrip("\r\n")
    first = getpass.getpass("密码（至少 10 个字符）：")
    if getpass.getpass("再输入一次：") != first:
        raise store.AccountError("两次输入的密码不一致")
    return first


def adduser(username: str, database_url: Optional[str] = None, stdin: TextIO = sys.stdin) -> int:
    try:
        store.add_user(username, read_password(stdin), database_url)
    except store.AccountError as exc:
        print(f"没有创建账号：{exc}", file=sys.stderr)
        return 1
    print(
        f"账号 {username} 已可登录工作台（python -m bot console 启动，默认 http://127.0.0.1:5010）。"
    )
    return 0


def serve(host: Optional[str] = None, port: Optional[int] = None) -> int:
    from aiohttp import web

    from bot.console.app import ConsoleConfig, create_app

    settings = get_settings()
    host = host or settings.console_host
    port = port or settings.console_port
    config = ConsoleConfig.from_settings()
    print(
        f"工作台：http://{host}:{port}/ （数据库 {config.database_url.split('@')[-1]}）", flush=True
    )
    web.run_app(create_app(config), host=host, port=port, print=None, access_log=None)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot console", description="工作人员网页工作台：报告、待审问题、发布"
    )
    commands = parser.add_subparsers(dest="command")
    serve_parser = commands.add_parser("serve", help="启动工作台（默认）")
    for target in (parser, serve_parser):
        target.add_argument("--host", help="监听地址，默认 CONSOLE_HOST 或 127.0.0.1")
        target.add_argument("--port", type=int, help="端口，默认 CONSOLE_PORT 或 5010")
    add = commands.add_parser("adduser", help="创建账号或重设密码（密码从提示或标准输入读取）")
    add.add_argument("username")
    add.add_argument("--database-url", help="默认 DATABASE_URL")
    return parser


def main(argv: List[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "adduser":
        return adduser(args.username, args.database_url)
    return serve(args.host, args.port)
