"""Staff commands on the versions of the knowledge folder (``bot.kb.history``):
``python -m bot kb history|save|revert`` — declared with the other kb commands in
``bot.cli.kb``.

Console output is for staff (Chinese); what applicants read comes from knowledge/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.kb.edit import revert
from bot.kb.history import History, beijing_time, undo_hint
from bot.kb.load import check_directory, load_knowledge
from bot.kb.problems import KnowledgeError
from bot.ops.publish import publish_advice
from bot.settings import get_settings


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
