"""表格 in the console: download, upload, preview, import; an old export needs a confirmation."""

from __future__ import annotations

import io
import re

import aiohttp
import pytest
from openpyxl import load_workbook

from bot.kb.edit import AddSimilar, apply_edits
from bot.kb.history import History
from bot.kb.sheet_layout import FAQ_SHEET
from tests.bot.console.conftest import USER, csrf_token
from tests.bot.kb.test_spreadsheet import column, row_of


@pytest.fixture
def db_url(sqlite_url):
    return sqlite_url


async def edited_workbook(staff) -> bytes:
    response = await staff.get("/knowledge/sheet.xlsx")
    assert response.status == 200 and "faq.xlsx" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(await response.read()))
    sheet = workbook[FAQ_SHEET]
    similar = sheet.cell(row=row_of(sheet, "copies"), column=column("similar"))
    similar.value += "\n纸质材料到底交几份才够"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def upload(staff, content: bytes) -> str:
    token = await csrf_token(staff, "/knowledge/sheet")
    form = aiohttp.FormData()
    form.add_field("csrf", token)
    form.add_field("do", "preview")
    form.add_field("workbook", content, filename="faq.xlsx")
    return await (await staff.post("/knowledge/sheet", data=form)).text()


async def confirm(staff, html: str, force: bool = False) -> str:
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    data = {"csrf": await csrf_token(staff, "/knowledge/sheet"), "token": token, "do": "apply"}
    if force:
        data["force"] = "yes"
    return await (await staff.post("/knowledge/sheet", data=data)).text()


async def test_upload_preview_then_import(staff, config):
    content = await edited_workbook(staff)
    before = (config.knowledge_dir / "faq.yml").read_bytes()
    html = await upload(staff, content)
    assert 'id="changes"' in html and "纸质材料到底交几份才够" in html and "将要修改" in html
    assert (config.knowledge_dir / "faq.yml").read_bytes() == before  # a preview writes nothing
    html = await confirm(staff, html)
    assert 'id="imported"' in html and 'id="needs-publish"' in html
    assert "纸质材料到底交几份才够" in (config.knowledge_dir / "faq.yml").read_text("utf-8")
    latest = History.for_folder(config.knowledge_dir).versions(config.knowledge_dir)[-1]
    assert latest.by == USER


async def test_an_old_export_needs_the_confirmation_ticked(staff, config):
    content = await edited_workbook(staff)
    apply_edits(config.knowledge_dir, [AddSimilar("deadline", ["截止到底是哪天呢"])], by="x")
    html = await upload(staff, content)
    assert "表格比知识库旧" in html and "截止到底是哪天呢" in html and 'id="force"' in html
    refused = await confirm(staff, html)
    assert 'id="imported"' not in refused
    assert "截止到底是哪天呢" in (config.knowledge_dir / "faq.yml").read_text("utf-8")
    html = await upload(staff, content)
    accepted = await confirm(staff, html, force=True)
    assert 'id="imported"' in accepted
    assert "截止到底是哪天呢" not in (config.knowledge_dir / "faq.yml").read_text("utf-8")


async def test_a_broken_upload_is_explained(staff):
    html = await upload(staff, b"not a workbook")
    assert "不是 Excel 表格" in html and 'id="confirm-import"' not in html
