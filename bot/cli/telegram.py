"""``python -m bot telegram …``: register or remove the bot's webhook with Telegram.

    set-webhook URL     setWebhook(URL, secret_token=TELEGRAM_SECRET_TOKEN)
    delete-webhook      deleteWebhook (the assistant then polls when started)
    info                getWebhookInfo

Reads TELEGRAM_TOKEN, TELEGRAM_SECRET_TOKEN and TELEGRAM_BASE_URL through bot.settings.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys

from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.settings import get_settings
from channels.telegram.polling import ALLOWED_UPDATES

WEBHOOK_PATH = "/webhooks/telegram/webhook"
# Telegram: 1-256 characters, only A-Z, a-z, 0-9, "_" and "-".
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    parser.description = "Telegram 渠道管理"
    commands = parser.add_subparsers(dest="telegram_command", required=True)
    set_hook = commands.add_parser("set-webhook", help="把 Telegram 的推送地址设为 URL（带密钥）")
    set_hook.add_argument("url", help=f"公网 HTTPS 地址，以 {WEBHOOK_PATH} 结尾")
    set_hook.add_argument(
        "--drop-pending-updates", action="store_true", help="丢弃 Telegram 尚未投递的消息"
    )
    delete_hook = commands.add_parser("delete-webhook", help="删除推送地址（改用轮询）")
    delete_hook.add_argument(
        "--drop-pending-updates", action="store_true", help="丢弃 Telegram 尚未投递的消息"
    )
    commands.add_parser("info", help="查看 Telegram 记录的推送地址与待投递数量")
    parser.set_defaults(func=telegram)


def telegram(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.telegram_token:
        print("错误：未设置 TELEGRAM_TOKEN（在 BotFather 创建机器人后获得）。", file=sys.stderr)
        return 2
    secret = settings.telegram_secret_token
    if args.telegram_command == "set-webhook":
        problem = _webhook_problem(args.url, secret)
        if problem:
            print(f"错误：{problem}", file=sys.stderr)
            return 2
        if not args.url.rstrip("/").endswith(WEBHOOK_PATH):
            print(f"提示：助手的接收路径是 {WEBHOOK_PATH}，请确认 URL 指向它。", file=sys.stderr)
    bot = Bot(settings.telegram_token, base_url=settings.telegram_base_url)
    try:
        return asyncio.run(_run(bot, args, secret))
    except InvalidToken:
        print("错误：Telegram 拒绝了这个 TELEGRAM_TOKEN。", file=sys.stderr)
        return 1
    except TelegramError as exc:
        print(f"错误：Telegram 接口调用失败：{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def _webhook_problem(url: str, secret: str | None) -> str | None:
    if not url.startswith("https://"):
        return "Telegram 只向 https:// 地址推送。"
    if not secret:
        return (
            "未设置 TELEGRAM_SECRET_TOKEN；没有它助手会拒绝所有推送。可用 "
            '`python -c "import secrets; print(secrets.token_urlsafe(32))"` 生成一个。'
        )
    if not SECRET_TOKEN.match(secret):
        return "TELEGRAM_SECRET_TOKEN 只能包含 A-Z、a-z、0-9、_ 和 -，长度 1-256。"
    return None


async def _run(bot: Bot, args: argparse.Namespace, secret: str | None) -> int:
    async with bot:  # getMe first: a wrong token fails before anything changes
        if args.telegram_command == "set-webhook":
            await bot.set_webhook(
                args.url,
                secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=args.drop_pending_updates or None,
            )
            print(f"已设置推送地址：{args.url}")
        elif args.telegram_command == "delete-webhook":
            await bot.delete_webhook(drop_pending_updates=args.drop_pending_updates or None)
            print("已删除推送地址；启动助手时将使用轮询（getUpdates）。")
        else:
            info = await bot.get_webhook_info()
            print(f"推送地址：{info.url or '（未设置，轮询模式）'}")
            print(f"待投递更新：{info.pending_update_count}")
            if info.last_error_message:
                print(f"最近错误：{info.last_error_message}")
    return 0
