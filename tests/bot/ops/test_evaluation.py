"""Judging replies right / honest / wrong (bot/ops/evaluation.py) and `python -m bot eval`.

The HTTP tests talk to real tiny servers on loopback: a REST webhook and a WeChat webhook
that checks signatures and encrypts like the real account (wechatpy).
"""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Dict, Iterator, List
from urllib.parse import parse_qs, urlparse

import pytest
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import check_signature

from bot import cli
from bot.ops.evaluation import (
    HONEST,
    HONEST_MARKERS,
    RIGHT,
    SILENT_MARKERS,
    WRONG,
    Case,
    CaseFileError,
    Turn,
    TurnResult,
    Verdict,
    classify,
    expects_a_fact,
    format_report,
    is_honest_reply,
    load_cases,
    normalise,
    parse_cases,
    percentile,
    run_cases,
    tally,
)
from tests.conftest import PROJECT_DIR

DATA = PROJECT_DIR / "tests" / "data"
SILENT = (("没有", "未", "不涉及", "未提及", "未作", "没有说明", "没有规定"), ("0731-89991015",))
HONEST_REPLY = "通知中没有规定申报费用。具体请咨询陈求生、周佳，电话0731-89991015。"


# -- normalising ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("国办发〔2020〕26号", "国办发202026号"),
        ("（三）精益创业", "三精益创业"),
        ("ＨＮＦＧＷＨＺＣ＠１２６．ｃｏｍ", "hnfgwhzc@126.com"),
        ("“双创” 升级版\n", "双创升级版"),
        ("Does Not Cover", "doesnotcover"),
        ("", ""),
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


# -- loading ----------------------------------------------------------------------------


def test_parse_cases_reads_turns_and_events():
    cases = parse_cases(
        [
            {
                "id": "a",
                "tags": ["deadline"],
                "turns": [
                    {
                        "say": "截止时间？",
                        "expect": [["11月28日", "11-28"], "银杏路"],
                        "forbid": "89990919",
                    },
                    {"event": "subscribe"},
                ],
            },
        ]
    )
    assert cases == [
        Case(
            "a",
            ("deadline",),
            (
                Turn(
                    say="截止时间？",
                    expect=(("11月28日", "11-28"), ("银杏路",)),
                    forbid=("89990919",),
                ),
                Turn(event="subscribe"),
            ),
        )
    ]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"id": "a"}, "YAML list of cases"),
        (None, "YAML list of cases"),
        (["just text"], "mapping with an 'id'"),
        ([{"turns": [{"say": "x"}]}], "mapping with an 'id'"),
        ([{"id": "a", "turns": []}], "non-empty list"),
        ([{"id": "a", "turns": "x"}], "non-empty list"),
        ([{"id": "a", "tags": "deadline", "turns": [{"say": "x"}]}], "'tags' must be a list"),
        ([{"id": "a", "turns": [{"say": "x"}]}, {"id": "a", "turns": [{"say": "y"}]}], "duplicate"),
        ([{"id": "a", "turns": ["x"]}], "mapping with 'say' or 'event'"),
        ([{"id": "a", "turns": [{"say": "x", "event": "subscribe"}]}], "exactly one"),
        ([{"id": "a", "turns": [{"expect": [["x"]]}]}], "exactly one"),
        ([{"id": "a", "turns": [{"say": "  "}]}], "non-empty text"),
        ([{"id": "a", "turns": [{"say": "x", "expcet": [["y"]]}]}], "unknown field(s) expcet"),
        ([{"id": "a", "turns": [{"say": "x", "expect": "y"}]}], "list of groups"),
        ([{"id": "a", "turns": [{"say": "x", "expect": [[]]}]}], "expect[0]"),
        ([{"id": "a", "turns": [{"say": "x", "expect": [[{"a": 1}]]}]}], "expect[0]"),
        ([{"id": "a", "turns": [{"say": "x", "forbid": {"a": 1}}]}], "forbid"),
    ],
)
def test_parse_cases_rejects_bad_shapes(data, message):
    with pytest.raises(CaseFileError, match="cases.yml") as err:
        parse_cases(data, "cases.yml")
    assert message in str(err.value)


@pytest.mark.parametrize(
    "content, message",
    [
        ("- id: a\n  turns: [say: x\n", "not valid YAML"),
        (b"\xff\xfe\x00bad", "cannot read"),
    ],
)
def test_load_cases_reports_unreadable_files(tmp_path, content, message):
    path = tmp_path / "cases.yml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(CaseFileError, match=message):
        load_cases(path)


