"""``python -m bot console [--host H] [--port P]`` and ``python -m bot console adduser NAME``.

serve     the staff web console (``bot.console.app``), 127.0.0.1:5010 unless told otherwise
adduser   create a console account, or set a new password (from the prompt or standard input)
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Optional, TextIO

from bot.console import store
from bot.console.app import ConsoleConfig, run
from bot.logs import configure_logging
from bot.settings import get_settings


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    parser.description = "工作人员网页工作台：报告、待审问题、对话、发布、操作记录"
    parser.add_argument("--host", help="监听地址，默认 CONSOLE_HOST 或 127.0.0.1")
    parser.add_argument("--port", type=int, help="端口，默认 CONSOLE_PORT 或 5010")
    parser.set_defaults(func=serve_command)
    actions = parser.add_subparsers(dest="console_command")
    serve = actions.add_parser("serve", help="启动工作台（默认）")
    serve.add_argument("--host", help="监听地址，默认 CONSOLE_HOST 或 127.0.0.1")
    serve.add_argument("--port", type=int, help="端口，默认 CONSOLE_PORT 或 5010")
    serve.set_defaults(func=serve_command)
    add = actions.add_parser("adduser", help="创建账号或重设密码（密码从提示或标准输入读取）")
    add.add_argument("username")
    add.add_argument("--database-url", help="默认 DATABASE_URL")
    add.set_defaults(func=adduser_command)


def read_password(stdin: TextIO) -> str:
    """From the terminal (asked twice), or the first line of standard input when piped."""
    if not stdin.isatty():
        return stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"密码（至少 {store.MIN_PASSWORD} 个字符）：")
    if getpass.getpass("再输入一次：") != first:
        raise store.AccountError("两次输入的密码不一致")
    return first


def adduser(username: str, database_url: Optional[str], stdin: TextIO) -> int:
    try:
        store.add_user(username, read_password(stdin), database_url)
    except store.AccountError as exc:
        print(f"没有创建账号：{exc}", file=sys.stderr)
        return 1
    settings = get_settings()
    print(
        f"账号 {username} 已可登录工作台"
        f"（python -m bot console 启动，http://{settings.console_host}:{settings.console_port}/）。"
    )
    return 0


def adduser_command(args: argparse.Namespace) -> int:
    return adduser(args.username, args.database_url, sys.stdin)


def serve_command(args: argparse.Namespace) -> int:
    configure_logging()  # LOG_LEVEL; no applicant text below DEBUG (bot/logs.py)
    settings = get_settings()
    host = args.host or settings.console_host
    port = args.port or settings.console_port
    config = ConsoleConfig.from_settings()
    where = (config.database_url or "").rsplit("@", 1)[-1]  # never print a password
    print(
        f"工作台：http://{host}:{port}/ （问题日志 {where}，知识库 {config.knowledge_dir}）",
        flush=True,
    )
    run(config, host, port)
    return 0
