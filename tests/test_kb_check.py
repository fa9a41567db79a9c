"""The knowledge files and `python -m bot kb check`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main as cli_main
from bot.kb.check import HUNAN_CITIES, check_directory
from bot.kb.loader import KnowledgeCache


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found: {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def messages(directory: Path) -> list:
    return [str(p) for p in check_directory(directory)]


def test_shipped_knowledge_is_clean(knowledge_copy):
    assert messages(knowledge_copy) == []


def test_every_city_has_the_notice_quota(kb):
    quotas = {city.name: city.quota for city in kb.cities}
    assert set(quotas) == set(HUNAN_CITIES)
    assert quotas.pop("长沙市") == 4
    assert quotas.pop("株洲市") == 3 and quotas.pop("湘潭市") == 3
    assert set(quotas.values()) == {2}


def test_facts_of_the_notice(kb):
    assert kb.notice.deadline.date.isoformat() == "2021-11-28"
    assert kb.notice.contacts.phone == "0731-89991015"
    assert kb.notice.contacts.email == "hnfgwhzc@126.com"
    assert [doc.number for doc in kb.notice.policy_basis.documents] == [
        "国办发〔2020〕26号", "发改办高技〔2021〕46号", "湘政发〔2019〕13号",
    ]
    assert {t.name: (kb.direction(t.default_direction).name if t.default_direction else None) for t in kb.applicant_types} == {
        "区域": None, "企业": "融通创新", "高校": "创业就业", "科研院所": "精益创业",
    }
    assert [a.number for a in kb.notice.attachments.items] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    "file, old, new, expected",
    [
        ("notice.yml", "  date: 2021-11-28", "  date: 2021-13-45", r"notice\.yml › deadline › date：日期格式不对"),
        ("faq.yml", "{deadline_status}", "{deadline_statu}", r"faq › deadline：answer 引用了不存在的事实 \{deadline_statu\}"),
        ("faq.yml", "      - 材料一式几份\n", "      - 材料一式几份\n      - 截止时间\n", r"相似问“截止时间”同时出现在 deadline 和 copies"),
        ("cities.yml", "  - {name: 株洲市, aliases: [株洲], quota: 3}\n", "", r"缺少株洲市的推荐名额"),
        ("cities.yml", "quota: 4}", "quota: 0}", r"应为大于 0 的数"),
        ("faq.yml", "联系人：{contact_people}；联系电话：{phone}", "联系人：{contact_people}；联系电话：0731-89990919", r"网站维护电话"),
        ("faq.yml", "联系人：{contact_people}；联系电话：{phone}", "联系人：{contact_people}；联系电话：0731-12345678", r"直接写了电话号码"),
        ("directions.yml", "default_direction: rongtong_chuangxin", "default_direction: rongtong", r"default_direction “rongtong”不是已有方向"),
        ("faq.yml", "  - id: copies", "  - id: Copies!", r"id 只能用小写英文字母"),
        ("notice.yml", "  phone: 0731-89991015", "  phone: 89991015", r"电话号码格式应为"),
        ("faq.yml", "    clause: 四、1\n", "    clause: 四、1\n    answr: x\n", r"多了一个不认识的字段"),
        ("directions.yml", "synonyms: [企业示范基地,", "synonyms: [长沙, 企业示范基地,", r"说法“长沙”同时属于"),
        ("wechat_menu.yml", "        type: click\n        key: DEADLINE", "        type: clik\n        key: DEADLINE", r"wechat_menu\.yml › button › 第1项（申报指南） › sub_button › 第1项（截止时间） › type：只能填：click、view"),
        ("wechat_menu.yml", "        ask: 申报截止时间是什么时候？\n", "", r"需要 key 和 ask"),
    ],
)
def test_checker_explains_each_mistake(knowledge_copy, file, old, new, expected):
    edit(knowledge_copy / file, old, new)
    found = messages(knowledge_copy)
    assert any(re.search(expected, message) for message in found), found


def test_checker_reports_all_problems_at_once(knowledge_copy):
    edit(knowledge_copy / "faq.yml", "{deadline_status}", "{nope_one}")
    edit(knowledge_copy / "faq.yml", "{copies}。{electronic_copy}。", "{nope_two}")
    found = messages(knowledge_copy)
    assert any("nope_one" in m for m in found) and any("nope_two" in m for m in found)


def test_broken_yaml_is_located(knowledge_copy):
    edit(knowledge_copy / "faq.yml", "  - id: copies\n", "  - id: copies\n   bad: [\n")
    found = messages(knowledge_copy)
    assert len(found) == 1 and found[0].startswith("faq.yml：YAML 格式错误第")


def test_cli_exit_codes(knowledge_copy, monkeypatch, capsys):
    from bot import settings

    monkeypatch.setenv("KNOWLEDGE_DIR", str(knowledge_copy))
    settings.get_settings.cache_clear()
    try:
        assert cli_main(["kb", "check"]) == 0
        edit(knowledge_copy / "cities.yml", "  - {name: 湘潭市, aliases: [湘潭], quota: 3}\n", "")
        assert cli_main(["kb", "check"]) == 1
        assert "缺少湘潭市" in capsys.readouterr().err
    finally:
        settings.get_settings.cache_clear()


def test_cache_reloads_edits_and_keeps_last_good_version(knowledge_copy):
    cache = KnowledgeCache(knowledge_copy)
    assert cache.get().notice.contacts.people == ["陈求生", "周佳"]
    edit(knowledge_copy / "notice.yml", "people: [陈求生, 周佳]", "people: [陈求生, 周佳, 新同事]")
    assert cache.get().notice.contacts.people[-1] == "新同事"
    edit(knowledge_copy / "notice.yml", "  date: 2021-11-28", "  date: not-a-date")
    assert cache.get().notice.contacts.people[-1] == "新同事"
    assert cache.last_error is not None
