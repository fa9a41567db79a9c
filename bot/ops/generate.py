"""Training data generated from knowledge/ at train time (written to nlu/generated/).

- one intent per FAQ entry, its examples the standard question and the similar questions,
  plus variants with other 市州/主体类型 so that the intent does not hinge on one city name;
- the `inform` follow-ups from nlu/templates.yml, filled with the knowledge vocabulary;
- one rule per FAQ intent (→ action_answer);
- the domain fragment declaring the FAQ intents;
- for the self-check form: the FAQ intents added to the free-text slots' ``not_intent`` and one
  rule per FAQ intent that answers it mid-form and then resumes the form;
- the "did it help?" feedback (bot/feedback.py): intent, entities, action, its rule — the intent
  is only ever triggered (``/feedback{…}``, sent by the channels), so it has no examples;
- a jieba user dictionary of the knowledge terms.
"""

from __future__ import annotations

import hashlib
import random
import shutil
from pathlib import Path
from typing import Dict, Iterable, List

import yaml

from bot import feedback as fb
from bot import names
from bot.kb.models import KnowledgeBase
from bot.settings import PROJECT_DIR

GENERATED_DIR = PROJECT_DIR / "nlu" / "generated"
DATA_DIR = GENERATED_DIR / "data"
DOMAIN_DIR = GENERATED_DIR / "domain"
JIEBA_DIR = GENERATED_DIR / "jieba"
TEMPLATES_FILE = PROJECT_DIR / "nlu" / "templates.yml"
HAND_WRITTEN_DATA = PROJECT_DIR / "nlu" / "data"
VARIANTS_PER_EXAMPLE = 3
# Domain terms jieba should keep whole, besides the entity vocabulary.
TERMS = (
    "双创",
    "示范基地",
    "双创示范基地",
    "实施方案",
    "编制提纲",
    "量化指标",
    "政务服务中心",
    "发展改革综合服务窗口",
    "发改委",
    "发展改革委",
    "市州",
    "截止",
    "截至",
    "一式两份",
    "电子版",
    "纸质版",
    "联系人",
    "联系电话",
    "申报材料",
    "推荐名额",
    "择优",
    "评审",
    "汇总表",
    "附件",
    "承担主体",
    "长株潭",
    "自测",
    "人工",
)


def _literal_block(lines: Iterable[str]) -> str:
    return "".join(f"- {line}\n" for line in lines)


class _Literal(str):
    pass


def _literal_representer(dumper: yaml.Dumper, value: _Literal) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")


yaml.add_representer(_Literal, _literal_representer, Dumper=yaml.SafeDumper)


def _dump(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8"
    )


def _swap_variants(
    example: str, vocabulary: Dict[str, Dict[str, str]], rng: random.Random
) -> List[str]:
    """Copies of ``example`` with its 市州 / type word replaced by others of the same kind."""
    for entity in (names.CITY, names.APPLICANT_TYPE):
        words = sorted(vocabulary[entity], key=len, reverse=True)
        present = next((w for w in words if w in example), None)
        if present:
            others = [w for w in words if vocabulary[entity][w] != vocabulary[entity][present]]
            return [
                example.replace(present, other)
                for other in rng.sample(others, min(VARIANTS_PER_EXAMPLE, len(others)))
            ]
    return []


def _templates() -> dict:
    return yaml.safe_load(TEMPLATES_FILE.read_text(encoding="utf-8"))


def with_context(lines: List[str], rng: random.Random, share: float = 0.3) -> List[str]:
    """Copies of some examples wrapped in an applicant's opening and closing words."""
    templates = _templates()
    chosen = rng.sample(lines, max(1, int(len(lines) * share))) if lines else []
    wrapped = []
    for number, line in enumerate(chosen):
        prefix = rng.choice(templates["prefixes"])
        suffix = rng.choice(templates["suffixes"]) if number % 2 else ""
        wrapped.append(f"{prefix}{line.rstrip('?？')}{suffix}")
    return wrapped


def faq_examples(kb: KnowledgeBase) -> Dict[str, List[str]]:
    rng = random.Random(7)
    vocabulary = kb.entity_vocabulary()
    examples: Dict[str, List[str]] = {}
    taken = set()
    for entry in kb.faq:
        lines: List[str] = []
        questions = [entry.question, *entry.similar]
        for question in [*questions, *with_context(questions, rng)]:
            for text in [question, *_swap_variants(question, vocabulary, rng)]:
                if text not in taken:
                    taken.add(text)
                    lines.append(text)
        examples[entry.id] = lines
    return examples


def not_in_notice_examples(kb: KnowledgeBase) -> List[str]:
    """The staff's example questions about what the notice does not regulate (not_in_notice.yml)."""
    topics = kb.not_in_notice.topics if kb.not_in_notice else []
    lines = [example for topic in topics for example in topic.examples]
    rng = random.Random(17)
    return list(dict.fromkeys([*lines, *with_context(lines, rng, share=0.5)]))


def out_of_scope_examples() -> List[str]:
    """Hand-written out-of-scope questions, some with applicant openings in front."""
    data = yaml.safe_load((HAND_WRITTEN_DATA / "nlu.yml").read_text(encoding="utf-8"))
    block = next(item["examples"] for item in data["nlu"] if item["intent"] == names.OUT_OF_SCOPE)
    lines = [line[2:].strip() for line in block.splitlines() if line.startswith("- ")]
    rng = random.Random(13)
    return [line for line in with_context(lines, rng, share=0.4) if line not in lines]


