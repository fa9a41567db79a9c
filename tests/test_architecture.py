"""The import graph of actions/, channels/, bot/ and nlu/: no cycles, layers point down.

Layers by folder (docs/architecture.md draws the same picture):

- operator: ``bot/cli/`` (the only code that parses arguments), ``bot/ops/`` (the tools it
  drives: serve, train, publish, cluster, kb try, eval), ``bot/console/`` and ``python -m bot``;
- on top: ``channels/``, ``actions/``, ``nlu/`` — each imports the runtime library and its own
  package, not each other;
- runtime library: the rest of ``bot/`` — ``bot/answer/``, ``bot/kb/``, ``bot/questionlog/``,
  ``bot/rasa/`` and the loose modules — imports only itself.

An import inside a function needs a reason (a heavy or optional dependency) listed in
FUNCTION_IMPORTS; there are at most ``MAX_FUNCTION_IMPORTS`` such import statements. No module
is longer than ``MAX_MODULE_LINES`` lines.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("actions", "channels", "bot", "nlu")

OPERATOR_FOLDERS = ("bot.cli", "bot.ops", "bot.console")
RUNTIME_FOLDERS = ("bot.answer", "bot.kb", "bot.questionlog", "bot.rasa")
TOP_PACKAGES = ("channels", "actions", "nlu")
CLI_ENTRY = "bot.__main__"  # python -m bot
MAX_LOOSE_BOT_MODULES = 8
MAX_FUNCTION_IMPORTS = 10
MAX_MODULE_LINES = 400  # a module that grows past it is split by job, not cut in half
# modules allowed over MAX_MODULE_LINES for now, with the reason; an entry whose module is back
# under the limit fails the test, so the list stays true
OVER_THE_LIMIT: Dict[str, str] = {}
# what every channel shares; a channel imports these and its own package, no other channel
SHARED_CHANNEL_MODULES = {
    "channels.base",
    "channels.plumbing",
    "channels.questions",
    "channels.texts",
    "channels.limits",
    "channels.privacy",
}

_REDIS = "optional: redis is used only when REDIS_URL is set"
_AFTER_PATCHES = "Rasa itself, once bot.rasa.patches.install_all has run (jax marked absent)"
_COMMAND = (
    "operator CLI: a command's own modules (openpyxl, jieba, Rasa) are loaded when that "
    "command runs, so every other command starts fast"
)

# module → {imported module: reason}. Anything imported inside a function and not listed here
# fails the test; an entry no longer needed fails it too, so the list stays true.
FUNCTION_IMPORTS: Dict[str, Dict[str, str]] = {
    "bot.cli.kb": {
        "bot.kb.spreadsheet": "kb export / import only: openpyxl (≈ 0.35 s) — " + _COMMAND,
        "bot.ops.preview": "kb try only: rasa_sdk and jieba (≈ 1.5 s) — " + _COMMAND,
    },
    "bot.ops.preview": {"bot.rasa.agent": _AFTER_PATCHES + "; only where a model is loaded"},
    "bot.rasa.main": {"rasa.__main__": _AFTER_PATCHES},
    "bot.rasa.server": {"bot.rasa.serving": _AFTER_PATCHES},
    "bot.rasa.patches": {
        "bot.rasa.model_loading": "patches Rasa, so imports it: after jax is marked absent",
        "bot.rasa.speedups": "patches Rasa, so imports it: after jax is marked absent",
    },
    "bot.questionlog.db": {
        "bot.questionlog.schema": "alembic only to create/upgrade the schema, not to write rows",
    },
    "channels.plumbing": {"redis.asyncio": _REDIS},
    "channels.wechat.api": {"redis": _REDIS, "wechatpy.session.redisstorage": _REDIS},
}


def _module_files() -> Dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:  # alembic scripts, loaded by alembic, not imported
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


MODULES = _module_files()


def _imported_names(node: ast.AST, module: str, is_package: bool) -> List[str]:
    """What an import statement names: ``from a import b`` → ["a", "a.b"]."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    assert isinstance(node, ast.ImportFrom)
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def _project_module(name: str) -> str | None:
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str) -> Tuple[Set[str], List[str]]:
    """(project modules imported at module level, every module imported inside a function)."""
    path = MODULES[module]
    is_package = path.name == "__init__.py"
    top: Set[str] = set()
    inner: List[str] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = _imported_names(node, module, is_package)
            if in_function:  # ``from bot.rasa import serving`` → bot.rasa.serving
                inner.extend([n for n in names[1:] if n in MODULES] or names[:1])
            else:
                top.update(m for m in map(_project_module, names) if m and m != module)
        for child in ast.iter_child_nodes(node):
            visit(
                child,
                in_function
                or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)),
            )

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return top, inner


