"""Staff accounts (argon2 hashes) and the audit log, in the question-log database."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import List, Optional, Set

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from bot.questionlog.db import session_scope
from bot.questionlog.models import AuditEntry, StaffAccount

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
MIN_PASSWORD = 10

# audit actions
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
ADD_SIMILAR = "add_similar"
NEW_FAQ = "new_faq"
NOT_IN_NOTICE = "not_in_notice"
IGNORE = "ignore"
PUBLISH = "publish"
PUBLISH_DONE = "publish_done"
LOCKOUT = "lockout"
DENIED = "denied"
ACCOUNT = "account"
EDIT = "edit"
EDIT_TRAINING = "edit_training"  # an edit the model must learn (new questions)
REVERT = "revert"
REVERT_TRAINING = "revert_training"  # a revert to a version with other questions
BULK = "bulk"
CONFIRM_SILENT = "confirm_silent"  # the 通知未涉及 reply was right: nothing to change
# decisions that take a question group off the review queue
DECISIONS = (ADD_SIMILAR, NEW_FAQ, NOT_IN_NOTICE, IGNORE, CONFIRM_SILENT)
# decisions that change knowledge/ (and so need training before the assistant uses them)
KNOWLEDGE_CHANGES = (ADD_SIMILAR, NEW_FAQ, NOT_IN_NOTICE, EDIT_TRAINING, REVERT_TRAINING)
ACTION_LABELS = {
    LOGIN: "登录",
    LOGIN_FAILED: "登录失败",
    LOGOUT: "退出",
    ADD_SIMILAR: "加为相似问",
    NEW_FAQ: "新建问答",
    NOT_IN_NOTICE: "标记为通知未涉及",
    IGNORE: "忽略",
    PUBLISH: "开始发布",
    PUBLISH_DONE: "发布结束",
    LOCKOUT: "锁定登录",
    DENIED: "无权限",
    ACCOUNT: "账号管理",
    EDIT: "编辑知识库",
    EDIT_TRAINING: "编辑知识库（需发布）",
    REVERT: "恢复版本",
    REVERT_TRAINING: "恢复版本（需发布）",
    BULK: "批量处理",
    CONFIRM_SILENT: "确认通知未涉及",
}

# roles, each allowed what the ones before it are
EDITOR = "editor"  # edit, try, review
PUBLISHER = "publisher"  # and publish, revert
ADMIN = "admin"  # and manage accounts
ROLES = (EDITOR, PUBLISHER, ADMIN)
ROLE_LABELS = {EDITOR: "编辑", PUBLISHER: "发布", ADMIN: "管理员"}


def may(role: Optional[str], wanted: str) -> bool:
    """Whether an account with ``role`` may do what needs ``wanted``."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(wanted)


