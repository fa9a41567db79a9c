"""Cross-file rules for knowledge/notice_text.yml (the notice's own words), worded for staff.

Every fact notice.yml takes from the notice (address, window, phone, e-mail, deadline, the
footer's numbers and names, the policy documents' numbers) must occur word for word in the
clauses of its scope: the body (``scope: notice``) or the page footer (``scope: footer``).
"""

from __future__ import annotations

from typing import List

from bot.kb.facts import chinese_date
from bot.kb.models import KnowledgeBase
from bot.kb.problems import Problem


def notice_text_problems(kb: KnowledgeBase) -> List[Problem]:
    """The notice's own text must hold the facts notice.yml takes from it, word for word."""
    file = "notice_text.yml"
    numbers = [c.clause for c in kb.clauses]
    problems = [
        Problem(file, f"clauses › {n}", "条款号重复")
        for n in sorted({n for n in numbers if numbers.count(n) > 1})
    ]
    body = "".join(c.text for c in kb.clauses if c.scope == "notice")
    footer = "".join(c.text for c in kb.clauses if c.scope == "footer")
    notice = kb.notice
    expected = [
        ("报送地址", notice.submission.address, body),
        ("报送窗口", notice.submission.window, body),
        ("咨询电话", notice.contacts.phone, body),
        ("电子邮箱", notice.contacts.email, body),
        ("截止日期", chinese_date(notice.deadline.date), body),
        ("省发改委地址", notice.footer.office_address, footer),
        ("网站维护电话", notice.footer.website_phone, footer),
    ]
    expected += [
        (what, value, footer)
        for what, value in (
            ("政府网站标识码", notice.footer.site_code),
            ("备案号", notice.footer.icp_number),
            ("公网安备号", notice.footer.police_record),
            ("技术支持单位", notice.footer.tech_support),
            ("主办单位", notice.footer.sponsor),
        )
        if value
    ]
    expected += [("政策文件文号", d.number, body) for d in notice.policy_basis.documents]
    for what, value, text in expected:
        if value not in text:
            where = "页脚（scope: footer）" if text is footer else "通知正文"
            problems.append(
                Problem(
                    file,
                    "clauses",
                    f"notice.yml 中的{what}“{value}”在{where}原文里找不到，两处不一致",
                )
            )
    if notice.contacts.phone in footer or notice.footer.website_phone in body:
        problems.append(
            Problem(file, "clauses", "申报咨询电话只能出现在通知正文，网站维护电话只能出现在页脚")
        )
    return problems
