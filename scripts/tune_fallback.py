#!/usr/bin/env python
"""Sweep the NLU fallback threshold on the held-out paraphrases.

For each threshold: how many held-out questions would be answered with the
right intent, how many would get the honest fallback, and how many would get a
wrong answer (the costly case: a confident wrong fact). out_of_scope examples
count as handled when they end in out_of_scope or the fallback.

    python scripts/tune_fallback.py [--model models/<hash>.tar.gz]
                                    [--nlu tests/data/nlu_heldout.yml]
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import List, Tuple

import yaml

FALLBACK_LIKE = {"out_of_scope", "nlu_fallback"}


def held_out(path: Path) -> List[Tuple[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    pairs = []
    for block in data["nlu"]:
        for line in block["examples"].splitlines():
            if line.strip().startswith("- "):
                pairs.append((block["intent"], line.strip()[2:]))
    return pairs


async def predictions(model: Path, pairs: List[Tuple[str, str]]) -> List[Tuple[str, str, float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    rows = []
    for gold, text in pairs:
        parsed = await agent.parse_message(text)
        ranking = [r for r in parsed.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
        top = ranking[0] if ranking else {"name": "nlu_fallback", "confidence": 0.0}
        rows.append((gold, top["name"], float(top["confidence"])))
    return rows


def sweep(
    rows: List[Tuple[str, str, float]], thresholds: List[float]
) -> List[Tuple[float, int, int, int]]:
    table = []
    for threshold in thresholds:
        right = fallback = wrong = 0
        for gold, predicted, confidence in rows:
            outcome = "nlu_fallback" if confidence < threshold else predicted
            if outcome == gold or (gold == "out_of_scope" and outcome in FALLBACK_LIKE):
                right += 1
            elif outcome in FALLBACK_LIKE:
                fallback += 1
            else:
                wrong += 1
        table.append((threshold, right, fallback, wrong))
    return table


def main() -> None:
    from bot.ops.generate import training_fingerprint
    from bot.ops.training import MODELS_DIR

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--model", type=Path, default=MODELS_DIR / f"{training_fingerprint()}.tar.gz"
    )
    parser.add_argument("--nlu", type=Path, default=Path("tests/data/nlu_heldout.yml"))
    args = parser.parse_args()
    pairs = held_out(args.nlu)
    rows = asyncio.run(predictions(args.model, pairs))
    print(f"{len(rows)} held-out examples, model {args.model.name}")
    print("threshold  right  fallback  wrong")
    for threshold, right, fallback, wrong in sweep(rows, [x / 20 for x in range(0, 19)]):
        print(f"   {threshold:.2f}   {right:5d}   {fallback:6d}  {wrong:5d}")


if __name__ == "__main__":
    main()