def inform_examples(kb: KnowledgeBase) -> List[str]:
    templates = _templates()[names.INFORM]
    vocabulary = kb.entity_vocabulary()
    rng = random.Random(11)
    lines: List[str] = []
    for entity, patterns in templates.items():
        words = sorted(vocabulary[entity])
        for pattern in patterns:
            for word in rng.sample(words, min(6, len(words))):
                lines.append(pattern.replace("{" + entity + "}", word))
    return list(dict.fromkeys(lines))


# Intents that are answered mid-form like a FAQ question, and the action that answers them.
INTERRUPTING_INTENTS = {
    names.NOT_IN_NOTICE: names.ACTION_NOT_IN_NOTICE,
    names.BOT_IDENTITY: names.ACTION_IDENTITY,
    fb.INTENT: fb.ACTION,
}


def feedback_examples(kb: KnowledgeBase) -> List[str]:
    """The two button words (messages.yml): the channels turn them into the trigger themselves;
    these examples only keep ``rasa data validate`` clean and a bare word typed elsewhere
    (the command line) understood."""
    words = [kb.message(fb.WORD_MESSAGES[value]).strip() for value in fb.VALUES]
    return [word for word in dict.fromkeys(words) if word]


def feedback_domain() -> Dict[str, object]:
    return {
        "version": "3.1",
        "intents": [fb.INTENT],
        "entities": list(fb.ENTITIES),
        "actions": [fb.ACTION],
    }


def feedback_rule() -> Dict[str, object]:
    return {
        "rule": "thank the applicant for saying whether the answer helped",
        "steps": [{"intent": fb.INTENT}, {"action": fb.ACTION}],
    }


def selfcheck_interruption_rule(
    intent: str, action: str = names.ACTION_ANSWER
) -> Dict[str, object]:
    """A FAQ question asked during the self-check is answered, then the form asks again."""
    return {
        "rule": f"answer {intent} during the self-check",
        "condition": [{"active_loop": names.SELFCHECK_FORM}],
        "steps": [
            {"intent": intent},
            {"action": action},
            {"action": names.SELFCHECK_FORM},
            {"active_loop": names.SELFCHECK_FORM},
        ],
    }


def domain_with_faq_interruptions(faq_intents: List[str]) -> Dict[str, object]:
    """domain.yml with every FAQ intent added to ``not_intent`` of the form's free-text mappings,
    so that a question asked mid-form is not taken as the answer."""
    domain = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text(encoding="utf-8"))
    for slot in (domain.get("slots") or {}).values():
        for mapping in slot.get("mappings") or []:
            loops = [c.get("active_loop") for c in mapping.get("conditions") or []]
            if mapping.get("type") == "from_text" and names.SELFCHECK_FORM in loops:
                mapping["not_intent"] = list(
                    dict.fromkeys([*(mapping.get("not_intent") or []), *faq_intents])
                )
    return domain


def write_training_data(kb: KnowledgeBase) -> None:
    if GENERATED_DIR.exists():
        shutil.rmtree(GENERATED_DIR)
    faq = faq_examples(kb)
    nlu = [
        {"intent": intent, "examples": _Literal(_literal_block(lines))}
        for intent, lines in faq.items()
    ]
    nlu.append({"intent": names.INFORM, "examples": _Literal(_literal_block(inform_examples(kb)))})
    nlu.append(
        {
            "intent": names.OUT_OF_SCOPE,
            "examples": _Literal(_literal_block(out_of_scope_examples())),
        }
    )
    nlu.append(
        {
            "intent": names.NOT_IN_NOTICE,
            "examples": _Literal(_literal_block(not_in_notice_examples(kb))),
        }
    )
    nlu.append({"intent": fb.INTENT, "examples": _Literal(_literal_block(feedback_examples(kb)))})
    _dump(DATA_DIR / "faq_nlu.yml", {"version": "3.1", "nlu": nlu})
    rules = [
        {"rule": f"answer {intent}", "steps": [{"intent": intent}, {"action": names.ACTION_ANSWER}]}
        for intent in faq
    ]
    rules += [selfcheck_interruption_rule(intent) for intent in faq]
    rules += [selfcheck_interruption_rule(i, a) for i, a in INTERRUPTING_INTENTS.items()]
    rules.append(feedback_rule())
    _dump(DATA_DIR / "faq_rules.yml", {"version": "3.1", "rules": rules})
    DOMAIN_DIR.mkdir(parents=True, exist_ok=True)
    _dump(DOMAIN_DIR / "domain.yml", domain_with_faq_interruptions([*faq, *INTERRUPTING_INTENTS]))
    _dump(DOMAIN_DIR / "faq_intents.yml", {"version": "3.1", "intents": list(faq)})
    _dump(DOMAIN_DIR / "feedback.yml", feedback_domain())
    JIEBA_DIR.mkdir(parents=True, exist_ok=True)
    words = sorted({*TERMS, *(w for mapping in kb.entity_vocabulary().values() for w in mapping)})
    (JIEBA_DIR / "userdict.txt").write_text(
        "".join(f"{w} 2000 n\n" for w in words), encoding="utf-8"
    )


def training_inputs() -> List[Path]:
    """Every file whose content decides the trained model."""
    files = [PROJECT_DIR / "config.yml", PROJECT_DIR / "nlu" / "components.py"]
    files += sorted(HAND_WRITTEN_DATA.rglob("*.yml"))
    files += sorted(p for p in GENERATED_DIR.rglob("*") if p.is_file())
    return files


def training_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in training_inputs():
        digest.update(str(path.relative_to(PROJECT_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
