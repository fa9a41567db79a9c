"""No Chinese sentence an applicant reads is written in Python: it lives in knowledge/.

Every string constant of actions/, channels/ and bot/ (docstrings and log calls excluded,
found with ``ast``) that contains a CJK character must be explicitly allowed below, with
the reason: staff-facing output (CLI, kb check, reports) or words the code *matches* in
what applicants type (never said back to them).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

from tests.conftest import PROJECT_DIR

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}
SCANNED = ("actions", "channels", "bot")

# Whole modules whose Chinese is not for applicants.
STAFF_MODULES: Dict[str, str] = {
    "bot/cli/__init__.py": "operator CLI: command list for --help",
    "bot/cli/kb.py": "operator CLI console output (kb check/facts/try/export/import)",
    "bot/cli/kb_versions.py": "operator CLI console output (kb history/save/revert)",
    "bot/cli/serve.py": "operator CLI console output (chat)",
    "bot/cli/evaluate.py": "operator CLI console output (eval)",
    "bot/cli/questionlog.py": "operator CLI console output (report/review/purge)",
    "bot/cli/console.py": "operator CLI console output (console, console adduser)",
    "bot/cli/publish.py": "operator CLI option help (publish)",
    "bot/cli/wechat.py": "operator CLI console output",
    "bot/cli/telegram.py": "operator CLI console output",
    "bot/kb/check.py": "kb check problem messages for staff",
    "bot/kb/check_indicators.py": "kb check problem messages for staff",
    "bot/kb/check_lookups.py": "kb check problem messages for staff",
    "bot/kb/check_notice_text.py": "kb check problem messages for staff",
    "bot/kb/reserved_ids.py": "kb check problem messages for staff",
    "bot/kb/check_feedback.py": "kb check problem messages for staff",
    "bot/kb/parse.py": "kb check problem messages (YAML and schema errors) for staff",
    "bot/kb/models.py": "kb check problem messages (field validators) for staff",
    "bot/kb/menu.py": "kb check problem messages (WeChat menu validators) for staff",
    "bot/kb/edit.py": "review/import problem messages for staff",
    "bot/kb/history.py": "kb history labels and summaries for staff",
    "bot/kb/spreadsheet.py": "spreadsheet headers and import report for staff",
    "bot/kb/sheet_layout.py": "spreadsheet headers and help for staff",
    "bot/kb/sheet_import.py": "spreadsheet import report for staff",
    "bot/kb/entries.py": "what changed, worded for staff",
    "bot/ops/preview.py": "kb try mechanism names and notes, for staff",
    "bot/ops/in_process.py": "bot eval --in-process: a note for developers on dialogue steps",
    "bot/questionlog/report.py": "question-log report for staff",
    "bot/questionlog/review.py": "review spreadsheet for staff",
    "bot/questionlog/buffer.py": "operator log/console messages",
    "bot/questionlog/purge.py": "operator console output",
    "bot/questionlog/stats.py": "report labels for staff",
    "bot/ops/evaluation.py": "evaluation markers and report for developers",
    "bot/ops/generate.py": "generated training data (what applicants might type)",
    "bot/ops/serve.py": "operator console output",
    "bot/ops/rasa_servers.py": "operator console output (model handoff)",
    "bot/ops/runtime_config.py": "configuration errors for the operator",
    "bot/ops/training.py": "operator console output (training)",
    "bot/ops/publish.py": "operator console output (publish)",
    "bot/settings.py": "configuration errors for the operator",
    "bot/ops/cluster.py": "operator console output (make cluster)",
    "bot/ops/cluster_stores.py": "operator console output (make cluster: stores not answering)",
    "bot/rasa/stores.py": "configuration errors for the operator (store URLs)",
    "bot/console/web.py": "staff web console: query problems, permission notes",
    "bot/console/login.py": "staff web console: log-in page",
    "bot/console/review.py": "staff web console: review page",
    "bot/console/review_decisions.py": "staff web console: review decisions",
    "bot/console/conversation.py": "staff web console: conversation page",
    "bot/console/publishing.py": "staff web console: publish page",
    "bot/console/reports.py": "staff web console: report page",
    "bot/console/trying.py": "staff web console: test chat page",
    "bot/console/editing.py": "staff web console: knowledge editor",
    "bot/console/versions.py": "staff web console: history page",
    "bot/console/accounts.py": "staff web console: accounts page",
    "bot/console/sheets.py": "staff web console: spreadsheet page",
    "bot/console/store.py": "staff web console: account errors and audit labels",
    "bot/console/publisher.py": "staff web console: publish progress",
}
# Modules that only match what applicants type: cue words, patterns, vocabulary.
INPUT_MODULES: Dict[str, str] = {
    "actions/parsing.py": "words and numbers recognised in self-check answers",
    "bot/answer/compound.py": "cues that split a message into questions",
    "bot/answer/reading.py": "cues that group clauses into questions (carried 市州, references)",
    "bot/answer/clauses.py": "cues that tell asking clauses from greetings, introductions, reasons",
    "bot/answer/keyword_list.py": "what ends and separates a bare list of topic words",
    "bot/answer/clarify.py": "function characters that make no term of a topic",
    "bot/answer/derived.py": "cues for totals/yes-no questions and date patterns",
    "bot/answer/documents.py": "patterns of document numbers",
    "bot/answer/entities.py": "words that are not entity mentions",
    "bot/answer/notice_search.py": "stop words of the clause search",
    "bot/answer/normalize.py": "normalisation tables",
    "bot/answer/routing.py": "routing cues",
    "bot/answer/english.py": "language detection",
    "bot/answer/context.py": "cues of corrections, follow-ups and totals",
    "bot/answer/quota_context.py": "cues of totals and quota checks in a conversation",
    "bot/answer/premises.py": "cues of quota comparisons, ceilings and claims",
    "bot/answer/lookup.py": "cues of look-up and yes/no questions about a value, date patterns",
    "bot/answer/verdicts.py": "cues of yes/no checks about the deadline, selection, types",
    "channels/privacy.py": "personal-data patterns and the placeholders that replace them",
}
# Single strings in applicant-facing modules.
ALLOWED_STRINGS: Dict[str, Dict[str, str]] = {
    "bot/answer/replies.py": {
        **{
            w: "follow-up cue matched in the question"
            for w in (
                "也",
                "同样",
                "一样",
                "那",
                "还是",
                "时间",
                "截止",
                "期限",
                "日期",
                "几号",
                "哪天",
                "同一天",
                "同时",
            )
        },
        "一": "CJK range bound",
        "\u9fff": "CJK range bound",
        "年": "date format",
        "月": "date format",
    },
    "bot/kb/facts.py": {
        "年": "date format",
        "月": "date format",
        "日": "date format",
        "园区": "synonym matched in directions.yml, not said",
    },
    "actions/selfcheck_flow.py": {"跳过": "internal slot value for a skipped answer, never shown"},
    "channels/privacy.py": {
        "[手机号]": "stands in for masked data in what Rasa and the log see",
        "[身份证号]": "stands in for masked data in what Rasa and the log see",
        "[邮箱]": "stands in for masked data in what Rasa and the log see",
    },
    "channels/wechat/messages.py": {"你好": "what a new follower says to the assistant (input)"},
    "channels/telegram/updates.py": {
        q: "what a /command says to the assistant (input)"
        for q in (
            "你好",
            "你能回答哪些问题",
            "申报截止时间是什么时候？",
            "申报材料交到哪里？",
            "我想自测一下能不能申报",
        )
    },
}


def _docstrings(tree: ast.AST) -> Set[int]:
    found = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body
        ):
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _log_arguments(tree: ast.AST) -> Set[int]:
    found = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in LOG_METHODS
        ):
            for arg in node.args:
                found |= {id(n) for n in ast.walk(arg)}
    return found


def chinese_strings(source: str) -> Iterator[Tuple[int, str]]:
    """(line, text) of every string constant with a CJK character, except docstrings and logs."""
    tree = ast.parse(source)
    skip = _docstrings(tree) | _log_arguments(tree)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip
            and CJK.search(node.value)
        ):
            yield node.lineno, node.value


def offending(root: Path = PROJECT_DIR) -> List[str]:
    problems = []
    for top in SCANNED:
        for path in sorted((root / top).rglob("*.py")):
            name = path.relative_to(root).as_posix()
            if name in STAFF_MODULES or name in INPUT_MODULES:
                continue
            allowed = ALLOWED_STRINGS.get(name, {})
            for line, text in chinese_strings(path.read_text(encoding="utf-8")):
                if text not in allowed:
                    problems.append(f"{name}:{line}: {text[:40]!r}")
    return problems


def test_no_chinese_sentence_for_applicants_in_python():
    assert offending() == [], "move these into knowledge/messages.yml"


def test_no_year_written_in_code_or_message_templates():
    messages = (PROJECT_DIR / "knowledge" / "messages.yml").read_text(encoding="utf-8")
    assert "2021" not in messages
    for top in ("actions", "channels"):
        for path in (PROJECT_DIR / top).rglob("*.py"):
            assert "2021" not in path.read_text(encoding="utf-8"), path


@pytest.mark.parametrize(
    "source, found",
    [
        ('x = "你好"', [(1, "你好")]),
        ('"""模块说明"""\nx = 1', []),
        ('def f():\n    """说明"""\n    return "回答"', [(3, "回答")]),
        ('logger.info("日志 %s", x)', []),
        ('x = f"共{n}项"', [(1, "共"), (1, "项")]),
        ('x = "plain ascii，、"', []),
        ('x = "a" + "中"', [(1, "中")]),
    ],
)
def test_chinese_strings_finds_constants_not_docstrings_or_logs(source, found):
    assert list(chinese_strings(source)) == found


def test_a_new_sentence_in_an_action_is_caught(tmp_path):
    for top in SCANNED:
        (tmp_path / top).mkdir()
    (tmp_path / "actions" / "answers.py").write_text('TEXT = "您好！"\n', encoding="utf-8")
    (tmp_path / "bot" / "cli").mkdir()
    (tmp_path / "bot" / "cli" / "kb.py").write_text('print("知识库检查通过。")\n', encoding="utf-8")
    assert offending(tmp_path) == ["actions/answers.py:1: '您好！'"]


def test_allow_lists_name_existing_modules():
    for name in [*STAFF_MODULES, *INPUT_MODULES, *ALLOWED_STRINGS]:
        assert (PROJECT_DIR / name).exists(), name
