"""Staff commands on the knowledge base: ``python -m bot kb export|import|try``.

Console output is for staff (Chinese); what applicants read comes from knowledge/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.settings import get_settings


def kb_export(args: argparse.Namespace) -> int:
    from bot.kb.spreadsheet import export_workbook

    directory = get_settings().knowledge_dir
    out = Path(args.out)
    try:
        entries, messages = export_workbook(directory, out)
    except OSError as exc:
        print(f"无法写入 {out}：{exc.strerror or exc}（文件是否正在 Excel/WPS 中打开？）", file=sys.stderr)
        return 1
    print(f"已导出 {entries} 条常见问题、{messages} 条固定回复到 {out}。")
    print(f"在 Excel/WPS 中修改后运行：python -m bot kb import {out}（先预览），确认后加 --apply。")
    return 0


def kb_import(args: argparse.Namespace) -> int:
    from bot.kb.spreadsheet import import_workbook

    directory = get_settings().knowledge_dir
    path = Path(args.file)
    if not path.is_file():
        print(f"找不到表格文件 {path}。", file=sys.stderr)
        return 1
    result = import_workbook(path, directory, apply=args.apply)
    if result.problems:
        print(f"表格有 {len(result.problems)} 个问题，没有修改任何文件。请改正后重新导入：", file=sys.stderr)
        for number, problem in enumerate(result.problems, 1):
            print(f"  {number}. {problem}", file=sys.stderr)
        return 1
    if result.changes.empty:
        print("表格与知识库一致，没有需要修改的内容。")
        return 0
    print("将要修改的内容：" if not result.written else f"已修改 {directory}（知识库检查通过）：")
    for line in result.changes.lines():
        print(f"  · {line}")
    if not result.written:
        print("知识库检查通过。以上只是预览，没有写入；确认无误后加 --apply 重新运行。")
        return 0
    print("回答和固定回复已立即生效。")
    if result.changes.needs_training:
        print("新增/删除了问答或问法：运行 python -m bot publish 在后台训练并无停机切换（或 make train 后重启）。")
    return 0


def add_commands(kb: argparse._SubParsersAction) -> None:
    export = kb.add_parser("export", help="把常见问题和固定回复导出为 Excel 表格")
    export.add_argument("--out", default="faq.xlsx", help="输出文件（默认 faq.xlsx）")
    export.set_defaults(func=kb_export)

    imp = kb.add_parser("import", help="检查并导入修改过的表格（默认只预览，加 --apply 才写入）")
    imp.add_argument("file", help="kb export 导出并修改过的 .xlsx 文件")
    imp.add_argument("--apply", action="store_true", help="检查通过后写入 knowledge/")
    imp.set_defaults(func=kb_import)
