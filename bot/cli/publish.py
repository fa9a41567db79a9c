"""``python -m bot publish [--model PATH] [--by NAME]``: train if needed, swap the model in
without a stop."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.kb.history import default_operator
from bot.ops.publish import publish
from bot.settings import get_settings


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    parser.description = "训练（如需）并不停机地切换到与当前知识库对应的模型"
    parser.add_argument("--model", type=Path, help="直接切换到这个模型（不训练），例如换回旧模型")
    parser.add_argument(
        "--by", default=default_operator(), help="操作人（记入知识库历史，默认当前系统用户）"
    )
    parser.add_argument("--note", default="", help="为什么发布（记入知识库历史）")
    parser.set_defaults(func=publish_command)


def publish_command(args: argparse.Namespace) -> int:
    return publish(get_settings(), args.model, by=args.by, note=args.note)
