"""Stands in for ``python -m bot publish`` (which trains a model for minutes) in the console's
tests: notes its stages in ``PUBLISH_PROGRESS_FILE`` as publish does, and between training and
loading waits until the file named by ``FAKE_PUBLISH_GO`` exists (if set), so a test can look
at the page mid-way. ``FAKE_PUBLISH_FAIL=1``: fails the way publish does."""

from __future__ import annotations

import os
import sys
import time

from bot.ops.publish import stage


def main() -> int:
    print("arguments:", " ".join(sys.argv[1:]), flush=True)
    stage("check")
    print("正在为当前知识库准备模型……", flush=True)
    stage("train")
    go = os.environ.get("FAKE_PUBLISH_GO")
    deadline = time.monotonic() + 60
    while go and not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.02)
    if os.environ.get("FAKE_PUBLISH_FAIL"):
        print("发布失败：新模型只答对了 3/40 个标准问，没有切换", file=sys.stderr, flush=True)
        return 1
    stage("load")
    print("已切换到新模型 0123abcd.tar.gz", flush=True)
    stage("verify")
    return 0


if __name__ == "__main__":
    sys.exit(main())
