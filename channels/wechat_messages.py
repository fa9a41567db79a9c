"""WeChat message XML in, passive-reply XML out.

Every message or event is classified into one of three things to do:
``ask`` (send text to the assistant), ``reply`` (answer a fixed text without
the assistant) or ``ignore`` (answer ``success``).
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Dict, Mapping, Tuple

MAX_BODY_BYTES = 64 * 1024  # default limit: a real message is a few KB (WECHAT_MAX_BODY_BYTES)

GREETING = "你好"  # what a new follower "says": the assistant answers with its welcome
WELCOME_FALLBACK = (
    "欢迎关注！我是湖南省双创示范基地申报助手，可以回答申报截止时间、报送地址、"
    "建设方向、申报条件、联系电话等问题，也可以帮您自测能否申报。请直接输入您的问题。"
)
NON_TEXT_REPLY = (
    "您好！我是湖南省双创示范基地申报助手，目前只能看懂文字（或开启识别的语音）提问，"
    "暂时无法处理{what}。请直接输入您的问题，例如“申报截止时间是什么时候？”"
)
VOICE_OFF_REPLY = (
    "抱歉，这条语音没有识别出文字（公众号可能未开启语音识别）。"
    "请改用文字输入您的问题，例如“申报材料交到哪里？”"
)
EMPTY_TEXT_REPLY = "请输入您想了解的问题，例如“申报截止时间是什么时候？”"
UNKNOWN_MENU_REPLY = "这个菜单项暂时没有内容，请直接输入您的问题。"
ASK_AGAIN_REPLY = "您的问题还在查询中，请稍等片刻后再发送一次同样的问题。"
SORRY_REPLY = "抱歉，暂时没能回答这个问题，请稍后再试，或换个说法再问一次。"

_WHAT = {
    "image": "图片", "video": "视频", "shortvideo": "小视频", "location": "位置信息",
    "link": "链接", "file": "文件", "music": "音乐",
}
_WELCOME_EVENTS = {"subscribe", "scan"}


class MalformedMessage(Exception):
    """The body is not a WeChat message XML."""


@dataclass(frozen=True)
class Incoming:
    openid: str
    account: str
    msg_type: str
    action: str  # "ask" | "reply" | "ignore"
    text: str = ""
    msg_id: str = ""
    create_time: str = ""
    event: str = ""
    welcome: bool = False

    @property
    def dedupe_key(self) -> Tuple[str, str]:
        """(openid, MsgId), or (openid, CreateTime:Event) for events — memory only (openid)."""
        return self.openid, self.msg_id or f"{self.create_time}:{self.event}"

    def channel_message_id(self, sender_id: str) -> str:
        """The id the question log dedupes on, without the real openid."""
        return self.msg_id or f"{sender_id}:{self.create_time}:{self.event}"


def xml_fields(body: bytes | str) -> Dict[str, str]:
    """The child elements of ``<xml>`` as a dict of stripped strings."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as err:
        raise MalformedMessage("body is not UTF-8") from err
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise MalformedMessage("DTDs are not allowed")  # WeChat never sends one
    try:
        root = ET.fromstring(text)
    except ET.ParseError as err:
        raise MalformedMessage(f"not well-formed XML ({err})") from err
    if root.tag != "xml":
        raise MalformedMessage("root element is not <xml>")
    return {child.tag: (child.text or "").strip() for child in root}


def classify(fields: Mapping[str, str], menu_asks: Mapping[str, str]) -> Incoming:
    openid, account = fields.get("FromUserName", ""), fields.get("ToUserName", "")
    msg_type = fields.get("MsgType", "").lower()
    if not (openid and account and msg_type):
        raise MalformedMessage("FromUserName, ToUserName or MsgType missing")
    event = fields.get("Event", "").lower()
    base = {"openid": openid, "account": account, "msg_type": msg_type, "event": event,
            "msg_id": fields.get("MsgId", ""), "create_time": fields.get("CreateTime", "")}

    if msg_type == "text":
        text = fields.get("Content", "")
        if not text:
            return Incoming(**base, action="reply", text=EMPTY_TEXT_REPLY)
        return Incoming(**base, action="ask", text=text)
    if msg_type == "voice":
        recognised = fields.get("Recognition", "")
        if recognised:
            return Incoming(**base, action="ask", text=recognised)
        return Incoming(**base, action="reply", text=VOICE_OFF_REPLY)
    if msg_type == "event":
        return _classify_event(base, event, fields.get("EventKey", ""), menu_asks)
    what = _WHAT.get(msg_type, "这类消息")
    return Incoming(**base, action="reply", text=NON_TEXT_REPLY.format(what=what))


def _classify_event(base: dict, event: str, event_key: str, menu_asks: Mapping[str, str]) -> Incoming:
    if event in _WELCOME_EVENTS:  # subscribe, scan-to-subscribe (EventKey qrscene_…), scan
        return Incoming(**base, action="ask", text=GREETING, welcome=True)
    if event == "click":
        ask = menu_asks.get(event_key)
        if ask:
            return Incoming(**base, action="ask", text=ask)
        return Incoming(**base, action="reply", text=UNKNOWN_MENU_REPLY)
    return Incoming(**base, action="ignore")  # unsubscribe, VIEW, LOCATION reports, …


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def render_text_reply(incoming: Incoming, content: str, now: int | None = None) -> str:
    """A passive text reply addressed back to the sender."""
    return (
        "<xml>"
        f"<ToUserName>{_cdata(incoming.openid)}</ToUserName>"
        f"<FromUserName>{_cdata(incoming.account)}</FromUserName>"
        f"<CreateTime>{int(time.time()) if now is None else now}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content>"
        "</xml>"
    )
