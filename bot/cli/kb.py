"""Staff commands on the knowledge base:
``python -m bot kb check|facts|try|export|import|history|save|revert``.

Console output is for staff (Chinese); what applicants read comes from knowledge/.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from types import ModuleType

from bot.kb.edit import revert
from bot.kb.facts import CONTEXT_NAMES, DYNAMIC_NAMES, static_facts
from bot.kb.history import History, beijing_time, default_operator, undo_hint
from bot.kb.load import check_directory, load_knowledge
from bot.kb.problems import KnowledgeError
from bot.ops.generate import training_fingerprint, write_training_data
from bot.ops.publish import publish_advice
from bot.ops.training import MODELS_DIR
from bot.settings import get_settings

BY_HELP = "操作人姓名（记入知识库历史，默认当前系统用户）"


def kb_check(_: argparse.Namespace) -> int:
    problems = check_directory(get_settings().knowledge_dir)
    if problems:
        print(f"知识库检查未通过，共 {len(problems)} 个问题：", file=sys.stderr)
        for number, problem in enumerate(problems, 1):
            print(f"  {number}. {problem}", file=sys.stderr)
        return 1
    print("知识库检查通过。")
    return 0


def kb_facts(_: argparse.Namespace) -> int:
    kb = load_knowledge(get_settings().knowledge_dir)
    print("回答模板中可用的事实名称（{名称}）：")
    for name, fact in static_facts(kb).items():
        preview = fact.text.replace("\n", " ")
        print(f"  {{{name}}}  〔{fact.clause}〕 {preview[:60]}{'…' if len(preview) > 60 else ''}")
    print("随日期变化：" + "、".join(f"{{{n}}}" for n in sorted(DYNAMIC_NAMES)))
    for kind, names in CONTEXT_NAMES.items():
        print(f"仅在 when.{kind} 中可用：" + "、".join(f"{{{n}}}" for n in sorted(names)))
    return 0


def spreadsheet() -> ModuleType:
    """bot.kb.spreadsheet, which imports openpyxl (≈ 0.35 s): only for kb export / import."""
    from bot.kb import spreadsheet as module

    return module


def kb_export(args: argparse.Namespace) -> int:
    directory = get_settings().knowledge_dir
    out = Path(args.out)
    try:
        entries, messages = spreadsheet().export_workbook(directory, out)
    except OSError as exc:
        print(
            f"无法写入 {out}：{exc.strerror or exc}（文件是否正在 Excel/WPS 中打开？）",
            file=sys.stderr,
        )
        return 1
    print(f"已导出 {entries} 条常见问题、{messages} 条固定回复到 {out}。")
    print(f"在 Excel/WPS 中修改后运行：python -m bot kb import {out}（先预览），确认后加 --apply。")
    return 0


def kb_import(args: argparse.Namespace) -> int:
    directory = get_settings().knowledge_dir
    path = Path(args.file)
    if not path.is_file():
        print(f"找不到表格文件 {path}。", file=sys.stderr)
        return 1
    result = spreadsheet().import_workbook(path, directory, apply=args.apply, by=args.by)
    if result.problems:
        print(
            f"表格有 {len(result.problems)} 个问题，没有修改任何文件。请改正后重新导入：",
            file=sys.stderr,
        )
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
        print(
            "新增/删除了问答或问法：运行 python -m bot publish 在后台训练并无停机切换"
            "（或 make train 后重启）。"
        )
    hint = undo_hint(directory)
    if hint:
        print(hint)
    return 0


def _short_time(stamp: str) -> str:
    """Beijing time, as the console shows it, whatever the server's time zone."""
    return beijing_time(stamp)