_hasher = PasswordHasher()
# verified when the name is unknown, so a wrong name costs as long as a wrong password
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountError(ValueError):
    """The account cannot be created; the message says why (for staff)."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _check_role(role: str) -> None:
    if role not in ROLES:
        names = "、".join(f"{r}（{ROLE_LABELS[r]}）" for r in ROLES)
        raise AccountError(f"角色只能是 {names}")


def add_user(
    username: str, password: str, url: str | None = None, role: Optional[str] = None
) -> bool:
    """Create an account (``role``, default editor), or set a new password (and the role, if
    given) of an existing one. True when the account is new."""
    if not USERNAME.match(username or ""):
        raise AccountError("用户名只能用 2–64 个英文字母、数字和 _ . @ -")
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符")
    if role is not None:
        _check_role(role)
    hashed = _hasher.hash(password)
    with session_scope(url) as session:
        account = session.execute(
            select(StaffAccount).where(StaffAccount.username == username)
        ).scalar_one_or_none()
        if account is None:
            session.add(
                StaffAccount(
                    username=username,
                    password_hash=hashed,
                    created_at=utcnow(),
                    disabled=False,
                    role=role or EDITOR,
                )
            )
            return True
        account.password_hash = hashed
        account.disabled = False
        account.sessions_after = utcnow()  # a new password ends every open session
        if role is not None:
            account.role = role
        return False


@dataclass
class Account:
    username: str
    role: str
    disabled: bool
    created_at: dt.datetime

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


def accounts(url: str | None = None) -> List[Account]:
    with session_scope(url) as session:
        found = session.execute(select(StaffAccount).order_by(StaffAccount.username)).scalars()
        return [Account(a.username, a.role, a.disabled, a.created_at) for a in found]


def set_role(
    username: str, role: Optional[str] = None, disabled: Optional[bool] = None, url=None
) -> str:
    """Change an account's role and / or disable it (its sessions end); what changed, worded
    for the audit log. ``AccountError`` when there is no such account or role."""
    if role is not None:
        _check_role(role)
    with session_scope(url) as session:
        account = session.execute(
            select(StaffAccount).where(StaffAccount.username == username)
        ).scalar_one_or_none()
        if account is None:
            raise AccountError(f"没有账号 {username}")
        changes = []
        if role is not None and role != account.role:
            changes.append(
                f"角色 {ROLE_LABELS.get(account.role, account.role)} → {ROLE_LABELS[role]}"
            )
            account.role = role
        if disabled is not None and disabled != account.disabled:
            changes.append("停用" if disabled else "启用")
            account.disabled = disabled
        if changes:
            account.sessions_after = utcnow()  # new rights from the next log-in on
        return "，".join(changes)


def verify(username: str, password: str, url: str | None = None) -> bool:
    """Whether the name and password belong to an active account (constant work either way)."""
    with session_scope(url) as session:
        account = session.execute(
            select(StaffAccount).where(StaffAccount.username == username)
        ).scalar_one_or_none()
        stored = account.password_hash if account and not account.disabled else None
        try:
            _hasher.verify(stored or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return False
        if stored is None:
            return False
        if _hasher.check_needs_rehash(stored):
            account.password_hash = _hasher.hash(password)
        return True


def is_active(username: str, issued: float | None = None, url: str | None = None) -> bool:
    """Whether the account may use a session issued at ``issued`` (a Unix time): it exists, is
    not disabled, and has not logged out or changed its password since."""
    return active_role(username, issued, url) is not None


def active_role(
    username: str, issued: float | None = None, url: str | None = None
) -> Optional[str]:
    """The role of an account that may use a session issued at ``issued`` (see ``is_active``),
    else None."""
    with session_scope(url) as session:
        account = session.execute(
            select(StaffAccount).where(
                StaffAccount.username == username, StaffAccount.disabled.is_(False)
            )
        ).scalar_one_or_none()
        if account is None:
            return None
        if account.sessions_after is not None and issued is not None:
            when = dt.datetime.fromtimestamp(issued, dt.timezone.utc).replace(tzinfo=None)
            if when <= account.sessions_after:
                return None
        return account.role or EDITOR


def end_sessions(username: str, url: str | None = None) -> None:
    """Void every session of the account issued until now (log-out)."""
    with session_scope(url) as session:
        account = session.execute(
            select(StaffAccount).where(StaffAccount.username == username)
        ).scalar_one_or_none()
        if account is not None:
            account.sessions_after = utcnow()


@dataclass
class Audit:
    id: int
    created_at: dt.datetime
    username: str
    action: str
    target: str
    detail: str
    ok: bool

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def lines(self) -> List[str]:
        """The detail as lines for staff (decisions store JSON: changes, skipped, problems)."""
        try:
            data = json.loads(self.detail)
        except ValueError:
            return self.detail.splitlines()
        if not isinstance(data, dict):
            return [self.detail]
        return [
            *map(str, data.get("changes") or []),
            *(f"跳过：{line}" for line in data.get("skipped") or []),
            *map(str, data.get("problems") or []),
        ]


def record(
    username: str,
    action: str,
    target: str = "",
    detail: str = "",
    ok: bool = True,
    url: str | None = None,
) -> int:
    with session_scope(url) as session:
        entry = AuditEntry(
            created_at=utcnow(),
            username=username[:64],
            action=action,
            target=target,
            detail=detail,
            ok=ok,
        )
        session.add(entry)
        session.flush()
        return entry.id


def _audit(entry: AuditEntry) -> Audit:
    return Audit(
        entry.id,
        entry.created_at,
        entry.username,
        entry.action,
        entry.target,
        entry.detail,
        entry.ok,
    )


def recent(limit: int = 200, url: str | None = None) -> List[Audit]:
    with session_scope(url) as session:
        result = session.execute(
            select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        ).scalars()
        return [_audit(e) for e in result]


def decided(url: str | None = None) -> dict:
    """Question-group key → the latest successful decision on it (off the review queue)."""
    with session_scope(url) as session:
        result = session.execute(
            select(AuditEntry)
            .where(AuditEntry.action.in_(DECISIONS), AuditEntry.ok.is_(True))
            .order_by(AuditEntry.id)
        ).scalars()
        return {e.target: _audit(e) for e in result}


def unpublished(url: str | None = None) -> List[Audit]:
    """Knowledge changes made since the last publish that finished well (need training)."""
    with session_scope(url) as session:
        # a finished publish names (target) the entry that started it: what was changed
        # before that start went into the model, what came while it trained did not
        last = session.execute(
            select(AuditEntry.target)
            .where(AuditEntry.action == PUBLISH_DONE, AuditEntry.ok.is_(True))
            .order_by(AuditEntry.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        query = select(AuditEntry).where(
            AuditEntry.action.in_(KNOWLEDGE_CHANGES), AuditEntry.ok.is_(True)
        )
        if last is not None and last.isdigit():
            query = query.where(AuditEntry.id > int(last))
        return [_audit(e) for e in session.execute(query.order_by(AuditEntry.id)).scalars()]


def usernames(url: str | None = None) -> Set[str]:
    with session_scope(url) as session:
        return set(session.execute(select(StaffAccount.username)).scalars())
