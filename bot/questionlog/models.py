"""The question log table: one row per applicant message.

Only pseudonymous sender ids and masked text ever get here (channels/privacy.py
runs before Rasa sees a message).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Column, DateTime, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import declarative_base

from bot import names

Base = declarative_base()

FALLBACK = "fallback"  # the topic recorded when the assistant said it could not answer
# the topic recorded when the assistant said the notice does not cover the question
# (action_not_in_notice): unanswered too, but reported as its own category
NOT_IN_NOTICE = names.NOT_IN_NOTICE
UNANSWERED_TOPICS = (FALLBACK, NOT_IN_NOTICE)

# selfcheck_event values
SELFCHECK_START = "start"
SELFCHECK_COMPLETE = "complete"
SELFCHECK_CANCEL = "cancel"


class QuestionLogEntry(Base):
    __tablename__ = "question_log"
    __table_args__ = (
        UniqueConstraint("sender_id", "channel_message_id", name="uq_question_log_message"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    # UTC, naive (SQLite has no time zones); the report shows China time.
    created_at = Column(DateTime, nullable=False, index=True)
    channel = Column(String(32), nullable=False, default="")
    sender_id = Column(String(64), nullable=False)
    # the channel's own message id (WeChat MsgId, Telegram update id) or Rasa's message id
    channel_message_id = Column(String(128), nullable=False)
    text = Column(Text, nullable=False, default="")  # masked
    normalized = Column(Text, nullable=False, default="")
    intent = Column(String(128))
    confidence = Column(Float)
    # FAQ id answered, "fallback", or NULL (greeting, thanks, self-check step …)
    topic = Column(String(128), index=True)
    action = Column(String(128))  # the last action run for this message
    reply = Column(Text, nullable=False, default="")
    latency_ms = Column(Integer)
    in_selfcheck = Column(Boolean, nullable=False, default=False)
    selfcheck_event = Column(String(16))  # start / complete / cancel
    slots = Column(Text)  # JSON of the slots set for this message (city, direction …)
    # “did it help?” (bot/feedback.py). On an answer: whether it offered the two buttons, and
    # the applicant's verdict (NULL = none given; only the first one counts).
    feedback_offered = Column(Boolean)
    helpful = Column(Boolean)
    # On a feedback message: "yes"/"no", and the answered question's channel_message_id if known.
    feedback = Column(String(8))
    feedback_for = Column(String(128))

    def as_dict(self) -> dict:
        return {c.name: getattr(self, c.name) for c in self.__table__.columns}


class StaffAccount(Base):
    """A staff account of the web console (bot/console): name and argon2 password hash."""

    __tablename__ = "console_account"
    __table_args__ = (UniqueConstraint("username", name="uq_console_account_username"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(64), nullable=False)
    password_hash = Column(String(255), nullable=False)
    created_at = Column(DateTime, nullable=False)  # UTC, naive
    disabled = Column(Boolean, nullable=False, default=False)
    # sessions issued before this (UTC, naive) are void: set at log-out and password change
    sessions_after = Column(DateTime)
    # what the account may do: editor (edit, try, review) < publisher (publish, revert)
    # < admin (accounts); bot.console.store.ROLES
    role = Column(String(16), nullable=False, default="editor")


class AuditEntry(Base):
    """Everything staff did in the console (log-ins, review decisions, publishing), by account."""

    __tablename__ = "console_audit"

    id = Column(Integer, primary_key=True, autoincrement=True)
    created_at = Column(DateTime, nullable=False, index=True)  # UTC, naive
    username = Column(String(64), nullable=False)
    action = Column(String(32), nullable=False)
    target = Column(Text, nullable=False, default="")  # e.g. the question group decided on
    detail = Column(Text, nullable=False, default="")  # what was changed, or why it failed
    ok = Column(Boolean, nullable=False, default=True)


def utc_from_timestamp(timestamp: float | None) -> dt.datetime:
    if timestamp is None:
        return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).replace(tzinfo=None)
