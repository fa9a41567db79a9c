#!/usr/bin/env python
"""How fast does the review queue group unanswered questions? (bot/questionlog/similarity.py)

    python scripts/bench_grouping.py                 # 6,250 … 50,000 distinct texts
    python scripts/bench_grouping.py --sizes 1000 100000

For each size, distinct plausible questions (random characters of common Chinese words, 6–24
long, a fixed seed) are grouped with ``group_similar``. Printed per size: CPU seconds,
texts per second, groups found, and the growth exponent against the previous size (1.0 is
linear; comparing every text with every group would be about 2). The process's peak RSS is
printed at the end. The correctness of the index (the same groups as comparing every group)
is tested in tests/bot/questionlog/test_similarity.py; speed is measured here, not asserted.
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import sys
import time
from pathlib import Path
from typing import List

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.questionlog.similarity import group_similar  # noqa: E402

POOL = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
    "同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自"
    "二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日"
    "那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变"
    "条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总"
)


def distinct_questions(count: int, seed: int = 7) -> List[str]:
    rng = random.Random(seed)
    seen: set = set()
    while len(seen) < count:
        seen.add("".join(rng.choice(POOL) for _ in range(rng.randint(6, 24))))
    return sorted(seen)


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[6_250, 12_500, 25_000, 50_000])
    args = parser.parse_args(argv)
    print(f"{'texts':>8} {'CPU s':>8} {'texts/s':>9} {'groups':>8} {'exponent':>9}")
    previous = None
    for size in args.sizes:
        texts = distinct_questions(size)
        started = time.process_time()
        groups = group_similar((t, t) for t in texts)
        elapsed = time.process_time() - started
        assert sum(g.count for g in groups) == size
        exponent = ""
        if previous and previous[1] > 0 and elapsed > 0:
            exponent = f"{math.log(elapsed / previous[1]) / math.log(size / previous[0]):.2f}"
        print(
            f"{size:>8,} {elapsed:>8.2f} {size / max(elapsed, 1e-9):>9,.0f} {len(groups):>8,} "
            f"{exponent:>9}"
        )
        previous = (size, elapsed)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