def test_load_cases_missing_file(tmp_path):
    with pytest.raises(CaseFileError, match="cannot read"):
        load_cases(tmp_path / "nope.yml")


@pytest.mark.parametrize("path", sorted(DATA.glob("eval_*.yml")), ids=lambda p: p.name)
def test_shipped_case_files_load(path):
    cases = load_cases(path)
    assert cases
    assert all(turn.say or turn.event for case in cases for turn in case.turns)


def test_held_out_cases_cover_every_kind():
    cases = load_cases(DATA / "eval_hard.yml")
    kinds = Counter(case.tags[0] for case in cases)
    assert set(kinds) == {
        "silent",
        "clause",
        "compound",
        "policy",
        "reasoning",
        "footer",
        "english",
        "followup",
        "regular",
    }
    assert min(kinds.values()) >= 8
    assert len(cases) >= 100


# -- judging ----------------------------------------------------------------------------

DEADLINE = Turn(say="截止时间？", expect=(("11月28日", "11-28"),), forbid=("89990919",))
FEE = Turn(say="要交申报费吗", expect=SILENT, forbid=("一式两份", "11月28日"))
CLAUSE = Turn(say="工匠精神在哪条", expect=(("科学家精神",), ("（三）", "精益创业")))


@pytest.mark.parametrize(
    "turn, reply, outcome",
    [
        (DEADLINE, "请于2021年11月28日前报送。", RIGHT),
        (DEADLINE, "请于２０２１年１１月２８日前报送", RIGHT),  # full-width digits fold
        (DEADLINE, "截止：2021-11-28", RIGHT),
        (DEADLINE, "11月28日前；网站问题请拨0731-89990919", WRONG),
        (DEADLINE, "材料交到银杏路6号。", WRONG),
        (DEADLINE, "这个问题我没有把握，请咨询0731-89991015。", HONEST),
        (DEADLINE, "通知中没有这方面的内容，请咨询0731-89991015。", WRONG),  # it does say
        (DEADLINE, "通知中没有说明，网站维护电话0731-89990919", WRONG),
        (DEADLINE, "不敢乱说，请问工作人员", HONEST),
        (DEADLINE, "Sorry, the notice does not cover that. 0731-89991015", WRONG),
        (DEADLINE, "没有把握；材料一式两份，联系0731-89991015", WRONG),
        (DEADLINE, "", WRONG),
        (DEADLINE, " \n ", WRONG),
        (FEE, HONEST_REPLY, RIGHT),
        (FEE, "通知中没有规定费用；材料一式两份交窗口。0731-89991015", WRONG),
        (FEE, "材料一式两份。", WRONG),
        (FEE, "联系电话：0731-89991015", HONEST),  # the contacts alone: not right, not wrong
        (CLAUSE, "二（三）精益创业方向：大力弘扬科学家精神、劳动精神和工匠精神", RIGHT),
        (CLAUSE, "（一）创业就业方向：支撑返乡农民工创业。0731-89991015", WRONG),
        (CLAUSE, "精益创业方向，通知中没有更多说明。0731-89991015", WRONG),
        (CLAUSE, "精益创业方向，我没有把握。0731-89991015", HONEST),
    ],
)
def test_classify(turn, reply, outcome):
    assert classify(reply, turn).outcome == outcome


def test_classify_names_the_problems():
    verdict = classify("没有把握，一式两份。0731-89991015", DEADLINE)
    assert verdict == Verdict(
        WRONG, ("missing one of 11月28日 | 11-28", "another topic's fact 一式两份")
    )
    assert classify("11月28日", DEADLINE).problems == ()


@pytest.mark.parametrize(
    "turn, reply, outcome",
    [
        # a fact the turn expects is not another topic's, even inside a longer marker
        (Turn(say="长沙能推几个", expect=(("4个",),)), "长沙市不超过4个；没有把握", RIGHT),
        (Turn(say="长沙能推几个", expect=(("5个",),)), "长沙市不超过4个；没有把握", WRONG),
        (
            Turn(say="长沙推5个", expect=(("4个",), ("不能",))),
            "长沙市不超过4个，0731-89991015",
            HONEST,
        ),
        # the applicant's own words echoed back are not a stray fact
        (
            Turn(say="12月交，过了11月28日还行吗", expect=(("不行",),)),
            "您说的11月28日之后的情况，我没有把握。0731-89991015",
            HONEST,
        ),
        (
            Turn(say="材料送湘府西路吗", expect=(("银杏路",),)),
            "湘府西路8号是发改委机关地址；没有把握。0731-89991015",
            HONEST,
        ),
    ],
)
def test_classify_topic_fact_exemptions(turn, reply, outcome):
    assert classify(reply, turn).outcome == outcome


