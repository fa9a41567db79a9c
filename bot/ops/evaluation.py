"""Judging replies against conversation cases: right, honest or wrong (pure, no runtime).

A cases file (the format of ``../shared/eval/dev_cases.yml``) is a YAML list of cases::

    - id: deadline-1
      tags: [deadline]
      turns:
        - say: 申报截止时间是什么时候？
          expect: [["11月28日", "11-28"]]   # every inner list: at least one alternative appears
          forbid: ["89990919"]              # none of these may appear
        - event: subscribe                  # WeChat only; skipped over REST

Each reply is put in exactly one of three outcomes:

- **right**: every ``expect`` group is met and no ``forbid`` string appears;
- **honest**: not right, but the reply is the honest one ("the notice does not say" or the
  fallback): it carries one of :data:`HONEST_MARKERS`, no ``forbid`` string, and no fact of
  another topic (:data:`TOPIC_FACTS` that the turn neither expects nor the applicant said);
- **wrong**: everything else — a forbidden fact, another topic's facts, an empty reply, an
  answer that misses what was asked without saying so, or a reply that says the notice is
  silent (:data:`SILENT_MARKERS`) where the turn expects a fact: the notice does say it, so
  "the notice says nothing about X" is a wrong answer there, not an honest one.

Matching is on normalised text exactly as ``run_eval.py`` does it (whitespace, brackets and
quotes dropped, full-width ASCII folded, lower case), so the counts agree with that script.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

RIGHT = "right"
HONEST = "honest"
WRONG = "wrong"
OUTCOMES = (RIGHT, HONEST, WRONG)

# The one place that says what makes a reply "honest". Every honest reply of the assistant
# (not in the notice / not sure / fallback) should carry the contacts phone and one phrase.
HONEST_MARKERS: Tuple[str, ...] = (
    "0731-89991015",
    "通知中没有",
    "没有把握",
    "不敢乱说",
    "does not cover",
)

# The reply that says the notice is silent on what was asked (not the general fallback).
SILENT_MARKERS: Tuple[str, ...] = ("通知中没有", "does not cover")

# Facts that belong to one topic or clause of the notice. An honest reply that carries one of
# them (unless the turn expects it or the applicant said it) is answering a neighbouring topic,
# so it counts as wrong. The contacts (phone, names, e-mail) are not here: honest replies give
# them on purpose.
TOPIC_FACTS: Tuple[str, ...] = (
    "11月28日",  # 四、2 deadline
    "银杏路",  # 四、2 address
    "12号窗口",
    "综合服务窗口",
    "一式两份",  # 四、2 copies
    "编制提纲",  # 四、1 / 附件2
    "量化指标",  # 附件1
    "建设项目汇总表",  # 附件3
    "申报汇总表",  # 附件4
    "不超过4个",  # 三 quotas
    "不超过3个",
    "不超过2个",
    "择优确定",  # 四、3 selection
    "国办发",  # preamble: policy documents
    "发改办高技",
    "湘政发",
    "返乡农民工",  # 二（一）
    "互联网平台",
    "产业链供应链",  # 二（二）
    "工匠精神",  # 二（三）
    "隐形冠军",
    "专精特新",
    "国际化平台",  # 二（四）
    "湘府西路",  # footer: the commission's own address
    "89990919",  # footer: website maintenance only
)

_DROP = set(" \t\r\n\u3000〔〕[]【】()（）「」『』\"'“”‘’《》<>")


class CaseFileError(ValueError):
    """A cases file that cannot be used; the message says which file, case and field."""


def normalise(text: str) -> str:
    """Fold text the way run_eval.py does before matching."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E:  # full-width ASCII
            ch = chr(code - 0xFEE0)
        if ch in _DROP:
            continue
        out.append(ch.lower())
    return "".join(out)


@dataclass(frozen=True)
class Turn:
    say: str = ""
    event: str = ""
    key: str = ""
    expect: Tuple[Tuple[str, ...], ...] = ()
    forbid: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    id: str
    tags: Tuple[str, ...]
    turns: Tuple[Turn, ...]


@dataclass(frozen=True)
class Verdict:
    outcome: str
    problems: Tuple[str, ...] = ()


@dataclass
class TurnResult:
    case_id: str
    tags: Tuple[str, ...]
    index: int  # 1-based turn number within the case
    said: str
    reply: str
    verdict: Verdict
    latency_ms: Optional[float] = None


