"""``python -m bot …``: one parser for every operator command (bot/cli/).

The command lines are the ones README.md, docs/*.md and the Makefile tell staff to type; each
must still parse to the command's function. What each command does is tested beside it
(tests/bot/cli/test_wechat.py, tests/bot/kb/test_check.py, tests/bot/questionlog/test_report.py, …).
"""

from __future__ import annotations

import importlib
import shlex
import subprocess
import sys

import pytest

from bot.cli import ALL, COMMANDS, build_parser
from tests.conftest import PROJECT_DIR

DOCUMENTED = [
    "kb check",
    "kb facts",
    "kb try 申报截止时间是什么时候？",
    "kb try --file 问题.txt --compare 旧知识库文件夹",
    "kb export --out faq.xlsx",
    "kb import faq.xlsx --apply",
    "train",
    "train --force",
    "run --port 5005",
    "chat --port 5005",
    "cluster --instances 2 --port 5005 --model models/x.tar.gz",
    "cluster --instances 2 --port 5005 --first-instance-port 7001 --state-dir /tmp/c",
    "cluster --prepare --state-dir /var/lib/shuangchuang --port 80 --instances 2 "
    "--first-instance-port 5006",
    "publish",
    "publish --model models/旧模型.tar.gz",
    "eval tests/data/eval_hard.yml --rest http://localhost:5005/webhooks/rest/webhook",
    "eval a.yml b.yml --wechat http://localhost:5005/webhooks/wechat/webhook --token t "
    "--aes-key k --appid wx --timeout 5",
    "report --since 2021-11-01 --until 2021-11-30 --out 报告.xlsx",
    "report --out r.csv --format csv --database-url sqlite:///x.db --knowledge-dir knowledge",
    "review export --out review.xlsx --since 2026-11-01 --until 2026-11-30",
    "review import review.xlsx --knowledge-dir knowledge",
    "console",
    "console --port 5010",
    "console serve --host 0.0.0.0 --port 5010",
    "console adduser zhangwei",
    "console adduser zhangwei --database-url sqlite:///x.db",
    "purge --days 90 --database-url sqlite:///x.db --tracker-url sqlite:///t.db",
    "wechat menu --dry-run",
    "wechat menu --file knowledge/wechat_menu.yml",
    "wechat config --public-url https://你的域名",
    "wechat simulate 截止时间是哪天",
    "wechat simulate --event CLICK --key DEADLINE --plain --openid o1 --voice",
    "telegram set-webhook https://bot.example.test/webhooks/telegram/webhook "
    "--drop-pending-updates",
    "telegram delete-webhook",
    "telegram info",
]


@pytest.mark.parametrize("line", DOCUMENTED)
def test_documented_command_lines_parse(line):
    argv = shlex.split(line)
    for command in (argv[0], ALL):  # only the command's own group, and every group
        args = build_parser(command).parse_args(argv)
        assert args.command == argv[0]
        assert callable(args.func)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_its_group_and_help(command, capsys):
    module, summary = COMMANDS[command]
    assert module.startswith("bot.cli.") and summary
    assert callable(importlib.import_module(module).add_arguments)
    with pytest.raises(SystemExit) as exit_:
        build_parser(command).parse_args([command, "--help"])
    assert exit_.value.code == 0
    assert "usage: python -m bot " + command in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "code"),
    [([], 2), (["nonsense"], 2), (["kb"], 2), (["review"], 2), (["wechat"], 2)],
)
def test_a_wrong_command_line_is_a_usage_error(argv, code, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser(argv[0] if argv and argv[0] in COMMANDS else None).parse_args(argv)
    assert exit_.value.code == code
    assert "usage:" in capsys.readouterr().err


def test_listing_the_commands_imports_no_command_group():
    code = (
        "import sys; from bot.cli import build_parser; build_parser(None); "
        "print(sorted(m for m in sys.modules if m.startswith('bot.cli.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
