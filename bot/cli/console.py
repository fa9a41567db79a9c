"""``python -m bot console [--host H] [--port P]`` and the console's accounts.

serve     the staff web console (``bot.console.app``), 127.0.0.1:5010 unless told otherwise
adduser   create a console account, or set a new password (from the prompt or standard input)
role      set an account's role (editor / publisher / admin), or disable / enable it
users     list the accounts and their roles
Account changes are written to the console's audit log under ``cli:<system user>``.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Optional, TextIO

from bot.console import store
from bot.console.app import ConsoleConfig, run
from bot.kb.history import default_operator
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
    add.add_argument("--role", choices=store.ROLES, help=ROLE_HELP + "；新账号默认 editor")
    add.add_argument("--database-url", help="默认 DATABASE_URL")
    add.set_defaults(func=adduser_command)
    role = actions.add_parser("role", help="设置账号的角色，或停用/启用账号")
    role.add_argument("username")
    role.add_argument("role", nargs="?", choices=store.ROLES, help=ROLE_HELP)
    role.add_argument("--disable", action="store_true", help="停用账号（立即退出登录）")
    role.add_argument("--enable", action="store_true", help="重新启用账号")
    role.add_argument("--database-url", help="默认 DATABASE_URL")
    role.set_defaults(func=role_command)
    users = actions.add_parser("users", help="列出账号和角色")
    users.add_argument("--database-url", help="默认 DATABASE_URL")
    users.set_defaults(func=users_command)


ROLE_HELP = (
    "editor（编辑：改知识库、试答、处理待审问题）、publisher（另可发布、恢复版本）、"
    "admin（另可管理账号）"
)


def operator() -> str:
    return f"cli:{default_operator()}"[:64]


def read_password(stdin: TextIO) -> str:
    """From the terminal (asked twice), or the first line of standard input when piped."""
    if not stdin.isatty():
        return stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"密码（至少 {store.MIN_PASSWORD} 个字符）：")
    if getpass.getpass("再输入一次：") != first:
        raise store.AccountError("两次输入的密码不一致")
    return first


def adduser(
    username: str, database_url: Optional[str], stdin: TextIO, role: Optional[str] = None
) -> int:
    try:
        new = store.add_user(username, read_password(stdin), database_url, role=role)
    except store.AccountError as exc:
        print(f"没有创建账号：{exc}", file=sys.stderr)
        return 1
    detail = ("新建账号" if new else "重设密码") + (f"，角色 {role}" if role else "")
    store.record(operator(), store.ACCOUNT, username, detail, True, database_url)
    settings = get_settings()
    role_now = next(a.role for a in store.accounts(database_url) if a.username == username)
    print(
        f"账号 {username}（{store.ROLE_LABELS[role_now]}）已可登录工作台"
        f"（python -m bot console 启动，http://{settings.console_host}:{settings.console_port}/）。"
    )
    return 0


def adduser_command(args: argparse.Namespace) -> int:
    return adduser(args.username, args.database_url, sys.stdin, args.role)


def role_command(args: argparse.Namespace) -> int:
    if args.role is None and not (args.disable or args.enable):
        print("请给出角色（editor / publisher / admin）或 --disable / --enable。", file=sys.stderr)
        return 2
    disabled = True if args.disable else False if args.enable else None
    try:
        changed = store.set_role(args.username, args.role, disabled, args.database_url)
    except store.AccountError as exc:
        print(f"没有修改：{exc}", file=sys.stderr)
        return 1
    if not changed:
        print(f"账号 {args.username} 没有变化。")
        return 0
    store.record(operator(), store.ACCOUNT, args.username, changed, True, args.database_url)
    print(f"账号 {args.username}：{changed}（下次登录起生效）。")
    return 0


def users_command(args: argparse.Namespace) -> int:
    found = store.accounts(args.database_url)
    if not found:
        print("还没有账号：python -m bot console adduser 用户名 --role admin")
        return 0
    for account in found:
        state = "（已停用）" if account.disabled else ""
        print(f"  {account.username}  {account.role_label}（{account.role}）{state}")
    return 0


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
