"""scripts/bench.py: the questions a run asks are varied (none twice while there are enough)
and, with --seed, the same from run to run."""

from __future__ import annotations

import importlib.util
import random
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import PROJECT_DIR
from tests.support.tiers import examples

_spec = importlib.util.spec_from_file_location(
    "scripts_bench", PROJECT_DIR / "scripts" / "bench.py"
)
bench = importlib.util.module_from_spec(_spec)
sys.modules["scripts_bench"] = bench  # its dataclasses look their module up
_spec.loader.exec_module(bench)

LEVELS = [(1, 5), (1, 30), (20, 10)]  # warm-up, serial run, 20 senders × 10 turns


def asked(target, levels=LEVELS):
    """Every question of every level, sender by sender, as run_level hands them out."""
    questions = []
    for senders, turns in levels:
        first = target.hand_out(senders * turns)
        for n in range(senders):
            questions += [target.question(first + n * turns + turn) for turn in range(turns)]
    return questions


def test_a_run_of_the_held_out_questions_never_repeats_one():
    held_out = bench.nlu_examples(bench.HELDOUT)
    assert len(set(held_out)) == len(held_out) >= 235
    questions = asked(bench.Target("assistant", "http://x", held_out))
    assert len(questions) == 235 and len(set(questions)) == 235


@settings(max_examples=examples(50), deadline=None)
@given(count=st.integers(min_value=1, max_value=400), start=st.integers(min_value=0))
def test_the_walk_visits_every_question_before_any_twice(count, start):
    if count % bench.STRIDE == 0:
        count += 1  # the walk needs a stride coprime to the number of questions
    target = bench.Target("t", "http://x", [f"q{i}" for i in range(count)], start=start % count)
    walk = [target.question(target.hand_out(1)) for _ in range(count)]
    assert sorted(walk) == sorted(target.questions)


def test_a_seed_gives_the_same_questions():
    held_out = bench.nlu_examples(bench.HELDOUT)
    random.seed(7)
    first = asked(bench.Target("a", "http://x", held_out))
    random.seed(7)
    assert asked(bench.Target("a", "http://x", held_out)) == first


def test_the_default_topology_is_one_instance_per_core_where_the_cluster_can_run(monkeypatch):
    import bot.ops.cluster
    import bot.ops.cluster_stores

    monkeypatch.setattr(bench.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(bot.ops.cluster, "nginx_binary", lambda: "/usr/sbin/nginx")
    monkeypatch.setattr(bot.ops.cluster_stores, "answers", lambda host, port: True)
    assert bench.default_instances() == 2
    monkeypatch.setattr(
        bot.ops.cluster_stores, "answers", lambda host, port: port != 6379
    )  # no Redis
    assert bench.default_instances() == 1
    monkeypatch.setattr(bot.ops.cluster_stores, "answers", lambda host, port: True)
    monkeypatch.setattr(bot.ops.cluster, "nginx_binary", lambda: None)
    assert bench.default_instances() == 1
    monkeypatch.setattr(bot.ops.cluster, "nginx_binary", lambda: "/usr/sbin/nginx")
    monkeypatch.setattr(bench.os, "cpu_count", lambda: 1)
    assert bench.default_instances() == 1
