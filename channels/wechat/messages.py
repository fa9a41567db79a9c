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

from channels.texts import channel_text

MAX_BODY_BYTES = 64 * 1024  # default limit: a real message is a few KB (WECHAT_MAX_BODY_BYTES)

# What a new follower "says" to the assistant (its input, not a reply): it answers with its welcome.
GREETING = "你好"
# The fixed replies: names in knowledge/messages.yml (read through channel_text, live).
WELCOME_FALLBACK = "wechat_welcome"
NON_TEXT_REPLY = "wechat_non_text"
VOICE_OFF_REPLY = "wechat_voice_off"
EMPTY_TEXT_REPLY = "wechat_empty_text"
UNKNOWN_MENU_REPLY = "wechat_unknown_menu"
ASK_AGAIN_REPLY = "wechat_ask_again"
SORRY_REPLY = "channel_sorry"
_KINDS = {
    "image",
    "video",
    "shortvideo",
    "location",
    "link",
    "file",
    "music",
}  # message_kind_<kind>
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
    # a tapped weixin://bizmsgmenu link's msgmenuid (certified accounts only; channels/wechat/reply)
    menu_id: str = ""

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
    base = {
        "openid": openid,
        "account": account,
        "msg_type": msg_type,
        "event": event,
        "msg_id": fields.get("MsgId", ""),
        "create_time": fields.get("CreateTime", ""),
    }

    if msg_type == "text":
        text = fields.get("Content", "")
        if not text:
            return Incoming(**base, action="reply", text=channel_text(EMPTY_TEXT_REPLY))
        return Incoming(**base, action="ask", text=text, menu_id=fields.get("bizmsgmenuid", ""))
    if msg_type == "voice":
        recognised = fields.get("Recognition", "")
        if recognised:
            return Incoming(**base, action="ask", text=recognised)
        return Incoming(**base, action="reply", text=channel_text(VOICE_OFF_REPLY))
    if msg_type == "event":
        return _classify_event(base, event, fields.get("EventKey", ""), menu_asks)
    return Incoming(**base, action="reply", text=non_text_reply(msg_type))


def non_text_reply(msg_type: str) -> str:
    """“暂时无法处理图片…” for a message type the assistant cannot read."""
    what = channel_text(f"message_kind_{msg_type if msg_type in _KINDS else 'other'}")
    return channel_text(NON_TEXT_REPLY, what=what)


def _classify_event(
    base: dict, event: str, event_key: str, menu_asks: Mapping[str, str]
) -> Incoming:
    if event in _WELCOME_EVENTS:  # subscribe, scan-to-subscribe (EventKey qrscene_…), scan
        return Incoming(**base, action="ask", text=GREETING, welcome=True)
    if event == "click":
        ask = menu_asks.get(event_key)
        if ask:
            return Incoming(**base, action="ask", text=ask)
        return Incoming(**base, action="reply", text=channel_text(UNKNOWN_MENU_REPLY))
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