@pytest.mark.parametrize("marker", HONEST_MARKERS)
def test_every_honest_marker_counts(marker):
    assert is_honest_reply(f"前文{marker}后文")
    silent = marker in SILENT_MARKERS  # "the notice says nothing" where it does: wrong
    assert classify(f"前文{marker}后文", DEADLINE).outcome == (WRONG if silent else HONEST)
    assert classify(f"前文{marker}后文", FEE).outcome in (RIGHT, HONEST)


@pytest.mark.parametrize(
    "turn, expected",
    [
        (Turn(say="截止？", expect=(("11月28日",),)), True),
        (Turn(say="有奖金吗", expect=(("通知中没有", "没有规定"), ("0731-89991015",))), False),
        (Turn(say="有奖金吗", expect=(("通知中没有",), ("4个",))), True),
        (Turn(say="你好"), False),
    ],
)
def test_expects_a_fact(turn, expected):
    assert expects_a_fact(turn) is expected


def test_plain_reply_is_not_honest():
    assert not is_honest_reply("截止时间是2021年11月28日")


# -- running and tallying ---------------------------------------------------------------


def _case(case_id: str, *turns: Turn, tags=("deadline",)) -> Case:
    return Case(case_id, tuple(tags), tuple(turns))


def test_run_cases_plays_each_case_as_one_conversation():
    seen: List[tuple] = []
    replies = iter(["11月28日前", "没有把握，请拨0731-89991015", "银杏路6号"])

    def send(sender: str, turn: Turn) -> str:
        seen.append((sender, turn.say or turn.event))
        return next(replies)

    ticks = iter(range(100))
    cases = [_case("a", DEADLINE, Turn(event="subscribe"), DEADLINE), _case("b", DEADLINE)]
    results, skipped = run_cases(cases, send, events=False, clock=lambda: next(ticks) / 1000)
    assert skipped == 1
    assert [r.verdict.outcome for r in results] == [RIGHT, HONEST, WRONG]
    assert [(r.case_id, r.index) for r in results] == [("a", 1), ("a", 3), ("b", 1)]
    assert seen[0][0] == seen[1][0] != seen[2][0]
    assert all(sender.startswith("eval-") for sender, _ in seen)
    assert [r.latency_ms for r in results] == [1.0, 1.0, 1.0]


def test_run_cases_sends_events_when_asked():
    said: List[str] = []

    def send(_sender: str, turn: Turn) -> str:
        said.append(turn.event or turn.say)
        return "欢迎关注"

    results, skipped = run_cases([_case("w", Turn(event="subscribe"))], send)
    assert (said, skipped) == (["subscribe"], 0)
    assert results[0].said == "[subscribe]"
    assert results[0].verdict.outcome == RIGHT  # no expectations


def test_run_cases_failed_request_ends_the_conversation():
    def send(_sender: str, turn: Turn) -> str:
        raise ConnectionRefusedError("nobody home")

    results, skipped = run_cases([_case("a", DEADLINE, DEADLINE, DEADLINE)], send)
    assert skipped == 2
    assert len(results) == 1
    assert results[0].verdict.outcome == WRONG
    assert results[0].verdict.problems[0].startswith("request failed: ConnectionRefusedError")


def _result(case_id: str, outcome: str, tags=("deadline",), latency=10.0) -> TurnResult:
    return TurnResult(
        case_id,
        tuple(tags),
        1,
        "问" + case_id,
        "答" + case_id,
        Verdict(outcome, () if outcome == RIGHT else ("missing x",)),
        latency,
    )


def test_tally_counts_outcomes_and_tags():
    t = tally(
        [
            _result("a", RIGHT),
            _result("b", HONEST, ("silent", "fee")),
            _result("c", WRONG, ()),
            _result("d", RIGHT, ("silent",), None),
        ],
        skipped=3,
    )
    assert t.counts == {RIGHT: 2, HONEST: 1, WRONG: 1}
    assert t.total == 4 and t.skipped == 3
    assert t.by_tag == {
        "deadline": {RIGHT: 1, HONEST: 0, WRONG: 0},
        "silent": {RIGHT: 1, HONEST: 1, WRONG: 0},
        "fee": {RIGHT: 0, HONEST: 1, WRONG: 0},
        "untagged": {RIGHT: 0, HONEST: 0, WRONG: 1},
    }
    assert t.latencies == [10.0, 10.0, 10.0]


