#!/usr/bin/env python
"""Sweep the router's thresholds (config.yml, nlu.components.QuestionRouterComponent).

Parses held-out questions once with the trained model, recovers what the intent model
itself said, then replays the router (bot/answer/routing.py) with each threshold setting and
counts, per data set, right / honest / wrong:

- tests/data/nlu_heldout.yml: FAQ paraphrases with their gold intent (right = that intent;
  honest = fallback, out of scope or "not in the notice"; wrong = another topic);
- the ``silent`` cases of tests/data/eval_hard.yml: questions the notice does not regulate
  (right = an honest reply; wrong = any FAQ topic).

    python scripts/tune_router.py [--model models/<hash>.tar.gz]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from bot.answer.normalize import normalize  # noqa: E402
from bot.answer.routing import QuestionRouter, Thresholds  # noqa: E402
from bot.kb.load import load_knowledge  # noqa: E402
from scripts.tune_fallback import held_out  # noqa: E402  (the same held-out reader)

HONEST = {"nlu_fallback", "out_of_scope", "not_in_notice"}
SETTINGS = [
    Thresholds(trust_model=t, clause_score=c)
    for t in (0.8, 0.9, 0.95, 0.99, 1.01)
    for c in (3.0, 4.0, 6.0)
]


def silent_cases(path: Path) -> List[Tuple[str, str]]:
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        ("not_in_notice", c["turns"][0]["say"]) for c in cases if "silent" in (c.get("tags") or [])
    ]


async def model_rankings(model: Path, texts: List[str]) -> List[List[Dict]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    rankings = []
    for text in texts:
        parsed = await agent.parse_message(text)
        ranking = list(parsed.get("intent_ranking") or [])
        routing = parsed.get("routing")
        if routing:  # undo the router: what the intent model itself said comes first
            ranking = [routing["model_intent"], *ranking[1:]]
        rankings.append(ranking)
    return rankings


def outcome(gold: str, final: str) -> str:
    if gold in HONEST:
        return "right" if final in HONEST else "wrong"
    if final == gold:
        return "right"
    return "honest" if final in HONEST else "wrong"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    model = args.model or max(
        (PROJECT_DIR / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime
    )
    sets = {
        "nlu_heldout": held_out(PROJECT_DIR / "tests/data/nlu_heldout.yml"),
        "eval_hard silent": silent_cases(PROJECT_DIR / "tests/data/eval_hard.yml"),
    }
    kb = load_knowledge()
    rankings = {
        name: asyncio.run(model_rankings(model, [t for _, t in pairs]))
        for name, pairs in sets.items()
    }
    print(f"model: {model.name}")
    for thresholds in SETTINGS:
        router = QuestionRouter(kb, thresholds)
        line = [
            f"trust_model={thresholds.trust_model:<5} clause_score={thresholds.clause_score:<4}"
        ]
        for name, pairs in sets.items():
            counts = {"right": 0, "honest": 0, "wrong": 0}
            for (gold, text), ranking in zip(pairs, rankings[name], strict=True):
                route = router.route(normalize(text), ranking)
                top = ranking[0] if ranking else {"name": "nlu_fallback", "confidence": 0}
                if route is not None:
                    final = route.intent
                elif top.get("confidence", 0) < thresholds.fallback:
                    final = "nlu_fallback"
                else:
                    final = top["name"]
                counts[outcome(gold, final)] += 1
            line.append(f"{name}: {counts['right']}/{counts['honest']}/{counts['wrong']}")
        print("  ".join(line))
    print("(right/honest/wrong)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