def kb_history(args: argparse.Namespace) -> int:
    directory = get_settings().knowledge_dir
    history = History.for_folder(directory)
    versions = history.versions(None if args.all else directory)
    if args.show is not None:
        return _show_version(history, directory, args.show)
    if not versions:
        print(
            f"知识库 {directory} 还没有历史版本：第一次通过 kb import、review import、"
            "kb revert、kb save 或网页后台"
            f"修改时开始记录（保存在 {history.root}）。"
        )
        return 0
    current = history.current(directory)
    published: dict = {}
    for publish in history.publishes(None if args.all else directory):
        published.setdefault(publish.version, []).append(publish)
    print(f"知识库 {directory} 的历史版本（新的在前，北京时间，保存在 {history.root}）：")
    for version in list(reversed(versions))[: args.limit]:
        marks = []
        if current is not None and version.version == current.version:
            marks.append("← 当前")
        for publish in published.get(version.version, []):
            why = f"（{publish.note}）" if publish.note else ""
            marks.append(
                f"⇢ {_short_time(publish.time)} 由 {publish.by} 发布模型 {publish.model}{why}"
            )
        where = f"  [{version.knowledge_dir}]" if args.all else ""
        print(
            f"  版本 {version.version}  {_short_time(version.time)}  {version.by}  {version.label}"
            f"{where}  {'  '.join(marks)}".rstrip()
        )
        for line in version.summary:
            print(f"      · {line}")
    if current is None:
        print("  （当前文件夹与所有版本都不同：有人直接编辑过，下次修改时会先自动保存。）")
    if len(versions) > args.limit:
        print(f"  …… 还有 {len(versions) - args.limit} 个更早的版本（--limit 显示更多）。")
    print("查看某个版本改了什么：python -m bot kb history --show 版本号")
    print("恢复到某个版本：python -m bot kb revert 版本号 --by 您的名字")
    return 0


def _show_version(history: History, directory: Path, number: int) -> int:
    version = history.get(number)
    if version is None:
        print(f"没有版本 {number}。运行 python -m bot kb history 查看所有版本。", file=sys.stderr)
        return 1
    print(f"版本 {number}  {_short_time(version.time)}  {version.by}  {version.label}")
    for line in version.summary:
        print(f"  · {line}")
    for _, lines in history.changes(number)[1]:
        for line in lines:
            print(line)
    return 0


def kb_save(args: argparse.Namespace) -> int:
    """Keep a folder edited in a text editor as a version, with who and why."""
    directory = get_settings().knowledge_dir
    problems = check_directory(directory)
    if problems:
        print(f"知识库检查未通过，没有记入历史（共 {len(problems)} 个问题）：", file=sys.stderr)
        for number, problem in enumerate(problems, 1):
            print(f"  {number}. {problem}", file=sys.stderr)
        return 1
    history = History.for_folder(directory)
    with history.locked():
        before = history.versions(directory)
        if before and history.current(directory) == before[-1]:
            print(f"知识库与最新的版本 {before[-1].version} 相同，无需保存。")
            return 0
        summary = [args.note] if args.note else []
        if not before:
            summary.append("开始记录历史时的状态")
        version = history.record(directory, by=args.by, action="manual", summary=summary)
    print(f"知识库检查通过，已记入历史：版本 {version.version}（{version.by}）。")
    for line in version.summary:
        print(f"  · {line}")
    if before:
        print(f"要撤销，运行：python -m bot kb revert {before[-1].version} --by 您的名字")
    return 0


def kb_revert(args: argparse.Namespace) -> int:
    settings = get_settings()
    directory = settings.knowledge_dir
    try:
        before = load_knowledge(directory)
    except KnowledgeError:
        before = None  # a broken folder: the revert is the fix
    result = revert(directory, args.version, by=args.by)
    if result.version is None:
        print(
            f"知识库 {directory} 没有版本 {args.version}。"
            "运行 python -m bot kb history 查看所有版本。",
            file=sys.stderr,
        )
        return 1
    if result.problems:
        print(f"版本 {args.version} 没有通过现在的知识库检查，没有修改任何文件：", file=sys.stderr)
        for number, problem in enumerate(result.problems, 1):
            print(f"  {number}. {problem}", file=sys.stderr)
        return 1
    if not result.written:
        print(f"知识库已经与版本 {args.version} 相同，没有修改。")
        return 0
    print(
        f"已恢复为版本 {args.version}（{_short_time(result.version.time)}，{result.version.by}，"
        f"{result.version.label}），知识库检查通过。改动的文件：{'、'.join(result.changed_files)}"
    )
    print("回答、事实和固定回复已立即生效。")
    print(publish_advice(settings, before, load_knowledge(directory)))
    hint = undo_hint(directory)
    if hint:
        print(hint)
    return 0


