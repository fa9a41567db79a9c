"""The question log's spill file: private, read back once per row, past a torn line; where it
lives."""

from __future__ import annotations

from bot.questionlog.spill import SpillFile, default_spill_path
from bot.questionlog.turns import TurnAssembler
from tests.support.question_log import faq_turn, feed


def test_spill_file_is_private_deduplicated_and_survives_a_torn_line(tmp_path):
    spill = SpillFile(tmp_path / "s.jsonl")
    rows = feed(TurnAssembler(), faq_turn(message_id="a") + faq_turn(message_id="b", ts=2000.0))
    spill.append(rows)
    spill.append(rows[:1])  # spilled twice (a shutdown racing a write)
    with open(spill.path, "a", encoding="utf-8") as handle:
        handle.write('{"created_at": "2026-11-2')  # a crash in the middle of a line
    assert spill.path.stat().st_mode & 0o777 == 0o600
    read = SpillFile.read(spill.path)
    assert sorted(r.channel_message_id for r in read) == ["a", "b"]
    assert read[0] == rows[0]  # the dataclass round-trips through JSON


def test_default_spill_path_is_next_to_sqlite_or_per_database(tmp_path):
    assert default_spill_path(f"sqlite:///{tmp_path / 'q.db'}") == tmp_path / "q.db.spill.jsonl"
    a = default_spill_path("postgresql://u@h/a")
    b = default_spill_path("postgresql://u@h/b")
    assert a != b and a.name.startswith("question_log_spill_") and "u@h" not in str(a)