GRAPH = {module: _imports(module) for module in MODULES}


def _in(module: str, folders) -> bool:
    return any(module == f or module.startswith(f + ".") for f in folders)


def is_cli(module: str) -> bool:
    return _in(module, ("bot.cli",))


def is_operator(module: str) -> bool:
    return module == CLI_ENTRY or _in(module, OPERATOR_FOLDERS)


def is_runtime_library(module: str) -> bool:
    return _in(module, ("bot",)) and not is_operator(module)


def layer(module: str) -> str:
    if is_operator(module):
        return "operator"
    return "runtime" if is_runtime_library(module) else "top"


def _cycles(edges: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return found


def test_the_graph_covers_the_tree():
    assert {
        "bot.cli",
        "bot.kb.load",
        "channels.wechat.channel",
        "actions.answers",
        "nlu.components",
        "bot.questionlog.broker",
    } <= set(GRAPH)
    assert "bot.kb.models" in GRAPH["bot.kb.check"][0]
    assert "channels.wechat.api" in GRAPH["bot.cli.wechat"][0]
    assert "redis.asyncio" in GRAPH["channels.plumbing"][1]
    assert "argparse" in _third_party("bot.cli.kb")


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": set()}, []),
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"a"}}, []),
    ],
)
def test_cycle_finder(edges, expected):
    assert _cycles(edges) == expected


def test_no_import_cycles_at_module_level():
    assert _cycles({module: top for module, (top, _) in GRAPH.items()}) == []


def _all_project_imports(module: str) -> Set[str]:
    top, inner = GRAPH[module]
    return top | {m for m in map(_project_module, inner) if m}


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if is_runtime_library(m)))
def test_the_runtime_library_imports_only_itself(module):
    upward = sorted(m for m in _all_project_imports(module) if not is_runtime_library(m))
    assert upward == [], f"{module} imports {upward} (channels/, actions/, nlu/ or operator CLI)"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if layer(m) == "top"))
def test_channels_actions_and_nlu_import_only_down(module):
    own = module.split(".")[0]
    wrong = sorted(
        m
        for m in _all_project_imports(module)
        if is_operator(m) or (m.split(".")[0] != own and not is_runtime_library(m))
    )
    assert wrong == [], f"{module} imports {wrong}"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if m.startswith("channels.")))
def test_a_channel_imports_only_its_own_package_and_the_shared_modules(module):
    """channels/wechat/ and channels/telegram/ are packages on channels/base.py: one channel
    never reaches into another, and the shared modules import no channel."""
    own = module.rsplit(".", 1)[0] + "." if module.count(".") >= 2 else module
    wrong = sorted(
        m
        for m in _all_project_imports(module)
        if m.startswith("channels.")
        and m not in SHARED_CHANNEL_MODULES
        and not (m == own or m.startswith(own))
    )
    assert wrong == [], f"{module} imports {wrong}"


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("bot.__main__", "operator"),
        ("bot.cli", "operator"),
        ("bot.cli.kb", "operator"),
        ("bot.ops.cluster", "operator"),
        ("bot.ops.training", "operator"),
        ("bot.console.app", "operator"),
        ("bot.kb.load", "runtime"),
        ("bot.answer.decision", "runtime"),
        ("bot.rasa.server", "runtime"),
        ("bot.questionlog.broker", "runtime"),
        ("bot.names", "runtime"),
        ("channels.texts", "top"),
        ("channels.wechat.channel", "top"),
        ("actions.answers", "top"),
        ("nlu.components", "top"),
    ],
)
def test_layers_by_folder(module, expected):
    assert layer(module) == expected


def test_every_folder_of_bot_has_its_layer():
    folders = {p.parent for p in (ROOT / "bot").glob("*/__init__.py")}
    named = {".".join(p.relative_to(ROOT).parts) for p in folders}
    assert named == set(OPERATOR_FOLDERS) | set(RUNTIME_FOLDERS), (
        "a new folder of bot/: add it to OPERATOR_FOLDERS or RUNTIME_FOLDERS (and to the "
        "picture in docs/architecture.md)"
    )


def test_bot_keeps_few_loose_modules():
    loose = sorted(p.name for p in (ROOT / "bot").glob("*.py"))
    assert len(loose) <= MAX_LOOSE_BOT_MODULES, loose


def _line_counts() -> Dict[str, int]:
    return {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in MODULES.values()
    }


