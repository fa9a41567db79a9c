"""The knowledge files and `python -m bot kb check`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main as cli_main
from bot.kb.check import HUNAN_CITIES
from bot.kb.load import KnowledgeCache, check_directory


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
        "国办发〔2020〕26号",
        "发改办高技〔2021〕46号",
        "湘政发〔2019〕13号",
    ]
    assert {
        t.name: (kb.direction(t.default_direction).name if t.default_direction else None)
        for t in kb.applicant_types
    } == {
        "区域": None,
        "企业": "融通创新",
        "高校": "创业就业",
        "科研院所": "精益创业",
    }
    assert [a.number for a in kb.notice.attachments.items] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    "file, old, new, expected",
    [
        (
            "notice.yml",
            "  date: 2021-11-28",
            "  date: 2021-13-45",
            r"notice\.yml › deadline › date：日期格式不对",
        ),
        (
            "faq.yml",
            "{deadline_status}",
            "{deadline_statu}",
            r"faq › deadline：answer 引用了不存在的事实 \{deadline_statu\}",
        ),
        (
            "faq.yml",
            "      - 材料一式几份\n",
            "      - 材料一式几份\n      - 截止时间\n",
            r"相似问“截止时间”同时出现在 deadline 和 copies",
        ),
        (
            "cities.yml",
            "  - {name: 株洲市, aliases: [株洲, zhuzhou], quota: 3}\n",
            "",
            r"缺少株洲市的推荐名额",
        ),
        ("cities.yml", "quota: 4}", "quota: 0}", r"应为大于 0 的数"),
        (
            "directions.yml",
            "supports: [科研人员, 大学生,",
            "supports: [科学家, 大学生,",
            r"directions › 创业就业：supports 里的“科学家”不在这个方向的原文",
        ),
        (
            "lookups.yml",
            "    labels: [技术支持]\n",
            "",
            r"lookups › website_tech_support：写了 labels_need 却没有 labels",
        ),
        (
            "lookups.yml",
            "    labels: [技术支持]\n",
            "    labels: [技术保障单位]\n",
            r"labels 里的“技术保障单位”在通知原文和页脚里都找不到",
        ),
        (
            "lookups.yml",
            'also: ["湘府西路8号", "湘府西路"]',
            'also: ["湘府西路8号", "湘府东路"]',
            r"also 里的“湘府东路”不在事实原文",
        ),
        (
            "faq.yml",
            "联系人：{contact_people}；联系电话：{phone}",
            "联系人：{contact_people}；联系电话：0731-89990919",
            r"网站维护电话",
        ),
        (
            "faq.yml",
            "联系人：{contact_people}；联系电话：{phone}",
            "联系人：{contact_people}；联系电话：0731-12345678",
            r"直接写了电话号码",
        ),
        (
            "directions.yml",
            "default_direction: rongtong_chuangxin",
            "default_direction: rongtong",
            r"default_direction “rongtong”不是已有方向",
        ),
        ("faq.yml", "  - id: copies", "  - id: Copies!", r"id 只能用小写英文字母"),
        ("notice.yml", "  phone: 0731-89991015", "  phone: 89991015", r"电话号码格式应为"),
        (
            "faq.yml",
            "    clause: 四、1\n",
            "    clause: 四、1\n    answr: x\n",
            r"多了一个不认识的字段",
        ),
        (
            "directions.yml",
            "synonyms: [企业示范基地,",
            "synonyms: [长沙, 企业示范基地,",
            r"说法“长沙”同时属于",
        ),
        (
            "wechat_menu.yml",
            "        type: click\n        key: DEADLINE",
            "        type: clik\n        key: DEADLINE",
            r"wechat_menu\.yml › button › 第1项（申报指南） › sub_button › 第1项（截止时间） › "
            r"type：只能填：click、view",
        ),
        ("wechat_menu.yml", "        ask: 申报截止时间是什么时候？\n", "", r"需要 key 和 ask"),
        # the notice's own text must hold the facts taken from it
        (
            "notice.yml",
            "银杏路6号",
            "银杏路8号",
            r"notice_text\.yml › clauses：notice\.yml "
            r"中的报送地址“.*银杏路8号.*”在通知正文原文里找不到",
        ),
        (
            "notice_text.yml",
            "联系电话：0731-89991015。",
            "联系电话：0731-89991016。",
            r"咨询电话“0731-89991015”在通知正文原文里找不到",
        ),
        (
            "notice_text.yml",
            "  - clause: 四、3\n",
            "  - clause: 四、2\n",
            r"clauses › 四、2：条款号重复",
        ),
        ("notice_text.yml", "    scope: footer\n", "    scope: header\n", r"scope 只能填"),
        # footer facts only where the footer is asked about
        (
            "faq.yml",
            "如有疑问可致电 {phone}",
            "如有疑问可致电 {website_phone}",
            r"faq › electronic_copy：\{website_phone\} 是网页页脚的信息",
        ),
        (
            "faq.yml",
            "    footer: true\n    tags: [联系]\n    keywords: [下载不了",
            "    tags: [联系]\n    keywords: [下载不了",
            r"faq › website_support：\{website_phone\}、\{website_phone_scope\} 是网页页脚的信息",
        ),
        # what the notice does not regulate
        (
            "not_in_notice.yml",
            "examples: [申请这个示范基地要不要缴费,",
            "examples: [申请这个示范基地要不要审批,",
            r"例句“申请这个示范基地要不要审批”不含任何关键词",
        ),
        (
            "faq.yml",
            "      - 截止日期是哪天\n",
            "      - 截止日期是哪天\n      - 报名要交费吗\n",
            r"相似问“报名要交费吗”含有“通知未涉及”事项（申报是否收费）的关键词",
        ),
        # English, messages, city groups
        (
            "english.yml",
            "  - faq: quota\n",
            "  - faq: quotas\n",
            r"faq “quotas”不是 faq\.yml 中已有的条目 id",
        ),
        (
            "messages.yml",
            "关于{asked}，",
            "关于{question}，",
            r"messages › not_in_notice：引用了这条回复不能用的名称 \{question\}",
        ),
        (
            "messages.yml",
            "关于{asked}，",
            "关于这件事，",
            r"messages › not_in_notice：缺少必须出现的 \{asked\}",
        ),
        (
            "messages.yml",
            "  identity: |-",
            "  identiti: |-",
            r"messages › identity：缺少这条固定回复",
        ),
        (
            "messages.yml",
            "{contacts}（工作时间）",
            "0731-89991015（工作时间）",
            r"messages › identity：直接写了电话号码",
        ),
        (
            "messages.yml",
            "  feedback_no: 没帮助",
            "  feedback_no: 有帮助",
            r"messages › feedback_no：“有帮助”和“没帮助”两个按钮的字不能相同",
        ),
        (
            "messages.yml",
            "  feedback_yes: 有帮助",
            "  feedback_yes: 这个回答对我很有帮助谢谢",
            r"messages › feedback_yes：按钮上的字应为一个8字以内",
        ),
        (
            "cities.yml",
            "members: [长沙市, 株洲市, 湘潭市]",
            "members: [长沙, 株洲市, 湘潭市]",
            r"groups › 长株潭：“长沙”不是 cities 中的市州全称",
        ),
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
        edit(
            knowledge_copy / "cities.yml",
            "  - {name: 湘潭市, aliases: [湘潭, xiangtan], quota: 3}\n",
            "",
        )
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


@pytest.mark.parametrize(
    "faq_id, expected",
    [
        ("back", "系统保留的名称"),  # Rasa's default intent /back
        ("session_start", "系统保留的名称"),
        ("restart", "系统保留的名称"),
        ("nlu_fallback", "系统保留的名称"),
        ("out_of_scope", "系统保留的名称"),
        ("action_listen", "系统保留的名称"),  # Rasa's default actions
        ("action_two_stage_fallback", "系统保留的名称"),
        ("human_handoff", "系统保留的名称"),  # the project's own intents, actions and forms
        ("selfcheck_form", "系统保留的名称"),
        ("action_answer", "系统保留的名称"),
        ("action_parking", "不能以 action_、utter_、validate_ 开头"),
        ("utter_deadline", "不能以 action_、utter_、validate_ 开头"),
    ],
)
def test_faq_ids_must_not_take_reserved_names(knowledge_copy, faq_id, expected):
    edit(knowledge_copy / "faq.yml", "  - id: copies\n", f"  - id: {faq_id}\n")
    found = [m for m in messages(knowledge_copy) if f"faq › {faq_id}" in m]
    assert found and expected in found[0]


@pytest.mark.parametrize("faq_id", ["deadline_2", "backup", "session_info", "parking"])
def test_faq_ids_near_reserved_names_are_fine(knowledge_copy, faq_id):
    edit(knowledge_copy / "faq.yml", "  - id: copies\n", f"  - id: {faq_id}\n")
    assert not [m for m in messages(knowledge_copy) if "保留" in m or "开头" in m]