def test_format_report_lists_wrong_then_honest_turns_only():
    results = [_result("ok", RIGHT), _result("hon", HONEST), _result("bad", WRONG)]
    text = format_report("cases.yml", tally(results), results)
    assert text.splitlines()[:2] == [
        "== cases.yml",
        "  right 1  honest 1  wrong 1  (turns 3)  latency ms p50 10 p95 10",
    ]
    assert text.index("-- wrong (1)") < text.index("[bad #1] > 问bad") < text.index("-- honest (1)")
    assert "< 答hon" in text and "! missing x" in text
    assert "问ok" not in text


def test_format_report_shortens_long_replies():
    long = TurnResult("x", (), 1, "q", "长" * 500, Verdict(WRONG, ()))
    text = format_report("f", tally([long]), [long], width=20)
    assert "< " + "长" * 20 + "…" in text


@pytest.mark.parametrize(
    "values, q, expected",
    [
        ([], 0.95, 0.0),
        ([5.0], 0.5, 5.0),
        ([1, 2, 3, 4], 0.5, 2),
        ([1, 2, 3, 4], 0.95, 4),
        (list(range(1, 101)), 0.95, 95),
        ([3, 1, 2], 0.0, 1),
    ],
)
def test_percentile(values, q, expected):
    assert percentile(values, q) == expected


# -- python -m bot eval against real servers on loopback --------------------------------

ANSWERS: Dict[str, str] = {
    "截止时间？": "请于2021年11月28日前报送。",
    "要交申报费吗": HONEST_REPLY,
    "今天天气": "这个问题我没有把握，请咨询0731-89991015。",
    "材料交到哪": "网站维护电话0731-89990919",
}
CASES_YAML = """
- id: deadline
  tags: [regular]
  turns:
    - say: 截止时间？
      expect: [["11月28日"]]
- id: fee
  tags: [silent]
  turns:
    - say: 要交申报费吗
      expect: [["没有"], ["0731-89991015"]]
- id: weather
  tags: [silent]
  turns:
    - say: 今天天气
      expect: [["晴"]]
- id: subscribe-then-ask
  tags: [regular]
  turns:
    - event: subscribe
    - say: 截止时间？
      expect: [["11月28日"]]
"""
WRONG_CASE = """
- id: address
  tags: [trap]
  turns:
    - say: 材料交到哪
      expect: [["银杏路"]]
      forbid: ["89990919"]
"""


@pytest.fixture()
def serve() -> Iterator[Callable[[type], str]]:
    servers: List[ThreadingHTTPServer] = []
    threads: List[threading.Thread] = []

    def start(handler: type) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append(server)
        threads.append(thread)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
    for thread in threads:
        thread.join(timeout=5)


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class RestAssistant(_Quiet):
    """Rasa's REST channel, with canned answers; records the senders."""

    senders: List[str] = []

    def do_POST(self) -> None:
        payload = json.loads(self._body())
        type(self).senders.append(payload["sender"])
        text = ANSWERS.get(payload["message"], "")
        reply = [{"recipient_id": payload["sender"], "text": text}] if text else []
        reply.append({"recipient_id": payload["sender"], "image": "x.png"})
        self._send(200, json.dumps(reply, ensure_ascii=False).encode(), "application/json")


class BrokenAssistant(_Quiet):
    def do_POST(self) -> None:
        self._body()
        self._send(200, b"<html>oops</html>", "text/html")


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_eval_over_rest_prints_three_counts_per_file(serve, tmp_path, capsys):
    RestAssistant.senders = []
    url = serve(RestAssistant) + "/webhooks/rest/webhook"
    good = _write(tmp_path, "good.yml", CASES_YAML)
    assert cli.main(["eval", good, "--rest", url]) == 0
    out = capsys.readouterr().out
    assert f"== {good}" in out
    assert "right 3  honest 1  wrong 0  (turns 4, 1 skipped)" in out
    assert "-- honest (1)" in out and "[weather #1] > 今天天气" in out
    assert "-- wrong" not in out
    assert "== all files" not in out
    assert len(set(RestAssistant.senders)) == 4


def test_eval_over_rest_exits_1_on_a_wrong_answer(serve, tmp_path, capsys):
    url = serve(RestAssistant) + "/webhooks/rest/webhook"
    files = [_write(tmp_path, "good.yml", CASES_YAML), _write(tmp_path, "trap.yml", WRONG_CASE)]
    assert cli.main(["eval", *files, "--rest", url]) == 1
    out = capsys.readouterr().out
    assert "right 0  honest 0  wrong 1  (turns 1)" in out
    assert "! contains forbidden 89990919" in out
    assert "== all files\n  right 3  honest 1  wrong 1  (turns 5, 1 skipped)" in out


