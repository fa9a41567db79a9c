"""``python -m bot telegram set-webhook URL`` / ``delete-webhook`` / ``info`` against the fake
Bot API."""

from __future__ import annotations

import asyncio

import pytest

from bot.cli import main as cli_main
from bot.settings import get_settings
from tests.support.telegram_fakes import SECRET, TOKEN, FakeBotAPI


def main(argv):
    """``python -m bot telegram …``"""
    return cli_main(["telegram", *argv])


URL = "https://assistant.example.test/webhooks/telegram/webhook"


@pytest.fixture
async def api(monkeypatch):
    fake = await FakeBotAPI().start()
    monkeypatch.setenv("TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", SECRET)
    monkeypatch.setenv("TELEGRAM_BASE_URL", fake.base_url)
    monkeypatch.delenv("TELEGRAM_WEBHOOK_URL", raising=False)
    get_settings.cache_clear()
    yield fake
    get_settings.cache_clear()
    await fake.stop()


async def run(*argv: str) -> int:
    # main() runs its own event loop (asyncio.run), so it gets a thread of its own
    return await asyncio.to_thread(main, list(argv))


async def test_set_webhook_sends_the_secret(api, capsys):
    assert await run("set-webhook", URL) == 0
    (call,) = api.calls_to("setWebhook")
    assert call["url"] == URL
    assert call["secret_token"] == SECRET
    assert call["allowed_updates"] == ["message", "callback_query"]
    assert "drop_pending_updates" not in call
    assert api.methods() == ["getMe", "setWebhook"]
    assert URL in capsys.readouterr().out


async def test_set_webhook_can_drop_pending_updates(api):
    assert await run("set-webhook", URL, "--drop-pending-updates") == 0
    assert api.calls_to("setWebhook")[0]["drop_pending_updates"] == "true"


@pytest.mark.parametrize("drop", [False, True])
async def test_delete_webhook(api, capsys, drop):
    api.webhook_url = URL
    assert await run("delete-webhook", *(["--drop-pending-updates"] if drop else [])) == 0
    assert api.webhook_url == ""
    (call,) = api.calls_to("deleteWebhook")
    assert ("drop_pending_updates" in call) is drop
    assert "轮询" in capsys.readouterr().out


async def test_info(api, capsys):
    api.webhook_url = URL
    assert await run("info") == 0
    out = capsys.readouterr().out
    assert URL in out and "待投递更新：0" in out


@pytest.mark.parametrize(
    ("env", "argv", "message"),
    [
        ({"TELEGRAM_TOKEN": ""}, ["delete-webhook"], "TELEGRAM_TOKEN"),
        ({"TELEGRAM_SECRET_TOKEN": ""}, ["set-webhook", URL], "TELEGRAM_SECRET_TOKEN"),
        ({"TELEGRAM_SECRET_TOKEN": "有中文"}, ["set-webhook", URL], "只能包含"),
        ({"TELEGRAM_SECRET_TOKEN": "a" * 257}, ["set-webhook", URL], "只能包含"),
        ({}, ["set-webhook", "http://insecure.example.test/webhooks/telegram/webhook"], "https"),
    ],
    ids=["no-token", "no-secret", "secret-charset", "secret-too-long", "http-url"],
)
async def test_refuses_bad_configuration(api, monkeypatch, capsys, env, argv, message):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    assert await run(*argv) == 2
    assert message in capsys.readouterr().err
    assert api.calls == []


async def test_warns_about_an_unexpected_path(api, capsys):
    assert await run("set-webhook", "https://assistant.example.test/hook") == 0
    assert "/webhooks/telegram/webhook" in capsys.readouterr().err


async def test_rejected_token_is_reported_without_printing_it(api, monkeypatch, capsys):
    monkeypatch.setenv("TELEGRAM_TOKEN", "999:not-the-token")
    get_settings.cache_clear()
    assert await run("set-webhook", URL) == 1
    captured = capsys.readouterr()
    assert "拒绝" in captured.err
    assert "not-the-token" not in captured.err + captured.out
    assert api.calls_to("setWebhook") == []


async def test_api_error_is_reported(api, capsys, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    api.fail_next("setWebhook", retry_after=5)
    assert await run("set-webhook", URL) == 1
    assert "RetryAfter" in capsys.readouterr().err


def test_subcommand_is_required(capsys):
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2
