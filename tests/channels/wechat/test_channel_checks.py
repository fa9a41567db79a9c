"""The judge's protocol checks (../shared/eval/wechat_checks.py) against the channel on loopback.

The assistant is played by a keyword bot so that only the channel is under test.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tests.support.wechat_fakes import AES_KEY, APPID, TOKEN, make_channel, serve_channel

pytestmark = pytest.mark.usefixtures("channel_settings")

# The judge's script lives outside the repository, beside the checkout (or where SHARED_DIR says).
_CANDIDATES = [
    Path(os.environ.get("SHARED_DIR", "/nonexistent")),
    Path(__file__).resolve().parents[3] / "shared",
    Path("/work/shared"),
]
CHECKS = next(
    (
        d / "eval" / "wechat_checks.py"
        for d in _CANDIDATES
        if (d / "eval" / "wechat_checks.py").exists()
    ),
    _CANDIDATES[1] / "eval" / "wechat_checks.py",
)
ANSWERS = {
    "截止": "申报截止时间：2021年11月28日前（通知四、2）",
    "地址": "报送至省政务服务中心发展改革综合服务窗口",
    "电话": "联系电话：0731-89991015",
    "你好": "欢迎！我是湖南省双创示范基地申报助手。",
}


async def keyword_bot(message) -> None:
    answer = next((a for k, a in ANSWERS.items() if k in message.text), "抱歉，没听懂")
    await message.output_channel.send_text_message(message.sender_id, answer)


@pytest.mark.skipif(not CHECKS.exists(), reason="../shared/eval/wechat_checks.py is not here")
@pytest.mark.parametrize("safe", [False, True], ids=["plaintext", "safe"])
async def test_the_protocol_checks_pass_strictly(safe):
    """--strict counts the hardening checks: nonce reuse and (safe mode) plaintext refused."""
    channel = make_channel(aes_key=AES_KEY, appid=APPID) if safe else make_channel()
    mode = ["--aes-key", AES_KEY, "--appid", APPID] if safe else []
    async with serve_channel(channel, keyword_bot) as url:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(CHECKS),
            url,
            "--token",
            TOKEN,
            *mode,
            "--strict",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    report = out.decode()
    assert proc.returncode == 0, report
    assert "0 failed" in report and "TODO" not in report and "FAIL" not in report
    passed = int(report.strip().splitlines()[-1].split()[0])
    assert passed >= (15 if safe else 13), report  # both hardening checks counted
