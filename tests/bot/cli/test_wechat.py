"""Operator commands: menu file, menu upload, config, and the simulator against a live channel."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml

from bot.cli import main as cli_main
from bot.kb.load import load_menu
from bot.kb.menu import Menu
from channels.wechat.channel import WeChatInput
from tests.support.wechat_fakes import AES_KEY, APPID, TOKEN, FakeBot, make_channel, serve_channel


def main(argv):
    """``python -m bot wechat …``"""
    return cli_main(["wechat", *argv])


pytestmark = pytest.mark.usefixtures("channel_settings")


@pytest.fixture
def wechat_env(monkeypatch):
    from bot.settings import get_settings

    def set_env(**values):
        for name in (
            "WECHAT_TOKEN",
            "WECHAT_AES_KEY",
            "WECHAT_PREVIOUS_AES_KEY",
            "WECHAT_APPID",
            "WECHAT_SECRET",
            "WECHAT_API_BASE_URL",
            "REDIS_URL",
        ):
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    return set_env


def test_the_shipped_menu_is_valid_and_maps_topics():
    menu = load_menu()
    asks = menu.asks()
    for key in ("DEADLINE", "ADDRESS", "DIRECTIONS", "CONTACT", "SELFCHECK"):
        assert key in asks and not asks[key].startswith("/")
    assert "ask" not in json.dumps(menu.to_wechat())


@pytest.mark.parametrize(
    "data",
    [
        {
            "button": [
                {"name": str(i), "type": "click", "key": f"K{i}", "ask": "问"} for i in range(4)
            ]
        },
        {"button": [{"name": "无问题", "type": "click", "key": "K"}]},
        {"button": [{"name": "坏链接", "type": "view", "url": "ftp://x"}]},
        {
            "button": [
                {
                    "name": "多",
                    "sub_button": [
                        {"name": str(i), "type": "click", "key": "K", "ask": "问"} for i in range(6)
                    ],
                }
            ]
        },
    ],
)
def test_menu_mistakes_are_caught(data):
    with pytest.raises(ValueError):
        Menu.parse_obj(data)


def test_menu_dry_run_prints_the_payload(capsys):
    assert main(["menu", "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["button"]


def test_menu_needs_appid_and_secret(wechat_env, capsys):
    wechat_env()
    assert main(["menu"]) == 1
    assert "WECHAT_APPID" in capsys.readouterr().err


async def test_menu_is_created_through_the_api(wechat_env, fake_wechat_api, tmp_path):
    menu_file = tmp_path / "wechat_menu.yml"
    menu_file.write_text(
        yaml.safe_dump(
            {
                "button": [
                    {
                        "name": "截止时间",
                        "type": "click",
                        "key": "DEADLINE",
                        "ask": "申报截止时间是什么时候？",
                    }
                ]
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    wechat_env(WECHAT_APPID=APPID, WECHAT_SECRET="s", WECHAT_API_BASE_URL=fake_wechat_api.base_url)
    assert await asyncio.to_thread(main, ["menu", "--file", str(menu_file)]) == 0
    [(_, _, sent)] = fake_wechat_api.named("menu")
    assert sent == {"button": [{"type": "click", "name": "截止时间", "key": "DEADLINE"}]}


def test_config_prints_what_to_paste(wechat_env, capsys):
    wechat_env(WECHAT_TOKEN=TOKEN, WECHAT_AES_KEY=AES_KEY, WECHAT_APPID=APPID, WECHAT_SECRET="s")
    assert main(["config", "--public-url", "https://bot.example.test/"]) == 0
    out = capsys.readouterr().out
    assert "https://bot.example.test/webhooks/wechat/webhook" in out
    assert TOKEN in out and AES_KEY in out and "安全模式" in out and "IP白名单" in out
    assert "s\n" not in out  # the AppSecret itself is never printed


@pytest.mark.parametrize(
    "extra", [[], ["--aes-key", AES_KEY, "--appid", APPID]], ids=["plain", "safe"]
)
async def test_simulate_talks_to_a_running_channel(extra, wechat_env, capsys):
    wechat_env()
    bot = FakeBot()
    # a safe-mode channel refuses plaintext, so the plaintext simulator talks to a 明文 channel
    channel = make_channel(aes_key=AES_KEY, appid=APPID) if extra else make_channel()
    async with serve_channel(channel, bot) as url:
        code = await asyncio.to_thread(
            main, ["simulate", "--url", url, "--token", TOKEN, *extra, "截止时间"]
        )
        event = await asyncio.to_thread(
            main,
            [
                "simulate",
                "--url",
                url,
                "--token",
                TOKEN,
                *extra,
                "--event",
                "CLICK",
                "--key",
                "DEADLINE",
            ],
        )
    out = capsys.readouterr().out
    assert code == 0 and event == 0
    assert "助手> 收到：截止时间" in out and "助手> 收到：申报截止时间是什么时候？" in out


def test_from_credentials_reads_keys_and_falls_back_to_settings(wechat_env):
    wechat_env(WECHAT_TOKEN="env-token", WECHAT_APPID=APPID, WECHAT_AES_KEY=AES_KEY)
    channel = WeChatInput.from_credentials(
        {
            "token": "cred-token",
            "reply_budget_seconds": 2,
            "replay_window_seconds": "60",
            "aes_key": "",
        }
    )
    assert channel.verifier.token == "cred-token" and channel.verifier.window == 60
    assert channel.reply_budget == 2.0 and channel.crypto is not None and channel.api is None
    assert WeChatInput.from_credentials(None).verifier.token == "env-token"
    assert WeChatInput.name() == "wechat"


def test_from_credentials_without_a_token_fails_clearly(wechat_env):
    from rasa.shared.exceptions import RasaException

    wechat_env()
    with pytest.raises(RasaException):
        WeChatInput.from_credentials({})


def test_rasa_can_load_the_channel_from_credentials_yml(wechat_env, tmp_path: Path):
    from rasa.core.run import create_http_input_channels

    wechat_env()
    credentials = tmp_path / "credentials.yml"
    credentials.write_text(
        yaml.safe_dump(
            {
                "channels.wechat.channel.WeChatInput": {
                    "token": TOKEN,
                    "aes_key": AES_KEY,
                    "appid": APPID,
                }
            }
        ),
        encoding="utf-8",
    )
    [channel] = create_http_input_channels(None, str(credentials))
    assert isinstance(channel, WeChatInput) and channel.url_prefix() == "wechat"
