"""Is a freshly loaded model fit to serve? Parse the given texts with it, count the intents it
gets right, and predict one action — which also warms TensorFlow and the policies up, so the
first applicants after a model change do not pay for it. Used by a Rasa process before it
takes over the port (``bot.rasa.server``)."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

WARMUP_SENDER = "model-check-warmup"
# without texts to check, these warm the new model up: TensorFlow traces its functions per
# input length on the first parses, which would otherwise be applicants' (seconds each)
WARMUP_TEXTS = (
    "hello",
    "deadline of the application?",
    "how many projects can each city recommend this year",
)


def check_processor(processor: MessageProcessor, expect: Dict[str, str]) -> Tuple[int, List[str]]:
    """(how many of ``expect``'s texts get their intent, the others as "text → intent");
    without texts, ``WARMUP_TEXTS`` are parsed to warm the model up."""
    right, wrong = 0, []
    texts = list(expect) or list(WARMUP_TEXTS)
    parsed: Dict[str, Any] = {}
    for text in texts:
        tracker = DialogueStateTracker.from_events(WARMUP_SENDER, [])
        parsed = processor._parse_message_with_graph(UserMessage(text), tracker)
        intent = (parsed.get("intent") or {}).get("name")
        if text in expect:
            if intent == expect[text]:
                right += 1
            else:
                wrong.append(f"{text} → {intent}")
    tracker = DialogueStateTracker.from_events(
        WARMUP_SENDER,
        [ActionExecuted("action_listen"), UserUttered(texts[0], parsed)],
        slots=processor.domain.slots,
    )
    processor._predict_next_with_tracker(tracker)
    return right, wrong
