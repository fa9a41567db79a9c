"""Operator command line: ``python -m bot <command>``."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import urllib.request
import uuid
from typing import List, Optional

from bot.settings import get_settings


def kb_check(_: argparse.Namespace) -> int:
    from bot.kb.check import check_directory

    problems = check_directory(get_settings().knowledge_dir)
    if problems:
        print(f"知识库检查未通过，共 {len(problems)} 个问题：", file=sys.stderr)
        for number, problem in enumerate(problems, 1):
            print(f"  {number}. {problem}", file=sys.stderr)
        return 1
    print("知识库检查通过。")
    return 0


def kb_facts(_: argparse.Namespace) -> int:
    from bot.kb.facts import CONTEXT_NAMES, DYNAMIC_NAMES, static_facts
    from bot.kb.loader import load_knowledge

    kb = load_knowledge(get_settings().knowledge_dir)
    print("回答模板中可用的事实名称（{名称}）：")
    for name, fact in static_facts(kb).items():
        preview = fact.text.replace("\n", " ")
        print(f"  {{{name}}}  〔{fact.clause}〕 {preview[:60]}{'…' if len(preview) > 60 else ''}")
    print("随日期变化：" + "、".join(f"{{{n}}}" for n in sorted(DYNAMIC_NAMES)))
    for kind, names in CONTEXT_NAMES.items():
        print(f"仅在 when.{kind} 中可用：" + "、".join(f"{{{n}}}" for n in sorted(names)))
    return 0


def train(args: argparse.Namespace) -> int:
    from bot.serve import train as train_model

    train_model(force=args.force)
    return 0


def run(args: argparse.Namespace) -> int:
    from bot.serve import check_secret, serve
    from bot.serve import train as train_model

    settings = get_settings()
    check_secret(settings)  # before the minutes of training
    if args.port:
        settings.port = args.port
    return serve(settings, train_model())


def chat(args: argparse.Namespace) -> int:
    """A terminal conversation with the running assistant over the REST channel."""
    url = f"http://localhost:{args.port or get_settings().port}/webhooks/rest/webhook"
    sender = f"terminal-{uuid.uuid4().hex[:8]}"
    print("输入问题后回车；输入 exit 退出。")
    while True:
        try:
            text = input("你：").strip()
        except (EOFError, KeyboardInterrupt):
            return 0
        if text in ("exit", "quit", "退出"):
            return 0
        if not text:
            continue
        body = json.dumps({"sender": sender, "message": text}).encode()
        request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                replies = json.loads(response.read())
        except OSError as exc:
            print(f"连不上助手（{exc}）。请先在另一个终端运行 make run。")
            continue
        for reply in replies:
            print("助手：" + reply.get("text", ""))
            for number, button in enumerate(reply.get("buttons") or [], 1):
                print(f"   {number}. {button.get('title')}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="双创申报助手 operator commands")
    commands = parser.add_subparsers(dest="command", required=True)

    kb = commands.add_parser("kb", help="知识库 knowledge base").add_subparsers(dest="kb_command", required=True)
    kb.add_parser("check", help="检查 knowledge/ 的所有文件").set_defaults(func=kb_check)
    kb.add_parser("facts", help="列出回答模板可引用的事实").set_defaults(func=kb_facts)

    train_parser = commands.add_parser("train", help="从知识库生成训练数据，必要时训练模型")
    train_parser.add_argument("--force", action="store_true")
    train_parser.set_defaults(func=train)

    run_parser = commands.add_parser("run", help="训练（如需）并启动助手")
    run_parser.add_argument("--port", type=int)
    run_parser.set_defaults(func=run)

    chat_parser = commands.add_parser("chat", help="在终端与运行中的助手对话")
    chat_parser.add_argument("--port", type=int)
    chat_parser.set_defaults(func=chat)

    for name, (_, summary) in DELEGATED.items():
        commands.add_parser(name, help=summary, add_help=False)
    return parser


# Commands with their own argument parsers: ``python -m bot <name> …`` → ``<module>.main(argv)``.
DELEGATED = {
    "wechat": ("bot.wechat_cli", "微信公众号：菜单、配置、模拟器"),
    "telegram": ("bot.telegram_cli", "Telegram：设置/删除 webhook"),
    "report": ("bot.questionlog.report", "提问统计报表"),
    "review": ("bot.questionlog.review", "未答问题导出/导入"),
    "purge": ("bot.questionlog.purge", "按保留期限删除提问记录"),
}


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        return importlib.import_module(DELEGATED[argv[0]][0]).main(argv[1:])
    args = build_parser().parse_args(argv)
    return args.func(args)
