"""python -m bot console adduser: the password from standard input (or asked twice)."""

from __future__ import annotations

import io

import pytest

from bot.cli import build_parser
from bot.cli import console as cli
from bot.cli import main as cli_main
from bot.console import store
from tests.bot.questionlog.conftest import db_url, postgres_schema  # noqa: F401


def test_adduser_reads_the_password_from_stdin(db_url, capsys):  # noqa: F811
    assert cli.adduser("li.ming", db_url, io.StringIO("a long password\n")) == 0
    assert "li.ming" in capsys.readouterr().out
    assert store.verify("li.ming", "a long password", db_url)


def test_adduser_refuses_a_short_password(db_url, capsys):  # noqa: F811
    assert cli.adduser("li.ming", db_url, io.StringIO("short\n")) == 1
    assert "至少" in capsys.readouterr().err
    assert not store.is_active("li.ming", url=db_url)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("answers", "ok"), [(["pw is long enough"] * 2, True), (["one pw", "two pw"], False)]
)
def test_on_a_terminal_the_password_is_asked_twice(monkeypatch, answers, ok):
    replies = iter(answers)
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt: next(replies))
    if ok:
        assert cli.read_password(Terminal()) == answers[0]
    else:
        with pytest.raises(store.AccountError, match="不一致"):
            cli.read_password(Terminal())


@pytest.mark.parametrize(
    ("argv", "func", "port"),
    [
        (["console"], cli.serve_command, None),
        (["console", "--port", "5999"], cli.serve_command, 5999),
        (["console", "serve", "--port", "5999"], cli.serve_command, 5999),
        (["console", "adduser", "li.ming"], cli.adduser_command, None),
    ],
)
def test_the_command_lines(argv, func, port):
    args = build_parser("console").parse_args(argv)
    assert args.func is func
    assert getattr(args, "port", None) == port


def test_serve_runs_the_app_with_the_settings(monkeypatch, tmp_path, capsys):
    from bot.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", "postgresql://user:secret@db.example/ql")
    monkeypatch.setenv("CONSOLE_SECRET", "k")
    get_settings.cache_clear()
    served = []
    monkeypatch.setattr(cli, "run", lambda config, host, port: served.append((config, host, port)))
    try:
        assert cli.serve_command(build_parser("console").parse_args(["console"])) == 0
    finally:
        get_settings.cache_clear()
    [(config, host, port)] = served
    assert (host, port) == ("127.0.0.1", 5010) and config.secret == "k"
    out = capsys.readouterr().out
    assert "secret" not in out and "db.example/ql" in out


def test_roles_from_the_command_line_are_audited(db_url, capsys):  # noqa: F811

    assert cli.adduser("wang.fang", db_url, io.StringIO("a long password\n"), "publisher") == 0
    assert "（发布）" in capsys.readouterr().out
    assert cli_main(["console", "role", "wang.fang", "admin", "--database-url", db_url]) == 0
    assert "角色 发布 → 管理员" in capsys.readouterr().out
    assert cli_main(["console", "role", "wang.fang", "--disable", "--database-url", db_url]) == 0
    assert cli_main(["console", "users", "--database-url", db_url]) == 0
    assert "wang.fang  管理员（admin）（已停用）" in capsys.readouterr().out
    assert cli_main(["console", "role", "nobody", "editor", "--database-url", db_url]) == 1
    audit = [(e.username.startswith("cli:"), e.target, e.detail) for e in store.recent(10, db_url)]
    assert (True, "wang.fang", "停用") in audit and (
        True,
        "wang.fang",
        "新建账号，角色 publisher",
    ) in audit