def test_no_module_is_over_the_line_limit():
    counts = _line_counts()
    long = {
        module: lines
        for module, lines in counts.items()
        if lines > MAX_MODULE_LINES and module not in OVER_THE_LIMIT
    }
    assert long == {}, f"over {MAX_MODULE_LINES} lines: split each by job (docs/architecture.md)"
    back = [module for module in OVER_THE_LIMIT if counts.get(module, 0) <= MAX_MODULE_LINES]
    assert back == [], "within the limit (or gone) now: drop them from OVER_THE_LIMIT"
    assert all(reason.strip() for reason in OVER_THE_LIMIT.values())


def _function_import_statements() -> List[str]:
    found = []
    for module, path in MODULES.items():
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in function.body:
                    for inner in ast.walk(node):
                        if isinstance(inner, (ast.Import, ast.ImportFrom)):
                            found.append(f"{module}:{inner.lineno}")
    return sorted(set(found))


def test_few_imports_inside_functions():
    statements = _function_import_statements()
    assert len(statements) <= MAX_FUNCTION_IMPORTS, statements


def test_every_import_inside_a_function_has_a_reason():
    found = {module: sorted(set(inner)) for module, (_, inner) in GRAPH.items() if inner}
    unlisted = {
        module: [name for name in names if name not in FUNCTION_IMPORTS.get(module, {})]
        for module, names in found.items()
    }
    unlisted = {module: names for module, names in unlisted.items() if names}
    assert unlisted == {}, "move these to module level or list them with a reason"
    stale = {
        module: [name for name in names if name not in found.get(module, [])]
        for module, names in FUNCTION_IMPORTS.items()
    }
    stale = {module: names for module, names in stale.items() if names}
    assert stale == {}, "these are no longer imported inside a function: drop them from the list"
    assert all(reason.strip() for names in FUNCTION_IMPORTS.values() for reason in names.values())


def _third_party(module: str) -> Set[str]:
    """Every top-level name ``module`` imports (anywhere in it), e.g. {"argparse", "bot", …}."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    names: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if not is_cli(m)))
def test_only_the_cli_parses_arguments(module):
    assert "argparse" not in _third_party(module), (
        f"{module} parses arguments: declare the options in bot/cli/ and keep a plain function here"
    )


# bot/kb composes one way: each module imports only the ones before it (and helpers such as
# facts/messages/check_indicators/check_lookups/check_notice_text, which sit between models and
# check).
KB_ORDER = ["bot.kb.problems", "bot.kb.models", "bot.kb.parse", "bot.kb.check", "bot.kb.load"]


@pytest.mark.parametrize("position", range(len(KB_ORDER)))
def test_bot_kb_parses_checks_and_loads_in_one_direction(position):
    module = KB_ORDER[position]
    later = set(KB_ORDER[position + 1 :])
    assert not (_all_project_imports(module) & later), f"{module} imports a later kb module"
    if module != "bot.kb.load":
        reach = _reachable(module)
        assert not (reach & later), f"{module} reaches {sorted(reach & later)}"


def _reachable(module: str) -> Set[str]:
    seen: Set[str] = set()
    todo = [module]
    while todo:
        for target in _all_project_imports(todo.pop()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


# -- tests mirror the source tree ------------------------------------------------------------

TESTS = ROOT / "tests"
APART = ("e2e", "cluster", "support", "data", "stories")  # not unit tests of one module
# test modules that check several modules together, with what they check
ACROSS_MODULES = {
    "tests/bot/cli/test_commands.py": "bot/cli/__init__.py: every documented command line",
    "tests/bot/questionlog/test_not_in_notice.py": "the not-in-notice topic from turns to review",
    "tests/channels/test_shared_dedupe.py": "wechat/dedupe and telegram/updates shared in Redis",
}


def _tested_module(test: Path) -> bool:
    folder = ROOT / test.parent.relative_to(TESTS)
    name = test.stem.removeprefix("test_")
    if (folder / f"{name}.py").is_file() or (folder / name).is_dir():
        return True
    return any(name.startswith(f"{module.stem}_") for module in folder.glob("*.py"))


@pytest.mark.parametrize(
    "test",
    sorted(
        str(p.relative_to(ROOT))
        for p in TESTS.rglob("test_*.py")
        if p.parent != TESTS and p.relative_to(TESTS).parts[0] not in APART
    ),
)
def test_each_test_module_sits_beside_the_module_it_tests(test):
    assert test in ACROSS_MODULES or _tested_module(ROOT / test), (
        f"{test}: name it tests/<folder>/test_<module>[_<aspect>].py after <folder>/<module>.py"
    )


def test_the_cross_module_list_stays_true():
    assert all((ROOT / test).is_file() for test in ACROSS_MODULES)
    assert not [t for t in ACROSS_MODULES if _tested_module(ROOT / t)]
