"""python -m bot console adduser: the password from standard input (or asked twice)."""

from __future__ import annotations

import io

import pytest

from bot.console import cli, store
from tests.questionlog.conftest import db_url, postgres_schema  # noqa: F401


def test_adduser_reads_the_password_from_stdin(db_url, capsys):  # noqa: F811
    assert cli.adduser("li.ming", db_url, io.StringIO("a long password\n")) == 0
    assert "li.ming" in capsys.readouterr().out
    assert store.verify("li.ming", "a long password", db_url)


def test_adduser_refuses_a_short_password(db_url, capsys):  # noqa: F811
    assert cli.adduser("li.ming", db_url, io.StringIO("short\n")) == 1
    assert "至少" in capsys.readouterr().err
    assert not store.is_active("li.ming", db_url)


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


def test_the_parser():
    args = cli.build_parser().parse_args(["adduser", "li.ming"])
    assert args.command == "adduser" and args.username == "li.ming"
    args = cli.build_parser().parse_args(["--port", "5999"])
    assert args.command is None and args.port == 5999
