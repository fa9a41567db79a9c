"""The operator command line, ``python -m bot <command> …`` — the only place that parses arguments.

Every command belongs to a command-group module of this package (``COMMANDS`` names it). A
group module has ``add_arguments(command, parser)``: it declares the command's options and
sets ``func`` (``parser.set_defaults(func=…)``), a function ``(argparse.Namespace) -> int``
that calls plain functions of the library (``bot/…``) and prints for staff.

Only the group of the command being run is imported, so ``python -m bot kb check`` does not
load SQLAlchemy, wechatpy, python-telegram-bot or Rasa. ``python -m bot --help`` lists every
command from ``COMMANDS`` without importing any group.

Adding a command: a row in ``COMMANDS`` and its branch in the group's ``add_arguments`` (or
a new ``bot/cli/<group>.py``); tests in ``tests/bot/cli/``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Dict, List, Optional, Tuple

# command → (group module, one-line help shown by ``python -m bot --help``)
COMMANDS: Dict[str, Tuple[str, str]] = {
    "kb": (
        "bot.cli.kb",
        "知识库 knowledge base：check、facts、try、export、import、history、save、revert",
    ),
    "train": ("bot.cli.serve", "从知识库生成训练数据，必要时训练模型"),
    "run": ("bot.cli.serve", "训练（如需）并启动助手"),
    "chat": ("bot.cli.serve", "在终端与运行中的助手对话"),
    "cluster": ("bot.cli.cluster", "N 个 Rasa 实例 + 动作服务器，由 nginx 分发（make cluster）"),
    "publish": ("bot.cli.publish", "训练（如需）并不停机地切换到新模型"),
    "eval": ("bot.cli.evaluate", "对运行中的助手跑对话用例，统计 right / honest / wrong"),
    "report": ("bot.cli.questionlog", "提问统计报表"),
    "review": ("bot.cli.questionlog", "未答问题导出/导入"),
    "purge": ("bot.cli.questionlog", "按保留期限删除提问记录"),
    "console": ("bot.cli.console", "工作人员网页工作台（报告、待审问题、发布）；adduser 创建账号"),
    "wechat": ("bot.cli.wechat", "微信公众号：菜单、配置、模拟器"),
    "telegram": ("bot.cli.telegram", "Telegram：设置/删除 webhook"),
}

ALL = "*"


def build_parser(command: Optional[str] = ALL) -> argparse.ArgumentParser:
    """The parser; with ``command`` only that command's group is imported and declared."""
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="双创申报助手 operator commands"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (module, summary) in COMMANDS.items():
        sub = commands.add_parser(
            name,
            help=summary,
            description=summary,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if command in (ALL, name):
            importlib.import_module(module).add_arguments(name, sub)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in COMMANDS else None
    args = build_parser(command).parse_args(argv)
    return args.func(args)