@dataclass
class Tally:
    counts: Dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    by_tag: Dict[str, Dict[str, int]] = field(default_factory=dict)
    skipped: int = 0
    latencies: List[float] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# -- loading ----------------------------------------------------------------------------


def _strings(value: Any, where: str) -> Tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, (str, int)) for v in value):
        return tuple(str(v) for v in value)
    raise CaseFileError(f"{where}: expected a string or a non-empty list of strings")


def parse_turn(raw: Any, where: str) -> Turn:
    if not isinstance(raw, dict):
        raise CaseFileError(f"{where}: a turn must be a mapping with 'say' or 'event'")
    unknown = set(raw) - {"say", "event", "key", "expect", "forbid"}
    if unknown:
        raise CaseFileError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    say, event = raw.get("say"), raw.get("event")
    if (say is None) == (event is None):
        raise CaseFileError(f"{where}: a turn needs exactly one of 'say' and 'event'")
    if say is not None and (not isinstance(say, (str, int)) or not str(say).strip()):
        raise CaseFileError(f"{where}: 'say' must be non-empty text")
    expect_raw = raw.get("expect") or []
    if not isinstance(expect_raw, list):
        raise CaseFileError(f"{where}: 'expect' must be a list of groups")
    expect = tuple(_strings(g, f"{where} expect[{i}]") for i, g in enumerate(expect_raw))
    forbid_raw = raw.get("forbid") or []
    forbid = _strings(forbid_raw, f"{where} forbid") if forbid_raw else ()
    return Turn(
        say=str(say) if say is not None else "",
        event=str(event or ""),
        key=str(raw.get("key") or ""),
        expect=expect,
        forbid=forbid,
    )


def parse_cases(data: Any, source: str = "<cases>") -> List[Case]:
    if not isinstance(data, list):
        raise CaseFileError(f"{source}: the file must be a YAML list of cases")
    cases, seen = [], set()
    for number, raw in enumerate(data, 1):
        where = f"{source} case {number}"
        if not isinstance(raw, dict) or not raw.get("id"):
            raise CaseFileError(f"{where}: a case must be a mapping with an 'id'")
        case_id = str(raw["id"])
        where = f"{source} case {case_id}"
        if case_id in seen:
            raise CaseFileError(f"{where}: duplicate id")
        seen.add(case_id)
        tags = raw.get("tags") or []
        if not isinstance(tags, list):
            raise CaseFileError(f"{where}: 'tags' must be a list")
        turns = raw.get("turns")
        if not isinstance(turns, list) or not turns:
            raise CaseFileError(f"{where}: 'turns' must be a non-empty list")
        cases.append(
            Case(
                case_id,
                tuple(str(t) for t in tags),
                tuple(parse_turn(t, f"{where} turn {i}") for i, t in enumerate(turns, 1)),
            )
        )
    return cases


def load_cases(path: Path) -> List[Case]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise CaseFileError(f"{path}: cannot read ({err})") from err
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise CaseFileError(f"{path}: not valid YAML ({err})") from err
    return parse_cases(data, str(path))


# -- judging ----------------------------------------------------------------------------


def is_honest_reply(reply: str, markers: Sequence[str] = HONEST_MARKERS) -> bool:
    got = normalise(reply)
    return any(normalise(m) in got for m in markers)


def other_topic_facts(reply: str, turn: Turn, facts: Iterable[str] = TOPIC_FACTS) -> List[str]:
    """TOPIC_FACTS in the reply that the turn does not expect and the applicant did not say."""
    got, said = normalise(reply), normalise(turn.say)
    wanted = [normalise(alt) for group in turn.expect for alt in group]
    found = []
    for fact in facts:
        f = normalise(fact)
        if f not in got or f in said:
            continue
        if any(f in w or w in f for w in wanted if w):
            continue
        found.append(fact)
    return found


def expects_a_fact(turn: Turn) -> bool:
    """Whether some ``expect`` group asks for a fact, not for the honest reply itself."""
    markers = [normalise(m) for m in HONEST_MARKERS]
    return any(
        not any(m in normalise(alt) or normalise(alt) in m for alt in group for m in markers)
        for group in turn.expect
    )


