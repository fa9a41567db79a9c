"""表格 in the console: download the FAQ and fixed replies as a workbook (``kb export``), upload
it edited, see what would change, then import (``kb import``: the same checks, history under
the account's name). An export older than the live knowledge lists what it would delete and
needs a confirmation ticked (the CLI's ``--force``)."""

from __future__ import annotations

import json
import secrets
import tempfile
from pathlib import Path
from typing import Optional

from aiohttp import web

from bot.console import store
from bot.console.web import CONFIG, ConsoleConfig, db, for_the_page, needs, render
from bot.kb.sheet_import import ImportResult, import_workbook
from bot.kb.sheet_layout import export_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOADS = Path(tempfile.gettempdir()) / "console-uploads"
TOKEN_LENGTH = 22  # secrets.token_urlsafe(16)


def upload_path(token: str) -> Optional[Path]:
    """Where an upload of this session waits for its confirmation (None: not a token)."""
    if len(token) != TOKEN_LENGTH or not token.replace("-", "").replace("_", "").isalnum():
        return None
    return UPLOADS / f"{token}.xlsx"


@needs(store.EDITOR)
async def sheet_page(request: web.Request) -> web.Response:
    return render(request, "sheets.html")


@needs(store.EDITOR)
async def sheet_download(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]

    def workbook() -> bytes:
        with tempfile.TemporaryDirectory(prefix="console-") as scratch:
            out = Path(scratch) / "faq.xlsx"
            export_workbook(config.knowledge_dir, out)
            return out.read_bytes()

    return web.Response(
        body=await db(workbook),
        headers={"Content-Type": XLSX, "Content-Disposition": 'attachment; filename="faq.xlsx"'},
    )


def run_import(
    config: ConsoleConfig, path: Path, apply: bool, force: bool, user: str
) -> ImportResult:
    return import_workbook(path, config.knowledge_dir, apply=apply, by=user, force=force)


@needs(store.EDITOR)
async def sheet_upload(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    form = request["form"]
    upload = form.get("workbook")
    token = str(form.get("token") or "")
    if upload is not None and hasattr(upload, "file"):  # a new file: keep it for the confirm
        token = secrets.token_urlsafe(16)
        UPLOADS.mkdir(mode=0o700, exist_ok=True)
        with upload.file:  # aiohttp's spooled temporary file
            upload_path(token).write_bytes(upload.file.read())
    path = upload_path(token)
    if path is None or not path.is_file():
        return render(request, "sheets.html", status=400, problems=["请先选择要上传的表格文件"])
    apply = form.get("do") == "apply"
    force = form.get("force") == "yes"
    result = await db(run_import, config, path, apply, force, request["user"])
    problems = [for_the_page(p) for p in result.problems]
    if apply or problems and not result.stale:
        path.unlink(missing_ok=True)
    if apply:
        detail = json.dumps(
            {"changes": result.changes.lines(), "problems": problems}, ensure_ascii=False
        )
        action = store.EDIT_TRAINING if result.changes.needs_training else store.EDIT
        await db(
            store.record, request["user"], action, "表格导入", detail, result.written,
            config.database_url,
        )  # fmt: skip
    return render(
        request,
        "sheets.html",
        status=422 if problems else 200,
        result=result,
        problems=problems,
        token=token if not apply and (not problems or result.stale) else "",
        applied=apply and result.written,
    )
