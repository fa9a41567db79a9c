"""Configuration, read once from the environment (and an optional .env file)."""

from __future__ import annotations

import datetime as dt
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Optional

from pydantic import BaseSettings, Field, validator

PROJECT_DIR = Path(__file__).resolve().parents[1]
BUILD_DIR = PROJECT_DIR / ".build"


class Settings(BaseSettings):
    port: int = Field(5005, env="PORT")
    action_port: int = Field(5055, env="ACTION_PORT")
    knowledge_dir: Path = Field(PROJECT_DIR / "knowledge", env="KNOWLEDGE_DIR")
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

    wechat_token: Optional[str] = Field(None, env="WECHAT_TOKEN")
    wechat_aes_key: Optional[str] = Field(None, env="WECHAT_AES_KEY")
    wechat_previous_aes_key: Optional[str] = Field(None, env="WECHAT_PREVIOUS_AES_KEY")
    wechat_appid: Optional[str] = Field(None, env="WECHAT_APPID")
    wechat_secret: Optional[str] = Field(None, env="WECHAT_SECRET")
    wechat_api_base_url: str = Field("https://api.weixin.qq.com/cgi-bin/", env="WECHAT_API_BASE_URL")

    telegram_token: Optional[str] = Field(None, env="TELEGRAM_TOKEN")
    telegram_secret_token: Optional[str] = Field(None, env="TELEGRAM_SECRET_TOKEN")
    telegram_webhook_url: Optional[str] = Field(None, env="TELEGRAM_WEBHOOK_URL")
    telegram_base_url: str = Field("https://api.telegram.org/bot", env="TELEGRAM_BASE_URL")

    @validator("*", pre=True)
    def empty_means_unset(cls, value):
        return None if value == "" else value

    class Config:
        env_file = ".env"
        env_file_encoding = "utf-8"

    def today_or_now(self) -> dt.date:
        return self.today or dt.date.today()

    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{BUILD_DIR / 'question_log.db'}"

    def effective_question_log_secret(self) -> str:
        """The pseudonymisation key; a machine-local random one when none is configured."""
        if self.question_log_secret:
            return self.question_log_secret
        path = BUILD_DIR / "question_log_secret"
        if not path.exists():
            BUILD_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
