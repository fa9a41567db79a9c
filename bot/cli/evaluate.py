"""``python -m bot eval FILE…``: right / honest / wrong counts against a running assistant."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, List

import yaml

from bot.cli.wechat import build_message, post_as_wechat
from bot.kb.load import shared_cache
from bot.ops import evaluation, heldout
from bot.ops.in_process import InProcessAssistant
from bot.ops.preview import ModelParser
from bot.ops.training import model_for
from bot.settings import get_settings


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="用例文件（YAML）")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--rest",
        metavar="URL",
        help="REST 通道地址（默认 http://localhost:PORT/webhooks/rest/webhook）",
    )
    where.add_argument("--wechat", metavar="URL", help="微信通道地址（模拟微信服务器签名发送）")
    parser.add_argument("--token", default="", help="微信令牌（与 --wechat 一起用）")
    parser.add_argument("--aes-key", default="", help="EncodingAESKey：用安全模式加密发送")
    parser.add_argument("--appid", default="", help="AppID（与 --aes-key 一起用）")
    where.add_argument(
        "--in-process",
        action="store_true",
        help="不连服务器：在本进程加载模型，用同一个回答决策作答（自测多轮对话不演示）",
    )
    parser.add_argument("--model", metavar="FILE", help="与 --in-process 一起用：指定模型文件")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.set_defaults(func=eval_cases)


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


def in_process_assistant(args: argparse.Namespace) -> InProcessAssistant | None:
    """The assistant in this process with the trained model and the one decision."""
    settings = get_settings()
    cache = shared_cache(settings.knowledge_dir)
    model = Path(args.model) if args.model else model_for(cache.get())
    if not model.is_file():
        print(f"没有找到模型 {model}：请先运行 python -m bot train。", file=sys.stderr)
        return None
    parser = ModelParser(model)
    return InProcessAssistant(cache.get, parser.parse_all, settings.today_or_now)


def in_process_send(assistant: InProcessAssistant) -> Callable[[str, evaluation.Turn], str]:
    """Answer each turn in this process."""

    def send(sender: str, turn: evaluation.Turn) -> str:
        return "\n".join(assistant.say(sender, turn.say))

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


def eval_paraphrases(assistant: InProcessAssistant, path: str) -> int:
    """Held-out paraphrases (a Rasa NLU file) through the decision: the wrong count."""
    kb = assistant.knowledge()
    rows = []
    for number, (gold, text) in enumerate(heldout.load_paraphrases(Path(path))):
        answers = assistant.answers(f"heldout-{number}", text)
        replies = [heldout.reply_of(a.intent, a.decision) for a in answers]
        outcome, why = heldout.judge(heldout.gold_of(kb, gold), replies)
        rows.append((gold, text, outcome, why))
    print(heldout.format_report(path, rows))
    return heldout.tally([row[2] for row in rows])[heldout.WRONG]


def nlu_files(paths: List[str]) -> List[str]:
    """The files among ``paths`` that are Rasa NLU data (held-out paraphrases), not cases."""
    found = []
    for path in paths:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # load_cases says what is wrong with it
        if heldout.is_nlu_file(data):
            found.append(path)
    return found


def eval_cases(args: argparse.Namespace) -> int:
    """Right / honest / wrong counts per cases file against a running assistant; held-out
    paraphrases (an NLU file) are judged through the decision, in-process only."""
    paraphrase_files = nlu_files(args.files)
    if paraphrase_files and not args.in_process:
        print("释义集（NLU 文件）只能用 --in-process 评测。", file=sys.stderr)
        return 2
    try:
        files = [
            (path, evaluation.load_cases(Path(path)))
            for path in args.files
            if path not in paraphrase_files
        ]
    except evaluation.CaseFileError as err:
        print(f"用例文件有问题：{err}", file=sys.stderr)
        return 2
    wrong_paraphrases = 0
    if args.in_process:
        assistant = in_process_assistant(args)
        if assistant is None:
            return 2
        send, events = in_process_send(assistant), False
        for path in paraphrase_files:
            wrong_paraphrases += eval_paraphrases(assistant, path)
    elif args.wechat:
        if not args.token:
            print("--wechat 需要 --token（公众号令牌）。", file=sys.stderr)
            return 2
        url, send, events = args.wechat, wechat_sender(args), True
    else:
        url = args.rest or f"http://localhost:{get_settings().port}/webhooks/rest/webhook"
        send, events = rest_sender(url, args.timeout), False
    if not args.in_process and not reachable(url, args.timeout):
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
    return 1 if total.counts[evaluation.WRONG] or wrong_paraphrases else 0
