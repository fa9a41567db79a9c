"""The console's routes (aiohttp + Jinja2). Every route but the log-in page needs a session,
and each page the role it names (``bot.console.store.ROLES``).

Reading: the report (``bot.console.reports``), the review queue (``bot.console.review``), one
sender's conversation (``bot.console.conversation``), the audit log. Changing: review decisions
and edits through ``bot.kb.edit`` (the one validated write), publishing through
``python -m bot publish`` (``bot.console.publishing``). Every change and log-in is audited.
"""

from __future__ import annotations

from aiohttp import web

from bot.console import (
    accounts,
    conversation,
    editing,
    login,
    publishing,
    reports,
    review,
    review_decisions,
    trying,
    versions,
)
from bot.console.web import CONFIG, PUBLISHER, ConsoleConfig, new_app

__all__ = ["CONFIG", "PUBLISHER", "ConsoleConfig", "create_app", "run"]


def create_app(config: ConsoleConfig) -> web.Application:
    app = new_app(config)
    app.router.add_get("/", login.home)
    app.router.add_get("/login", login.login_page)
    app.router.add_post("/login", login.login)
    app.router.add_post("/logout", login.logout)
    app.router.add_get("/report", reports.report_page)
    app.router.add_get(r"/report.{fmt:(xlsx|csv)}", reports.report_download)
    app.router.add_get("/review", review.review_page)
    app.router.add_post("/review/decide", review_decisions.decide)
    app.router.add_post("/review/bulk", review_decisions.bulk_decide)
    app.router.add_get(r"/conversation/{row_id:\d+}", conversation.conversation)
    app.router.add_get("/try", trying.try_page)
    app.router.add_get("/knowledge", editing.knowledge_page)
    app.router.add_get(r"/knowledge/{kind}/{key}", editing.edit_page)
    app.router.add_post(r"/knowledge/{kind}/{key}", editing.edit_submit)
    app.router.add_get("/history", versions.history_page)
    app.router.add_get(r"/history/{number:\d+}", versions.version_page)
    app.router.add_post(r"/history/{number:\d+}/revert", versions.revert_submit)
    app.router.add_get("/publish", publishing.publish_page)
    app.router.add_post("/publish", publishing.publish)
    app.router.add_get("/audit", publishing.audit_page)
    app.router.add_get("/accounts", accounts.accounts_page)
    app.router.add_post("/accounts", accounts.accounts_submit)
    return app


def run(config: ConsoleConfig, host: str, port: int) -> None:
    """Serve the console until interrupted."""
    web.run_app(create_app(config), host=host, port=port, print=None, access_log=None)
