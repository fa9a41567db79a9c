"""Operator command line: ``python -m bot <command>``."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, List, Optional

from bot import evaluation, kb_cli
from bot.kb.check import check_directory
from bot.kb.facts import CONTEXT_NAMES, DYNAMIC_NAMES, static_facts
from bot.kb.loader import load_knowledge
from bot.settings import get_settings


def kb_check(_: argparse.Namespace) -> int:
    problems = check_directory(get_settings().knowledge_dir)
    if problems:
        print(f"知识库检查未通过，共 {len(problems)} 个问题：", file=sys.stderr)
        for number, problem in enumerate(problems, 1):
            print(f"  {number}. {problem}", file=sys.stderr)
        return 1
    print("知识库检查通过。")
    return 0


def kb_facts(_: argparse.Namespace) -> int:
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
    from bot.serve import check_secret, check_stores, serve
    from bot.serve import train as train_model

    settings = get_settings()
    check_secret(settings)  # before the minutes of training
    check_stores(settings)
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


def rest_sender(url: str, timeout: float) -> Callable[[str, evaluation.Turn], str]:
    """Send one turn through Rasa's REST channel; the reply texts joined by newlines."""

    def send(sender: str, turn: evaluation.Turn) -> str:
        body = json.dumps({"sender": sender, "message": turn.say}).encode()
        request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            replies = json.loads(response.read().decode("utf-8") or "[]")
        if not isinstance(replies, list):
            raise ValueError(f"REST reply is not a list: {str(replies)[:100]}")
        return "\n".join(
            r.get("text", "") for r in replies if isinstance(r, dict) and r.get("text")
        )

    return send


def wechat_sender(args: argparse.Namespace) -> Callable[[str, evaluation.Turn], str]:
    """Send one turn as WeChat's server would (signed; encrypted with --aes-key)."""
    from bot.wechat_cli import build_message, post_as_wechat

    msg_ids = iter(range(10**15 + uuid.uuid4().int % 10**15, 10**17))

    def send(sender: str, turn: evaluation.Turn) -> str:
        sim = SimpleNamespace(
            url=args.wechat,
            token=args.token,
            aes_key=args.aes_key,
            appid=args.appid or "wx_eval",
            plain=not args.aes_key,
            openid=sender,
            event=turn.event or None,
            key=turn.key,
            voice=False,
            timeout=args.timeout,
        )
        status, reply = post_as_wechat(sim, build_message(sim, turn.say, next(msg_ids)))
        if status != 200:
            raise ValueError(f"HTTP {status}: {reply.strip()[:100]}")
        return "" if reply.strip() == "success" else reply

    return send


def reachable(url: str, timeout: float) -> bool:
    """Whether anything answers HTTP at ``url`` (any status, even 403/405, counts)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def eval_cases(args: argparse.Namespace) -> int:
    """Right / honest / wrong counts per cases file against a running assistant."""
    try:
        files = [(path, evaluation.load_cases(Path(path))) for path in args.files]
    except evaluation.CaseFileError as err:
        print(f"用例文件有问题：{err}", file=sys.stderr)
        return 2
    if args.wechat:
        if not args.token:
            print("--wechat 需要 --token（公众号令牌）。", file=sys.stderr)
            return 2
        url, send, events = args.wechat, wechat_sender(args), True
    else:
        url = args.rest or f"http://localhost:{get_settings().port}/webhooks/rest/webhook"
        send, events = rest_sender(url, args.timeout), False
    if not reachable(url, args.timeout):
        print(f"连不上助手（{url}）。请先在另一个终端运行 make run。", file=sys.stderr)
        return 2
    total = evaluation.Tally()
    answered = 0
    for path, cases in files:
        results, skipped = evaluation.run_cases(cases, send, events=events)
        answered += sum(not evaluation.request_failed(r) for r in results)
        counts = evaluation.tally(results, skipped)
        print(evaluation.format_report(path, counts, results))
        for outcome in evaluation.OUTCOMES:
            total.counts[outcome] += counts.counts[outcome]
        total.skipped += counts.skipped
        total.latencies += counts.latencies
    if not answered and total.total:
        print("连不上助手：没有一个请求得到回答。请先在另一个终端运行 make run。", file=sys.stderr)
        return 2
    if len(files) > 1:
        print("== all files\n  " + evaluation.format_counts(total))
    return 1 if total.counts[evaluation.WRONG] else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="双创申报助手 operator commands"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    kb = commands.add_parser("kb", help="知识库 knowledge base").add_subparsers(
        dest="kb_command", required=True
    )
    kb.add_parser("check", help="检查 knowledge/ 的所有文件").set_defaults(func=kb_check)
    kb.add_parser("facts", help="列出回答模板可引用的事实").set_defaults(func=kb_facts)
    kb_cli.add_commands(kb)

    train_parser = commands.add_parser("train", help="从知识库生成训练数据，必要时训练模型")
    train_parser.add_argument("--force", action="store_true")
    train_parser.set_defaults(func=train)

    run_parser = commands.add_parser("run", help="训练（如需）并启动助手")
    run_parser.add_argument("--port", type=int)
    run_parser.set_defaults(func=run)

    chat_parser = commands.add_parser("chat", help="在终端与运行中的助手对话")
    chat_parser.add_argument("--port", type=int)
    chat_parser.set_defaults(func=chat)

    eval_parser = commands.add_parser(
        "eval", help="对运行中的助手跑对话用例，统计 right / honest / wrong"
    )
    eval_parser.add_argument("files", nargs="+", metavar="FILE", help="用例文件（YAML）")
    where = eval_parser.add_mutually_exclusive_group()
    where.add_argument(
        "--rest",
        metavar="URL",
        help="REST 通道地址（默认 http://localhost:PORT/webhooks/rest/webhook）",
    )
    where.add_argument("--wechat", metavar="URL", help="微信通道地址（模拟微信服务器签名发送）")
    eval_parser.add_argument("--token", default="", help="微信令牌（与 --wechat 一起用）")
    eval_parser.add_argument("--aes-key", default="", help="EncodingAESKey：用安全模式加密发送")
    eval_parser.add_argument("--appid", default="", help="AppID（与 --aes-key 一起用）")
    eval_parser.add_argument("--timeout", type=float, default=10.0)
    eval_parser.set_defaults(func=eval_cases)

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
    "publish": ("bot.publish", "训练（如需）并不停机地切换到新模型"),
    "console": ("bot.console.cli", "工作人员网页工作台（报告、待审问题、发布）；adduser 创建账号"),
}


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        return importlib.import_module(DELEGATED[argv[0]][0]).main(argv[1:])
    args = build_parser().parse_args(argv)
    return args.func(args)