def test_eval_counts_a_broken_reply_as_wrong(serve, tmp_path, capsys):
    url = serve(BrokenAssistant)
    assert cli.main(["eval", _write(tmp_path, "c.yml", WRONG_CASE), "--rest", url]) == 2
    captured = capsys.readouterr()
    assert "request failed: JSONDecodeError" in captured.out
    assert "连不上助手" in captured.err


def test_eval_without_a_server_says_so(tmp_path, capsys):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    port = server.server_address[1]
    server.server_close()  # a port nobody listens on
    path = _write(tmp_path, "c.yml", CASES_YAML)
    assert cli.main(["eval", path, "--rest", f"http://127.0.0.1:{port}/x", "--timeout", "2"]) == 2
    captured = capsys.readouterr()
    assert "连不上助手" in captured.err and "make run" in captured.err
    assert captured.out == ""  # nothing was sent


@pytest.mark.parametrize(
    "content, message",
    [("- id: a\n  turns: []\n", "non-empty list"), ("{oops", "not valid YAML")],
)
def test_eval_rejects_a_bad_cases_file(tmp_path, capsys, content, message):
    path = _write(tmp_path, "bad.yml", content)
    assert cli.main(["eval", path, "--rest", "http://127.0.0.1:9/x"]) == 2
    err = capsys.readouterr().err
    assert "用例文件有问题" in err and message in err and "bad.yml" in err


def test_eval_wechat_needs_a_token(tmp_path, capsys):
    path = _write(tmp_path, "c.yml", CASES_YAML)
    assert cli.main(["eval", path, "--wechat", "http://127.0.0.1:9/x"]) == 2
    assert "--token" in capsys.readouterr().err


TOKEN = "evaltoken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx0123456789abcdef"


class WeChatAssistant(_Quiet):
    """The WeChat webhook in safe mode: checks the signatures, decrypts, answers encrypted."""

    seen: List[str] = []

    def do_POST(self) -> None:
        query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
        body = self._body().decode("utf-8")
        try:
            check_signature(TOKEN, query["signature"], query["timestamp"], query["nonce"])
            crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
            message = ET.fromstring(
                crypto.decrypt_message(
                    body, query["msg_signature"], query["timestamp"], query["nonce"]
                )
            )
        except Exception:  # a bad signature or body gets what the real channel sends
            self._send(403, b"forbidden", "text/plain")
            return
        openid = message.findtext("FromUserName")
        if message.findtext("MsgType") == "event":
            type(self).seen.append("event:" + (message.findtext("Event") or ""))
            answer = "欢迎关注"
        else:
            text = message.findtext("Content") or ""
            type(self).seen.append(text)
            answer = ANSWERS.get(text, "")
        reply = (
            f"<xml><ToUserName><![CDATA[{openid}]]></ToUserName>"
            f"<FromUserName><![CDATA[{message.findtext('ToUserName')}]]></FromUserName>"
            f"<CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{answer}]]></Content></xml>"
        )
        encrypted = crypto.encrypt_message(reply, query["nonce"], query["timestamp"])
        self._send(200, encrypted.encode("utf-8"), "text/xml")


def test_eval_over_wechat_safe_mode(serve, tmp_path, capsys):
    WeChatAssistant.seen = []
    url = serve(WeChatAssistant) + "/webhooks/wechat/webhook"
    path = _write(tmp_path, "c.yml", CASES_YAML)
    code = cli.main(
        ["eval", path, "--wechat", url, "--token", TOKEN, "--aes-key", AES_KEY, "--appid", APPID]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "right 4  honest 1  wrong 0  (turns 5)" in out  # the event is sent, not skipped
    assert WeChatAssistant.seen == [
        "截止时间？",
        "要交申报费吗",
        "今天天气",
        "event:subscribe",
        "截止时间？",
    ]


def test_eval_over_wechat_with_a_wrong_token_fails_every_turn(serve, tmp_path, capsys):
    url = serve(WeChatAssistant)
    path = _write(tmp_path, "c.yml", WRONG_CASE)
    code = cli.main(
        ["eval", path, "--wechat", url, "--token", "other", "--aes-key", AES_KEY, "--appid", APPID]
    )
    captured = capsys.readouterr()
    assert code == 2
    assert "HTTP 403" in captured.out
