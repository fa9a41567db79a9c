"""Operator commands for the WeChat official account (``python -m bot wechat …``).

menu       publish knowledge/wechat_menu.yml as the account's custom menu
config     print what the account's 服务器配置 must say
simulate   play WeChat against a running server and print the replies
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable, Tuple
from urllib.parse import urlencode

import requests
from wechatpy.crypto import WeChatCrypto

from bot.kb.load import load_menu, menu_path
from bot.settings import get_settings
from channels.wechat.api import make_client
from channels.wechat.security import make_signature

WEBHOOK_PATH = "/webhooks/wechat/webhook"
SIM_ACCOUNT = "gh_simulator"


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    s = get_settings()
    parser.description = __doc__
    sub = parser.add_subparsers(dest="wechat_command", required=True)

    menu = sub.add_parser("menu", help="创建/更新公众号自定义菜单")
    menu.add_argument("--file", help="菜单文件（默认 knowledge/wechat_menu.yml）")
    menu.add_argument("--dry-run", action="store_true", help="只打印将要提交的菜单 JSON")
    menu.set_defaults(func=cmd_menu)

    config = sub.add_parser("config", help="打印公众号后台“服务器配置”应填写的内容")
    config.add_argument(
        "--public-url",
        default="https://你的域名",
        help="服务器对外的 https 地址，例如 https://bot.example.gov.cn",
    )
    config.set_defaults(func=cmd_config)

    sim = sub.add_parser("simulate", help="模拟微信服务器向运行中的助手发消息")
    sim.add_argument("text", nargs="*", help="要发送的文字；不写则进入交互模式")
    sim.add_argument("--url", default=f"http://localhost:{s.port}{WEBHOOK_PATH}")
    sim.add_argument("--token", default=s.wechat_token)
    sim.add_argument("--aes-key", default=s.wechat_aes_key, help="给出则用安全模式（加密）")
    sim.add_argument("--appid", default=s.wechat_appid or "wx_simulator")
    sim.add_argument("--plain", action="store_true", help="即使配置了 AES key 也用明文模式")
    sim.add_argument("--openid", default="o_simulator")
    sim.add_argument(
        "--event", choices=["subscribe", "unsubscribe", "CLICK"], help="发送事件而不是文字"
    )
    sim.add_argument("--key", default="", help="CLICK 事件的菜单 key，例如 DEADLINE")
    sim.add_argument(
        "--voice", action="store_true", help="把文字作为语音识别结果（Recognition）发送"
    )
    sim.add_argument("--timeout", type=float, default=10.0)
    sim.set_defaults(func=cmd_simulate)
    for command_parser in (menu, config, sim):
        command_parser.set_defaults(func=_ctrl_c_ends(command_parser.get_default("func")))


def _ctrl_c_ends(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Ctrl+C (e.g. leaving the interactive simulator) ends the command with 130, no traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except KeyboardInterrupt:
            return 130

    return run


# -- menu -------------------------------------------------------------------


def cmd_menu(args: argparse.Namespace) -> int:
    path = Path(args.file) if args.file else menu_path()
    try:
        menu = load_menu(path)
    except Exception as err:  # show staff what is wrong with the file, not a traceback
        print(f"菜单文件 {path} 有问题：\n{err}", file=sys.stderr)
        return 1
    payload = menu.to_wechat()
    if args.dry_run:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    s = get_settings()
    if not (s.wechat_appid and s.wechat_secret):
        print("需要设置 WECHAT_APPID 和 WECHAT_SECRET 才能发布菜单。", file=sys.stderr)
        return 1
    client = make_client(s.wechat_appid, s.wechat_secret, s.wechat_api_base_url, s.redis_url)
    try:
        result = client.menu.create(payload)
    except Exception as err:  # WeChatClientException carries errcode/errmsg
        print(f"发布菜单失败：{err}", file=sys.stderr)
        return 1
    print(f"菜单已发布（{len(menu.asks())} 个点击项）：{json.dumps(result, ensure_ascii=False)}")
    return 0


# -- config -----------------------------------------------------------------


def cmd_config(args: argparse.Namespace) -> int:
    s = get_settings()
    mode = (
        "安全模式（推荐）"
        if s.wechat_aes_key
        else "明文模式（设置 WECHAT_AES_KEY 后可改用安全模式）"
    )
    token_store = (
        f"Redis（{s.redis_url.split('@')[-1]}）"
        if s.redis_url
        else "进程内存（多台服务器请设置 REDIS_URL）"
    )
    lines = [
        "在 公众号后台 → 设置与开发 → 基本配置 → 服务器配置 中填写：",
        f"  服务器地址(URL)：       {args.public_url.rstrip('/')}{WEBHOOK_PATH}",
        f"  令牌(Token)：           {s.wechat_token or '（未设置 WECHAT_TOKEN，通道不会启用）'}",
        "  消息加解密密钥：        "
        f"{s.wechat_aes_key or '（未设置 WECHAT_AES_KEY；可在后台随机生成后填入环境变量）'}",
        f"  消息加解密方式：        {mode}",
        "",
        f"  AppID：                 {s.wechat_appid or '（未设置 WECHAT_APPID）'}",
        "  AppSecret：             "
        f"{'已设置' if s.wechat_secret else '未设置（回答超过 5 秒时无法用客服消息补发）'}",
        f"  API 地址：              {s.wechat_api_base_url}",
        f"  access_token 存储：     {token_store}",
        "",
        "  IP 白名单：把本服务器的出口公网 IP 加入 基本配置 → IP白名单，否则获取 access_token、",
        "  发送客服消息和发布菜单都会失败（errcode 40164）。",
        "  修改 EncodingAESKey 时，把旧值放进 WECHAT_PREVIOUS_AES_KEY，过渡期内新旧消息都能解密。",
    ]
    print("\n".join(lines))
    return 0


# -- simulate ---------------------------------------------------------------


def build_message(args: argparse.Namespace, text: str, msg_id: int) -> str:
    now = int(time.time())
    head = (
        f"<xml><ToUserName><![CDATA[{SIM_ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{args.openid}]]></FromUserName><CreateTime>{now}</CreateTime>"
    )
    if args.event:
        return (
            head + f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{args.event}]]></Event>"
            f"<EventKey><![CDATA[{args.key}]]></EventKey></xml>"
        )
    if args.voice:
        return (
            head + "<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[sim]]></MediaId>"
            f"<Format><![CDATA[amr]]></Format><Recognition><![CDATA[{text}]]></Recognition>"
            f"<MsgId>{msg_id}</MsgId></xml>"
        )
    return (
        head + f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


def post_as_wechat(args: argparse.Namespace, xml: str) -> Tuple[int, str]:
    """Sign (and encrypt) like WeChat, post, decrypt the reply: (status, reply text or body)."""

    timestamp = str(int(time.time()))
    nonce = "".join(random.choices(string.digits, k=10))
    query = {
        "signature": make_signature(args.token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": args.openid,
    }
    crypto: WeChatCrypto | None = None
    body = xml
    if args.aes_key and not args.plain:
        crypto = WeChatCrypto(args.token, args.aes_key, args.appid)
        body = crypto.encrypt_message(xml, nonce, timestamp)
        query.update(encrypt_type="aes", msg_signature=ET.fromstring(body).findtext("MsgSignature"))
    resp = requests.post(
        f"{args.url}?{urlencode(query)}",
        data=body.encode("utf-8"),
        headers={"Content-Type": "text/xml"},
        timeout=args.timeout,
    )
    raw = resp.text
    if resp.status_code != 200 or raw.strip() in ("", "success"):
        return resp.status_code, raw
    root = ET.fromstring(raw)
    if crypto is not None:
        root = ET.fromstring(
            crypto.decrypt_message(
                raw,
                root.findtext("MsgSignature"),
                root.findtext("TimeStamp"),
                root.findtext("Nonce"),
            )
        )
    return resp.status_code, root.findtext("Content") or ""


def cmd_simulate(args: argparse.Namespace) -> int:
    if not args.token:
        print("需要 --token 或环境变量 WECHAT_TOKEN。", file=sys.stderr)
        return 2
    msg_id = random.randint(10**15, 10**16)
    texts = [" ".join(args.text)] if args.text or args.event else None
    mode = "安全模式" if args.aes_key and not args.plain else "明文模式"
    print(f"模拟微信（{mode}）→ {args.url}", file=sys.stderr)
    while True:
        if texts is None:
            try:
                line = input("你> ").strip()
            except EOFError:
                return 0
            if not line:
                continue
        else:
            line = texts[0]
        msg_id += 1
        started = time.perf_counter()
        try:
            status, reply = post_as_wechat(args, build_message(args, line, msg_id))
        except Exception as err:  # connection refused, bad reply XML, …
            print(f"请求失败：{err!r}", file=sys.stderr)
            return 1
        took = (time.perf_counter() - started) * 1000
        shown = (
            reply
            if status == 200 and reply.strip() not in ("", "success")
            else f"[HTTP {status}] {reply.strip() or '(空)'}（success/空表示没有被动回复）"
        )
        print(f"助手> {shown}\n      ({took:.0f} ms)")
        if texts is not None:
            return 0 if status == 200 else 1