def classify(reply: str, turn: Turn) -> Verdict:
    """Right, honest or wrong, with the problems that kept it from being right."""
    got = normalise(reply)
    if not got:
        return Verdict(WRONG, ("empty reply",))
    problems = []
    for group in turn.expect:
        if not any(normalise(alt) in got for alt in group):
            problems.append("missing one of " + " | ".join(group))
    forbidden = [bad for bad in turn.forbid if normalise(bad) in got]
    problems += ["contains forbidden " + bad for bad in forbidden]
    if not problems:
        return Verdict(RIGHT)
    if forbidden or not is_honest_reply(reply):
        return Verdict(WRONG, tuple(problems))
    if is_honest_reply(reply, SILENT_MARKERS) and expects_a_fact(turn):
        return Verdict(WRONG, tuple(problems) + ("says the notice is silent on a fact it gives",))
    strays = other_topic_facts(reply, turn)
    if strays:
        return Verdict(WRONG, tuple(problems) + tuple("another topic's fact " + s for s in strays))
    return Verdict(HONEST, tuple(problems))


# -- running ----------------------------------------------------------------------------

Send = Callable[[str, Turn], str]


def run_cases(
    cases: Iterable[Case],
    send: Send,
    *,
    events: bool = True,
    clock: Callable[[], float] = time.perf_counter,
) -> Tuple[List[TurnResult], int]:
    """Play each case as one conversation with a fresh sender; (results, skipped turns).

    ``send(sender, turn)`` returns the reply text. Event turns are skipped when ``events`` is
    false (REST has no events). A failed request is a wrong turn and ends that conversation;
    its remaining turns count as skipped.
    """
    results: List[TurnResult] = []
    skipped = 0
    for case in cases:
        sender = "eval-" + uuid.uuid4().hex[:12]
        for index, turn in enumerate(case.turns, 1):
            said = turn.say or f"[{turn.event}]"
            if turn.event and not events:
                skipped += 1
                continue
            started = clock()
            try:
                reply = send(sender, turn)
            except Exception as err:  # any failure of the request is this turn's failure
                verdict = Verdict(WRONG, (f"request failed: {err!r}",))
                results.append(TurnResult(case.id, case.tags, index, said, "", verdict))
                skipped += len(case.turns) - index
                break
            latency = (clock() - started) * 1000
            results.append(
                TurnResult(case.id, case.tags, index, said, reply, classify(reply, turn), latency)
            )
    return results, skipped


def request_failed(result: TurnResult) -> bool:
    return any(p.startswith("request failed") for p in result.verdict.problems)


# -- tallying ---------------------------------------------------------------------------


def tally(results: Iterable[TurnResult], skipped: int = 0) -> Tally:
    out = Tally(skipped=skipped)
    for r in results:
        outcome = r.verdict.outcome
        out.counts[outcome] += 1
        for tag in r.tags or ("untagged",):
            out.by_tag.setdefault(tag, dict.fromkeys(OUTCOMES, 0))[outcome] += 1
        if r.latency_ms is not None:
            out.latencies.append(r.latency_ms)
    return out


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def format_counts(t: Tally) -> str:
    c = t.counts
    line = f"right {c[RIGHT]}  honest {c[HONEST]}  wrong {c[WRONG]}  (turns {t.total}"
    if t.skipped:
        line += f", {t.skipped} skipped"
    line += ")"
    if t.latencies:
        line += (
            f"  latency ms p50 {percentile(t.latencies, 0.5):.0f}"
            f" p95 {percentile(t.latencies, 0.95):.0f}"
        )
    return line


def format_report(name: str, t: Tally, results: Sequence[TurnResult], width: int = 300) -> str:
    """Counts, counts by tag, then every wrong and honest turn with its reply."""
    lines = [f"== {name}", "  " + format_counts(t)]
    for tag in sorted(t.by_tag):
        c = t.by_tag[tag]
        lines.append(
            f"    {tag:<12} right {c[RIGHT]:>3}  honest {c[HONEST]:>3}  wrong {c[WRONG]:>3}"
        )
    for outcome in (WRONG, HONEST):
        shown = [r for r in results if r.verdict.outcome == outcome]
        if not shown:
            continue
        lines.append(f"  -- {outcome} ({len(shown)})")
        for r in shown:
            reply = " ".join(r.reply.split())
            if len(reply) > width:
                reply = reply[:width] + "…"
            lines.append(f"  [{r.case_id} #{r.index}] > {r.said}")
            lines.append(f"      < {reply}")
            lines.extend(f"      ! {p}" for p in r.verdict.problems)
    return "\n".join(lines)
