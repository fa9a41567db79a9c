"""python -m bot eval (bot/cli/evaluate.py): which files are held-out paraphrases, and that
they are judged in-process only."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli import evaluate

NLU = 'version: "3.1"\nnlu:\n- intent: deadline\n  examples: |\n    - 几号截止\n'
CASES = "- id: a\n  turns:\n  - say: 几号截止\n    expect: [[11月28日]]\n"


def test_nlu_files_are_told_from_case_files(tmp_path: Path):
    (tmp_path / "h.yml").write_text(NLU, encoding="utf-8")
    (tmp_path / "c.yml").write_text(CASES, encoding="utf-8")
    paths = [str(tmp_path / "h.yml"), str(tmp_path / "c.yml"), str(tmp_path / "missing.yml")]
    assert evaluate.nlu_files(paths) == [str(tmp_path / "h.yml")]


def test_paraphrases_need_the_in_process_assistant(tmp_path: Path, capsys):
    (tmp_path / "h.yml").write_text(NLU, encoding="utf-8")
    parser = argparse.ArgumentParser()
    evaluate.add_arguments("eval", parser)
    args = parser.parse_args([str(tmp_path / "h.yml"), "--rest", "http://127.0.0.1:9/x"])
    assert evaluate.eval_cases(args) == 2
    assert "--in-process" in capsys.readouterr().err
