"""Configuration, read once from the environment (and an optional .env file)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import List, Optional, Sequence, Union

from pydantic import BaseSettings, Field, validator

PROJECT_DIR = Path(__file__).resolve().parents[1]
BUILD_DIR = PROJECT_DIR / ".build"


# The platforms' public API addresses (the channels' defaults; tests point them at fakes).
WECHAT_API_BASE_URL = "https://api.weixin.qq.com/cgi-bin/"
TELEGRAM_BASE_URL = "https://api.telegram.org/bot"


class Settings(BaseSettings):
    port: int = Field(5005, env="PORT")
    action_port: int = Field(5055, env="ACTION_PORT")
    # the action server only talks to the Rasa server next to it: loopback unless told otherwise
    action_host: str = Field("127.0.0.1", env="ACTION_HOST")
    knowledge_dir: Path = Field(PROJECT_DIR / "knowledge", env="KNOWLEDGE_DIR")
    # Versions of the knowledge folder (kb history / kb revert); unset: knowledge_history/
    # beside the knowledge folder (bot.kb.history).
    knowledge_history_dir: Optional[Path] = Field(None, env="KNOWLEDGE_HISTORY_DIR")
    # Pretend today is this date (tests and demos of the deadline logic).
    today: Optional[dt.date] = Field(None, env="BOT_TODAY")
    tracker_db: Path = Field(BUILD_DIR / "tracker.db", env="TRACKER_DB")
    database_url: Optional[str] = Field(None, env="DATABASE_URL")
    question_log_secret: Optional[str] = Field(None, env="QUESTION_LOG_SECRET")
    retention_days: int = Field(180, env="RETENTION_DAYS")
    redis_url: Optional[str] = Field(None, env="REDIS_URL")
    # Limits of every channel: request body size (413 above it) and messages per sender a minute
    # (0 = no limit; above it a polite reply from knowledge/messages.yml, no NLU).
    max_body_bytes: int = Field(64 * 1024, env="MAX_BODY_BYTES")
    rate_limit_per_minute: int = Field(20, env="RATE_LIMIT_PER_MINUTE")
    # REST messages per client address a minute, beside the per-sender limit (a client that
    # makes up a new sender id for every message); 0 = no limit. One office behind one address
    # sends many applicants' questions: well above the per-sender limit.
    rate_limit_per_address_per_minute: int = Field(
        120, env="RATE_LIMIT_PER_ADDRESS_PER_MINUTE", ge=0
    )
    # Rasa's tracker store: postgresql://… (SQLTrackerStore) or redis://… (RedisTrackerStore);
    # unset: the SQLite file TRACKER_DB. Several instances need a shared one.
    tracker_store_url: Optional[str] = Field(None, env="TRACKER_STORE_URL")
    # An SQL tracker store starts a new session (slots carried over) once the latest one holds
    # more events than this, so long conversations stay fast (bot/rasa/trackers.py); 0: Rasa's own.
    tracker_max_session_events: int = Field(100, env="TRACKER_MAX_SESSION_EVENTS", ge=0)
    # Parses of Rasa's NLU kept per process, by model and exact text (bot/rasa/speedups.py):
    # repeated menu clicks and short questions skip the NLU; 0 = none.
    parse_cache_size: int = Field(2048, env="PARSE_CACHE_SIZE", ge=0)
    # Rasa's lock store: redis://… (RedisLockStore, one conversation on one instance at a
    # time); unset: in memory, right for one instance only.
    lock_store_url: Optional[str] = Field(None, env="LOCK_STORE_URL")
    # Token of Rasa's HTTP API (--enable-api: status, parse; python -m bot publish reads it);
    # random, kept in .build/
    rasa_api_token: Optional[str] = Field(None, env="RASA_API_TOKEN")
    # The staff web console (python -m bot console): address, cookie-signing key (random, kept
    # in .build/ unless set), Secure cookies (set it when the console is served over HTTPS)
    console_host: str = Field("127.0.0.1", env="CONSOLE_HOST")
    console_port: int = Field(5010, env="CONSOLE_PORT")
    console_secret: Optional[str] = Field(None, env="CONSOLE_SECRET")
    console_secure_cookies: bool = Field(False, env="CONSOLE_SECURE_COOKIES")
    # Proxies whose X-Forwarded-For is believed (comma-separated addresses or CIDRs, e.g.
    # "127.0.0.1,10.0.0.0/8"): the console's log-in limits and REST's per-address limit count
    # the client behind them; from anyone else the header is ignored.
    trusted_proxies: Optional[str] = Field(None, env="TRUSTED_PROXIES")

    wechat_token: Optional[str] = Field(None, env="WECHAT_TOKEN")
    wechat_aes_key: Optional[str] = Field(None, env="WECHAT_AES_KEY")
    wechat_previous_aes_key: Optional[str] = Field(None, env="WECHAT_PREVIOUS_AES_KEY")
    wechat_appid: Optional[str] = Field(None, env="WECHAT_APPID")
    wechat_secret: Optional[str] = Field(None, env="WECHAT_SECRET")
    wechat_api_base_url: str = Field(WECHAT_API_BASE_URL, env="WECHAT_API_BASE_URL")
    # Bodies above this are refused (413) before they are read in full or parsed.
    wechat_max_body_bytes: int = Field(64 * 1024, env="WECHAT_MAX_BODY_BYTES", gt=0)
    # At shutdown, wait this long for 客服消息 (customer-service replies) still going out.
    wechat_drain_seconds: float = Field(10.0, env="WECHAT_DRAIN_SECONDS", ge=0)

    telegram_token: Optional[str] = Field(None, env="TELEGRAM_TOKEN")
    telegram_secret_token: Optional[str] = Field(None, env="TELEGRAM_SECRET_TOKEN")
    telegram_webhook_url: Optional[str] = Field(None, env="TELEGRAM_WEBHOOK_URL")
    telegram_base_url: str = Field(TELEGRAM_BASE_URL, env="TELEGRAM_BASE_URL")

    @validator("*", pre=True)
    def empty_means_unset(cls, value):
        return None if value == "" else value

    @validator("trusted_proxies")
    def addresses_or_networks(cls, value: Optional[str]) -> Optional[str]:
        parse_networks(value)  # a wrong entry stops the start with a clear message
        return value

    @validator("knowledge_dir", "knowledge_history_dir")
    def relative_to_the_project(cls, value: Optional[Path]) -> Optional[Path]:
        """``KNOWLEDGE_DIR=knowledge-2022`` means the folder in the project, whichever the
        current directory of the command (the servers run in the project folder)."""
        return value if value is None or value.is_absolute() else PROJECT_DIR / value

    class Config:
        env_file = ".env"
        env_file_encoding = "utf-8"

    def trusted_proxy_networks(self) -> List[IPNetwork]:
        """``trusted_proxies`` as networks (a single address is a /32 or /128)."""
        return parse_networks(self.trusted_proxies)

    def today_or_now(self) -> dt.date:
        return self.today or dt.date.today()

    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{BUILD_DIR / 'question_log.db'}"

    def tracker_database_url(self) -> str:
        """The SQLAlchemy URL of the tracker store serve.py configures (Rasa's SQLTrackerStore).

        With a Redis tracker store (conversations expire there by themselves) this is the
        SQLite file of the embedded default, which the purge leaves alone when it is absent.
        """
        url = self.tracker_store_url
        if url and not url.startswith(("redis://", "rediss://")):
            return url
        return f"sqlite:///{self.tracker_db}"

    def effective_console_secret(self) -> str:
        """The key that signs console session cookies; a machine-local random one unless set."""
        return self.console_secret or read_or_create_secret(BUILD_DIR / "console_secret")

    def effective_rasa_api_token(self) -> str:
        """The token Rasa's HTTP API requires; a machine-local random one unless configured."""
        return self.rasa_api_token or read_or_create_secret(BUILD_DIR / "rasa_api_token")

    def uses_shared_database(self) -> bool:
        """A question-log database other instances may share (anything but SQLite)."""
        return not self.effective_database_url().startswith("sqlite")

    def effective_question_log_secret(self) -> str:
        """The pseudonymisation key; a machine-local random one when none is configured.

        With a shared (non-SQLite) database every instance must use the same key, or one
        applicant gets a different pseudonym on each: then a missing key is refused.
        """
        if self.question_log_secret:
            return self.question_log_secret
        if self.uses_shared_database():
            raise MissingSecret(MISSING_SECRET_MESSAGE)
        return read_or_create_secret(BUILD_DIR / "question_log_secret")


MISSING_SECRET_MESSAGE = (
    "未设置 QUESTION_LOG_SECRET：问题日志使用共享数据库（DATABASE_URL 不是 SQLite）时，"
    "所有实例必须使用同一个密钥，否则同一提问人在不同实例上的化名不同、提问人数会算错。"
    '请生成一个随机密钥（例如 python -c "import secrets; print(secrets.token_hex(32))"），'
    "在每个实例的环境变量或 .env 中设置 QUESTION_LOG_SECRET=该密钥 后再启动。"
)


class MissingSecret(RuntimeError):
    """Starting is refused: the pseudonymisation key must be configured."""


def read_or_create_secret(path: Path) -> str:
    """Read the key at ``path``, creating it first (mode 0600, atomically) if it is missing.

    The key is written to a private temporary file which is then linked into place, so
    nobody ever sees a readable or half-written key, and of two processes starting at
    once both end up with the one that was linked first.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_hex(32).encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)  # fails if another process got there first
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    secret = path.read_text(encoding="ascii").strip()
    if not secret:
        raise MissingSecret(f"密钥文件 {path} 是空的，请删除它后重新启动（会自动生成新密钥）。")
    return secret


IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def parse_networks(text: Optional[str]) -> List[IPNetwork]:
    """Comma-separated addresses / CIDRs → networks; a wrong entry is refused (ValueError)."""
    networks = []
    for item in (text or "").split(","):
        item = item.strip()
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError as exc:
                raise ValueError(f"TRUSTED_PROXIES: {item!r} is not an address or CIDR") from exc
    return networks


def _address(text: str) -> Optional[Union[ipaddress.IPv4Address, ipaddress.IPv6Address]]:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:10.0.0.1 is 10.0.0.1
    return mapped or address


def client_address(peer: str, forwarded_for: Optional[str], trusted: Sequence[IPNetwork]) -> str:
    """The client's address: the peer that connected, unless it is a trusted proxy — then the
    nearest address in ``X-Forwarded-For`` (read from the right) that is not a trusted proxy.
    A header from anyone else is ignored, so a client cannot choose its own address; an entry
    that is not an address ends the walk at the proxy that sent it."""
    current = _address(peer)
    if current is None:
        return peer
    if not forwarded_for or not trusted:
        return str(current)
    for hop in reversed(forwarded_for.split(",")):
        if not any(current in network for network in trusted):
            break
        candidate = _address(hop)
        if candidate is None:
            break
        current = candidate
    return str(current)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
