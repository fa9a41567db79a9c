"""Held-out FAQ paraphrases through the one decision: ``python -m bot eval --in-process
tests/data/nlu_heldout.yml``.

``scripts/tune_router.py`` counts what the intent model and the router name; an applicant reads
what :func:`bot.answer.decision.decide` makes of it — after the message is split into its
questions, read whole, set in context, looked up and checked against the facts. Here each
paraphrase (a fresh conversation) goes that whole way (``bot.ops.in_process``) and its answers
are judged against the gold intent (pure: :func:`judge`):

- **right**: an answer on the gold topic (an FAQ answer, a look-up or derived fact about it, a
  notice clause within the gold entry's clause, the dialogue step or fixed sentence of a gold
  non-FAQ intent); for a gold ``out_of_scope``, an honest reply and nothing else;
- **honest**: no answer on another topic — the "not in the notice" reply, the fallback, or a
  clarification whose choices include the gold topic's question;
- **wrong**: another topic's facts or clause, another intent's fixed sentence, or a
  clarification that offers only other topics.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import yaml

from bot.answer.decision import CLAUSE, DIALOGUE, FALLBACK, SILENT, Decision
from bot.kb.models import KnowledgeBase
from bot.names import OUT_OF_SCOPE

RIGHT, HONEST, WRONG = "right", "honest", "wrong"
OUTCOMES = (RIGHT, HONEST, WRONG)
# gold intents whose answer is another topic's by design: a bare entity with no earlier
# question gets its default topic (decision.DEFAULT_TOPIC_FOR_ENTITY), asking for a person
# gets the contacts
SAME_ANSWER: Mapping[str, Tuple[str, ...]] = {
    "inform": ("quota", "directions"),
    "human_handoff": ("contact",),
}
HONEST_MECHANISMS = (SILENT, FALLBACK)


@dataclass(frozen=True)
class Reply:
    """What one answer was: its topic (FAQ id or intent), how it was chosen, its clause and
    the questions it offered."""

    topic: Optional[str]
    mechanism: str
    clause: Optional[str] = None
    choices: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Gold:
    intent: str
    question: Optional[str] = None  # the FAQ entry's standard question
    clause: Optional[str] = None  # the FAQ entry's clause


def is_nlu_file(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("nlu"), list)


def paraphrases(data: Mapping[str, Any]) -> List[Tuple[str, str]]:
    """(gold intent, text) of a Rasa NLU file, in order."""
    pairs = []
    for block in data["nlu"]:
        for line in str(block.get("examples") or "").splitlines():
            if line.strip().startswith("- "):
                pairs.append((str(block["intent"]), line.strip()[2:].strip()))
    return pairs


def load_paraphrases(path: Path) -> List[Tuple[str, str]]:
    return paraphrases(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def gold_of(kb: KnowledgeBase, intent: str) -> Gold:
    entry = kb.faq_entry(intent)
    return Gold(intent, entry.question, entry.clause) if entry else Gold(intent)


def reply_of(intent: Optional[str], decision: Optional[Decision]) -> Reply:
    if decision is None:  # a dialogue step (the self-check…)
        return Reply(intent, DIALOGUE)
    return Reply(decision.topic, decision.mechanism, decision.clause, tuple(decision.choices))


def _within(clause: Optional[str], gold_clause: Optional[str]) -> bool:
    if not clause or not gold_clause:
        return False
    return clause.startswith(gold_clause) or gold_clause.startswith(clause)


def _on_gold(reply: Reply, gold: Gold) -> bool:
    if reply.mechanism in HONEST_MECHANISMS:
        return False
    if reply.topic == gold.intent or reply.topic in SAME_ANSWER.get(gold.intent, ()):
        return True
    return reply.mechanism == CLAUSE and _within(reply.clause, gold.clause)


def judge(gold: Gold, replies: Sequence[Reply]) -> Tuple[str, str]:
    """(outcome, why) for the answers to one paraphrase."""
    if not replies:
        return WRONG, "no reply"
    if gold.intent == OUT_OF_SCOPE:
        answering = [r for r in replies if r.mechanism not in HONEST_MECHANISMS]
        if answering:
            return WRONG, f"answered {answering[0].topic}"
        return RIGHT, "honest"
    if any(_on_gold(r, gold) for r in replies):
        return RIGHT, str(gold.intent)
    for reply in replies:
        if reply.mechanism == SILENT:
            continue
        if reply.mechanism == FALLBACK:
            if reply.choices and gold.question not in reply.choices:
                return WRONG, "offered only " + " / ".join(reply.choices)
            continue
        return WRONG, f"{reply.mechanism} {reply.topic} {reply.clause or ''}".strip()
    return HONEST, replies[0].mechanism


def tally(outcomes: Sequence[str]) -> Dict[str, int]:
    counts = dict.fromkeys(OUTCOMES, 0)
    for outcome in outcomes:
        counts[outcome] += 1
    return counts


def format_report(name: str, rows: Sequence[Tuple[str, str, str, str]]) -> str:
    """Counts, then every wrong and honest paraphrase: rows of (gold, text, outcome, why)."""
    counts = tally([outcome for _, _, outcome, _ in rows])
    lines = [
        f"== {name} (held-out paraphrases through the decision)",
        f"  right {counts[RIGHT]}  honest {counts[HONEST]}  wrong {counts[WRONG]}"
        f"  (paraphrases {len(rows)})",
    ]
    for outcome in (WRONG, HONEST):
        shown = [row for row in rows if row[2] == outcome]
        if shown:
            lines.append(f"  -- {outcome} ({len(shown)})")
            lines.extend(f"  [{gold}] {text}  → {why}" for gold, text, _, why in shown)
    return "\n".join(lines)
