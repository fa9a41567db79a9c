"""``python -m bot train | run | chat``: train the model, serve the assistant, talk to it."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
import uuid

from bot.logs import configure_logging
from bot.ops.runtime_config import check_secret, check_stores
from bot.ops.serve import serve
from bot.ops.training import TrainingFailed, train
from bot.settings import get_settings


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    if command == "train":
        parser.add_argument("--force", action="store_true")
        parser.set_defaults(func=train_command)
    elif command == "run":
        parser.add_argument("--port", type=int)
        parser.set_defaults(func=run)
    elif command == "chat":
        parser.add_argument("--port", type=int)
        parser.set_defaults(func=chat)
    else:
        raise ValueError(command)


def train_command(args: argparse.Namespace) -> int:
    try:
        model, trained = train(force=args.force)
    except TrainingFailed as exc:
        print(exc, file=sys.stderr)
        return 1
    if not trained:
        print(f"模型已是最新（{model.name}），跳过训练。")
    return 0


def run(args: argparse.Namespace) -> int:
    configure_logging()  # LOG_LEVEL; no applicant text below DEBUG (bot/logs.py)
    settings = get_settings()
    check_secret(settings)  # before the minutes of training
    check_stores(settings)
    if args.port:
        settings.port = args.port
    try:
        model, _ = train()
    except TrainingFailed as exc:
        print(exc, file=sys.stderr)
        return 1
    return serve(settings, model)


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