def _latest_model(wanted: Path | None) -> tuple:
    """(model path or None, note for staff)."""
    if wanted is not None:
        return (wanted if wanted.is_file() else None), ""
    write_training_data(load_knowledge(get_settings().knowledge_dir))
    current = MODELS_DIR / f"{training_fingerprint()}.tar.gz"
    if current.is_file():
        return current, ""
    models = sorted(MODELS_DIR.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        return None, ""
    note = (
        "注意：知识库有需要训练的修改（新问法或新问答），还没有对应的模型；下面用最近的模型 "
        f"{models[-1].name}，"
        "新问法要在 python -m bot publish 之后才能被识别。"
    )
    return models[-1], note


def _print_preview(number: int, preview, diffs, label) -> None:
    print(f"{number}. 问：{preview.question}")
    routed = f"，由规则“{preview.route}”改判" if preview.route else ""
    print(
        f"   主题：{preview.topic or '无'}｜机制：{label(preview.mechanism)}{routed}"
        f"｜模型置信度：{preview.confidence:.2f}"
        f"｜出处：{preview.clause or '无'}"
    )
    for line in preview.reply.splitlines() or [""]:
        print(f"   │ {line}")
    for index, suggestion in enumerate(preview.suggestions, 1):
        print(f"   │ [{index}] {suggestion}")
    for diff in diffs:
        print(f"   ⚠ 与对比版本不同：{diff}")


def kb_try(args: argparse.Namespace) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Rasa's and TensorFlow's deprecation notes: not staff's
        return _kb_try(args)


def _kb_try(args: argparse.Namespace) -> int:
    from bot.ops.preview import (
        ModelParser,
        differences,
        mechanism_label,
        preview_parse,
        question_router,
        read_questions,
        served_parses,
    )

    settings = get_settings()
    try:
        questions = read_questions(args.questions, Path(args.file) if args.file else None)
    except OSError as exc:
        print(f"读不了问题文件 {args.file}：{exc.strerror or exc}", file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print(f"问题文件 {args.file} 不是 UTF-8 编码，请另存为 UTF-8。", file=sys.stderr)
        return 1
    if not questions:
        print(
            '请给出要试的问题，例如：python -m bot kb try "申报截止时间是什么时候？"，'
            "或用 --file 问题.txt（每行一个）。",
            file=sys.stderr,
        )
        return 1
    try:
        kb = load_knowledge(settings.knowledge_dir)
        old_kb = kb
        compare = Path(args.compare) if args.compare else None
        if compare is not None and compare.is_dir():
            old_kb = load_knowledge(compare)
    except KnowledgeError as exc:
        print(f"知识库检查未通过，无法预览：\n{exc}", file=sys.stderr)
        return 1
    if compare is not None and not compare.exists():
        print(f"找不到对比用的模型或知识库文件夹 {compare}。", file=sys.stderr)
        return 1
    # the running assistant's NLU answers in milliseconds; loading a model takes half a minute
    parses = None
    if not args.model:
        parses = served_parses(
            f"http://127.0.0.1:{settings.port}", settings.effective_rasa_api_token(), questions
        )
    served = parses is not None
    if parses is None:
        model, note = _latest_model(Path(args.model) if args.model else None)
        if model is None:
            print(
                "没有找到训练好的模型：请先运行 python -m bot train（或 make train）。",
                file=sys.stderr,
            )
            return 1
        if note:
            print(note, file=sys.stderr)
        print(
            f"助手没有在运行，正在加载模型 {model.name}（约半分钟）…", file=sys.stderr, flush=True
        )
        parses = ModelParser(model).parse_all(questions)
    old_parses = parses
    if compare is not None and compare.is_file():
        print(f"正在加载对比模型 {compare.name} …", file=sys.stderr, flush=True)
        old_parses = ModelParser(compare).parse_all(questions)
    # the served parse is routed already, by the assistant's router reading this knowledge
    # (building a router loads jieba's dictionary: a second or two)
    router = None if served and compare is None else question_router(kb)
    old_router = router if old_kb is kb else question_router(old_kb)
    today = settings.today_or_now()
    changed = 0
    for number, (question, parse, old_parse) in enumerate(
        zip(questions, parses, old_parses, strict=True), 1
    ):
        preview = preview_parse(kb, question, parse, router, today)
        diffs = []
        if compare is not None:
            diffs = differences(
                preview, preview_parse(old_kb, question, old_parse, old_router, today)
            )
            changed += bool(diffs)
        _print_preview(number, preview, diffs, mechanism_label)
    if compare is not None:
        print(f"共 {len(questions)} 个问题，{changed} 个的回答与 {compare} 不同。")
    return 0


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    kb = parser.add_subparsers(dest="kb_command", required=True)
    kb.add_parser("check", help="检查 knowledge/ 的所有文件").set_defaults(func=kb_check)
    kb.add_parser("facts", help="列出回答模板可引用的事实").set_defaults(func=kb_facts)

    attempt = kb.add_parser("try", help="预览：用当前知识库和模型回答问题（不经过任何通道）")
    attempt.add_argument("questions", nargs="*", metavar="问题", help="要试的问题，可以写多个")
    attempt.add_argument("--file", help="问题文件（UTF-8，每行一个，# 开头的行忽略）")
    attempt.add_argument(
        "--model", help="用这个模型（默认：与当前知识库对应的模型，没有则用最新的）"
    )
    attempt.add_argument(
        "--compare",
        metavar="旧模型或知识库文件夹",
        help="与另一个模型（.tar.gz）或另一份知识库文件夹对比，标出回答不同的问题",
    )
    attempt.set_defaults(func=kb_try)

    export = kb.add_parser("export", help="把常见问题和固定回复导出为 Excel 表格")
    export.add_argument("--out", default="faq.xlsx", help="输出文件（默认 faq.xlsx）")
    export.set_defaults(func=kb_export)

    imp = kb.add_parser("import", help="检查并导入修改过的表格（默认只预览，加 --apply 才写入）")
    imp.add_argument("file", help="kb export 导出并修改过的 .xlsx 文件")
    imp.add_argument("--apply", action="store_true", help="检查通过后写入 knowledge/")
    imp.add_argument("--by", default=default_operator(), help=BY_HELP)
    imp.set_defaults(func=kb_import)

    history = kb.add_parser("history", help="知识库的历史版本：谁、何时、改了什么、发布了哪个模型")
    history.add_argument("--show", type=int, metavar="版本号", help="列出这个版本改动的内容")
    history.add_argument("--limit", type=int, default=20, help="最多列出多少个版本（默认 20）")
    history.add_argument("--all", action="store_true", help="也列出其他知识库文件夹的版本")
    history.set_defaults(func=kb_history)

    save = kb.add_parser(
        "save", help="检查并把在文本编辑器里直接改好的知识库记入历史（写明操作人和说明）"
    )
    save.add_argument("--by", default=default_operator(), help=BY_HELP)
    save.add_argument("--note", default="", help="这次改了什么，例如：改了欢迎语")
    save.set_defaults(func=kb_save)

    back = kb.add_parser("revert", help="把知识库恢复为某个历史版本（经过同样的检查）")
    back.add_argument("version", type=int, metavar="版本号", help="kb history 列出的版本号")
    back.add_argument("--by", default=default_operator(), help=BY_HELP)
    back.set_defaults(func=kb_revert)
