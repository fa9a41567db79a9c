"""Accounts and the audit log in the question-log database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.console import store
from bot.questionlog.db import session_scope
from bot.questionlog.models import StaffAccount
from tests.bot.questionlog.conftest import db_url, postgres_schema  # noqa: F401


@pytest.mark.parametrize(
    ("username", "password", "problem"),
    [
        ("a", "long enough pw", "用户名"),
        ("li ming", "long enough pw", "用户名"),
        ("li", "short", "密码"),
    ],
)
def test_bad_accounts_are_refused(db_url, username, password, problem):  # noqa: F811
    with pytest.raises(store.AccountError, match=problem):
        store.add_user(username, password, db_url)


def test_passwords_are_argon2_hashes_and_can_be_reset(db_url):  # noqa: F811
    store.add_user("li.ming", "first password", db_url)
    with session_scope(db_url) as session:
        stored = session.execute(select(StaffAccount.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "first password" not in stored
    assert store.verify("li.ming", "first password", db_url)
    assert not store.verify("li.ming", "second password", db_url)
    assert not store.verify("nobody", "first password", db_url)
    store.add_user("li.ming", "second password", db_url)
    assert store.verify("li.ming", "second password", db_url)
    assert not store.verify("li.ming", "first password", db_url)
    assert store.is_active("li.ming", url=db_url) and not store.is_active("nobody", url=db_url)
    assert store.usernames(db_url) == {"li.ming"}


def test_a_disabled_account_cannot_log_in(db_url):  # noqa: F811
    store.add_user("li.ming", "first password", db_url)
    with session_scope(db_url) as session:
        session.execute(select(StaffAccount)).scalar_one().disabled = True
    assert not store.verify("li.ming", "first password", db_url)
    assert not store.is_active("li.ming", url=db_url)


def test_decisions_and_what_is_left_to_publish(db_url):  # noqa: F811
    url = db_url
    store.record("a", store.ADD_SIMILAR, "group one", "{}", True, url)
    store.record("a", store.NEW_FAQ, "group two", '{"problems": ["x"]}', False, url)
    store.record("b", store.IGNORE, "group three", "", True, url)
    assert set(store.decided(url)) == {"group one", "group three"}
    assert [e.target for e in store.unpublished(url)] == ["group one"]
    start = store.record("b", store.PUBLISH, "", "", True, url)
    store.record("a", store.NOT_IN_NOTICE, "group four", "{}", True, url)  # while training
    store.record("b", store.PUBLISH_DONE, str(start), "", True, url)
    assert [e.target for e in store.unpublished(url)] == ["group four"]
    failed_start = store.record("b", store.PUBLISH, "", "", True, url)
    store.record("b", store.PUBLISH_DONE, str(failed_start), "", False, url)
    assert [e.target for e in store.unpublished(url)] == ["group four"]
    entries = store.recent(url=url)
    assert entries[0].action == store.PUBLISH_DONE and entries[-1].target == "group one"


@pytest.mark.parametrize(
    ("detail", "lines"),
    [
        ('{"changes": ["c"], "skipped": ["s"], "problems": ["p"]}', ["c", "跳过：s", "p"]),
        ("line one\nline two", ["line one", "line two"]),
        ("[1]", ["[1]"]),
        ("", []),
    ],
)
def test_audit_lines(detail, lines):
    assert store.Audit(1, None, "a", store.IGNORE, "", detail, True).lines == lines


def test_log_out_and_a_new_password_end_open_sessions(db_url):  # noqa: F811
    import time

    store.add_user("li.ming", "first password", db_url)
    before = time.time()
    assert store.is_active("li.ming", before, db_url)
    store.end_sessions("li.ming", db_url)
    assert not store.is_active("li.ming", before, db_url)
    after_logout = time.time()
    assert store.is_active("li.ming", after_logout, db_url)
    store.add_user("li.ming", "second password", db_url)
    assert not store.is_active("li.ming", after_logout, db_url)
    assert store.is_active("li.ming", time.time(), db_url)
    store.end_sessions("nobody", db_url)  # no such account: nothing to do


def test_roles_are_cumulative_and_changes_end_sessions(db_url):  # noqa: F811
    assert store.add_user("wang.fang", "long enough pw", db_url) is True
    assert store.active_role("wang.fang", url=db_url) == store.EDITOR
    assert store.may(store.ADMIN, store.PUBLISHER) and store.may(store.PUBLISHER, store.EDITOR)
    assert not store.may(store.EDITOR, store.PUBLISHER) and not store.may(None, store.EDITOR)
    issued = store.utcnow().timestamp() - 1
    assert store.set_role("wang.fang", store.PUBLISHER, url=db_url) == "角色 编辑 → 发布"
    assert store.active_role("wang.fang", url=db_url) == store.PUBLISHER
    assert store.active_role("wang.fang", issued, url=db_url) is None  # log in again
    assert store.set_role("wang.fang", disabled=True, url=db_url) == "停用"
    assert store.active_role("wang.fang", url=db_url) is None
    assert [(a.username, a.role, a.disabled) for a in store.accounts(db_url)] == [
        ("wang.fang", store.PUBLISHER, True)
    ]
    with pytest.raises(store.AccountError, match="角色只能是"):
        store.set_role("wang.fang", "root", url=db_url)
    with pytest.raises(store.AccountError, match="没有账号"):
        store.set_role("nobody", store.EDITOR, url=db_url)


def test_old_audit_entries_are_purged_with_the_question_log(db_url):  # noqa: F811
    import datetime as dt

    from bot.questionlog.purge import purge

    store.record("li.ming", store.LOGIN, "127.0.0.1", "", True, db_url)
    later = store.utcnow() + dt.timedelta(days=31)
    purge(30, db_url, now=later)
    assert store.recent(10, db_url) == []
