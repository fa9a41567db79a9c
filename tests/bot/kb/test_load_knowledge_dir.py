"""bot/kb/load.py's default folder — KNOWLEDGE_DIR everywhere: with another knowledge folder
set (next year's call), every reader that is given no folder reads that one — the loader and
its cache, the NLU components (``knowledge_dir: null`` in config.yml), the training data, the
action server, the channels, kb check."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions import knowledge as action_knowledge
from bot import settings as bot_settings
from bot.cli import main as cli_main
from bot.kb.load import KnowledgeCache, default_knowledge_dir, load_knowledge, shared_cache
from bot.ops.generate import faq_examples
from channels import texts

NEW_SIMILAR = "明年的申报最迟哪天交"
NEW_ALIAS = "株城"  # a nickname of 株洲 only this folder knows


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture()
def next_year(knowledge_copy, monkeypatch) -> Path:
    """A copied knowledge folder with its own year, welcome, similar question and alias,
    set as KNOWLEDGE_DIR (relative to the project, as staff would write it in .env)."""
    edit(
        knowledge_copy / "notice.yml",
        "short_name: 2021年度省双创示范基地申报",
        "short_name: 2022年度省双创示范基地申报",
    )
    faq = knowledge_copy / "faq.yml"
    data = faq.read_text(encoding="utf-8")
    start = data.index("  - id: deadline\n")
    similar = data.index("    similar:\n", start) + len("    similar:\n")
    faq.write_text(data[:similar] + f"      - {NEW_SIMILAR}\n" + data[similar:], encoding="utf-8")
    edit(knowledge_copy / "cities.yml", "[株洲, zhuzhou]", f"[株洲, zhuzhou, {NEW_ALIAS}]")
    monkeypatch.setenv("KNOWLEDGE_DIR", str(knowledge_copy))
    bot_settings.get_settings.cache_clear()
    yield knowledge_copy
    bot_settings.get_settings.cache_clear()


def test_every_reader_without_a_folder_reads_knowledge_dir(next_year):
    assert default_knowledge_dir() == next_year
    assert load_knowledge().directory == next_year
    assert KnowledgeCache().get().notice.notice.short_name.startswith("2022")
    assert action_knowledge.knowledge().notice.notice.short_name.startswith("2022")
    assert texts.knowledge_cache() is shared_cache() is shared_cache(next_year)
    assert NEW_SIMILAR in faq_examples(load_knowledge())["deadline"]  # training data


def test_nlu_components_with_no_folder_configured_read_knowledge_dir(next_year):
    from nlu.components import KnowledgeEntityExtractor, QuestionRouterComponent

    extractor = KnowledgeEntityExtractor(
        KnowledgeEntityExtractor.get_default_config()["knowledge_dir"]
    )
    assert extractor._cache.directory == next_year
    assert [
        (m.entity, m.value) for m in extractor._current_matcher().find(f"{NEW_ALIAS}几个名额")
    ] == [("city", "株洲市")]
    router = QuestionRouterComponent(QuestionRouterComponent.get_default_config())
    assert router._cache.get().notice.notice.short_name.startswith("2022")


def test_relative_knowledge_dir_is_the_projects_folder(monkeypatch):
    monkeypatch.setenv("KNOWLEDGE_DIR", "knowledge-2022")
    bot_settings.get_settings.cache_clear()
    try:
        assert default_knowledge_dir() == bot_settings.PROJECT_DIR / "knowledge-2022"
    finally:
        bot_settings.get_settings.cache_clear()


def test_kb_check_names_the_folder_it_checked(next_year, capsys):
    assert cli_main(["kb", "check"]) == 0
    edit(next_year / "messages.yml", "为准：{contacts}", "为准：{contact_list}")
    assert cli_main(["kb", "check"]) == 1
    assert "contact_list" in capsys.readouterr().err
