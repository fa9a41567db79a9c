"""Review in bulk and without loss: many groups at once, 没帮助 answers in the queue linked to
their turn, no preselected target when nothing is similar."""

from __future__ import annotations

import re

from bot.console import store
from bot.kb.load import load_knowledge
from bot.questionlog.store import write_rows
from tests.bot.console.conftest import csrf_of
from tests.support.question_log import make_row
from tests.support.question_log_seed import SINCE, UNTIL, T

RANGE = f"since={SINCE.isoformat()}&until={UNTIL.isoformat()}"
BACK = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}
MORE = [
    make_row(T(2, 5), "s1", sender_id="re_s", topic="not_in_notice", text="申报要交报名费吗"),
    make_row(T(2, 6), "s2", sender_id="re_t", topic="not_in_notice", text="评审收不收费用"),
    # an answer marked 没帮助 (the feedback names the message it is about)
    make_row(T(2, 7), "u1", sender_id="re_u", topic="materials", text="盖章的材料要几份"),
    make_row(T(2, 7, 1), "u2", sender_id="re_u", text="没帮助", feedback="no", feedback_for="u1"),
]


async def queue(staff):
    html = await (await staff.get("/review?" + RANGE)).text()
    return html, csrf_of(html)


def group_keys(html):
    return re.findall(r'name="keys" value="([^"]+)"', html)


async def test_many_groups_are_confirmed_or_ignored_at_once(staff, config):
    write_rows(MORE, config.database_url)
    html, token = await queue(staff)
    keys = group_keys(html)
    silent = [k for k in keys if "费" in k]
    assert len(silent) == 2 and 'id="bulk"' in html
    response = await staff.post(
        "/review/bulk",
        data=[("csrf", token), *BACK.items(), ("bulk_action", "confirm")]
        + [("keys", k) for k in silent],
    )
    html = await response.text()
    assert "批量处理" in html and "已完成" in html
    assert set(group_keys(html)) == set(keys) - set(silent)
    decided = store.decided(config.database_url)
    assert all(decided[k].action == store.CONFIRM_SILENT for k in silent)
    assert store.unpublished(config.database_url) == []  # nothing to train


async def test_groups_become_examples_of_a_topic_all_or_nothing(staff, config):
    write_rows(MORE, config.database_url)
    html, token = await queue(staff)
    silent = [k for k in group_keys(html) if "费" in k]
    before = (config.knowledge_dir / "not_in_notice.yml").read_bytes()
    refused = await staff.post(
        "/review/bulk",
        data=[("csrf", token), *BACK.items(), ("bulk_action", "topic"), ("topic_id", "fee")]
        + [("keys", k) for k in [*silent, "食堂几点开饭"]],  # no fee keyword in the last
    )
    assert "未完成" in await refused.text()
    assert (config.knowledge_dir / "not_in_notice.yml").read_bytes() == before
    accepted = await staff.post(
        "/review/bulk",
        data=[("csrf", token), *BACK.items(), ("bulk_action", "topic"), ("topic_id", "fee")]
        + [("keys", k) for k in silent],
    )
    assert "已完成" in await accepted.text()
    fee = next(
        t for t in load_knowledge(config.knowledge_dir).not_in_notice.topics if t.id == "fee"
    )
    assert set(silent) <= set(fee.examples)


async def test_an_unhelpful_answer_is_in_the_queue_linked_to_its_turn(staff, config):
    write_rows(MORE, config.database_url)
    html, _ = await queue(staff)
    assert "没帮助" in html and "盖章的材料要几份" in html
    assert "当时回答的问答" in html
    link = re.search(
        r'href="(/conversation/(\d+)#turn-(\d+))"[^>]*>看对话</a>',
        html.split('class="key">盖章的材料要几份')[1],
    )
    assert link and link.group(2) == link.group(3)
    page = await (await staff.get(link.group(1).split("#")[0])).text()
    assert f'class="turn here" id="turn-{link.group(2)}"' in page


async def test_no_target_is_preselected_when_nothing_is_similar(staff):
    html, _ = await queue(staff)
    canteen = html.split('class="key">食堂几点开饭')[1].split('class="card group"')[0]
    assert '<option value="" selected>请选择问答' in canteen


async def test_a_bulk_form_without_groups_says_so(staff):
    _, token = await queue(staff)
    response = await staff.post(
        "/review/bulk", data={"csrf": token, **BACK, "bulk_action": "ignore"}
    )
    assert "请先勾选" in await response.text()
