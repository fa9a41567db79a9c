"""Where the intent model must not answer from the FAQ (bot/answer/routing.py,
bot/answer/notice_search.py).

The model's ranking is an input here (what DIET said); the router decides.
"""

from __future__ import annotations

import pytest

from bot.answer.normalize import normalize
from bot.answer.replies import NOTICE_CLAUSE
from bot.answer.routing import QuestionRouter, apply_route
from bot.names import NLU_FALLBACK


@pytest.fixture(scope="module")
def router(kb):
    return QuestionRouter(kb)


def model_says(intent, confidence):
    return [
        {"name": intent, "confidence": confidence},
        {"name": "out_of_scope", "confidence": 1 - confidence},
    ]


@pytest.mark.parametrize(
    "question, model, intent, mechanism",
    [
        # what the notice does not regulate, however sure the model is of a neighbour
        ("申报要缴费吗", model_says("materials", 0.99), "not_in_notice", "silent_topic"),
        ("方案篇幅有没有限制", model_says("plan_outline", 0.99), "not_in_notice", "silent_topic"),
        ("材料要法人签字吗", model_says("materials", 0.98), "not_in_notice", "silent_topic"),
        ("评审会来实地考察吗", model_says("selection", 0.97), "not_in_notice", "silent_topic"),
        # words found nowhere in the notice or the FAQ, model unsure
        (
            "可以带家属一起去吗",
            model_says("submission_address", 0.7),
            "not_in_notice",
            "unknown_terms",
        ),
        ("申报材料可以手写吗", model_says("materials", 0.6), "not_in_notice", "unknown_terms"),
        # a term only one clause contains
        ("工匠精神指的是什么", model_says("directions", 0.8), NLU_FALLBACK, "distinctive_term"),
        ("隐形冠军企业可以报吗", model_says("eligibility", 0.95), NLU_FALLBACK, "distinctive_term"),
        ("退役军人创业能算吗", model_says("eligibility", 0.9), NLU_FALLBACK, "distinctive_term"),
        # facts that follow from facts, whatever the model made of the wording
        ("衡阳这次能推3个上去吗", model_says("selfcheck_answer", 0.47), "quota", "derived_fact"),
        # the model sure it is a self-check answer: the facts still decide
        ("湘潭想报4家行不行", model_says("selfcheck_answer", 0.56), "quota", "derived_fact"),
        ("长株潭三个市加起来最多推荐几个", model_says("quota", 0.8), "quota", "derived_fact"),
        (
            "我们12月3号才能把材料送过去，还来得及吗",
            model_says("deadline", 0.88),
            "deadline",
            "derived_fact",
        ),
        # a keyword of exactly one FAQ entry: a follow-up, or a correction of an unsure model
        ("那邮箱呢", model_says("inform", 0.99), "electronic_copy", "keyword"),
        (
            "有没有能打的电话，想直接问问",
            model_says("submission_route", 0.51),
            "contact",
            "keyword",
        ),
        (
            "通知后面的附件点了下载一直没反应",
            model_says("attachments", 0.59),
            "website_support",
            "keyword",
        ),
        # a clause term, even when the model took it for a follow-up or out of scope
        (
            "搭建创新创业国际化平台是哪个方向的内容",
            model_says("inform", 0.99),
            NLU_FALLBACK,
            "distinctive_term",
        ),
        (
            "我们是专精特新企业，通知里有提到吗",
            model_says("out_of_scope", 0.99),
            NLU_FALLBACK,
            "distinctive_term",
        ),
        # documents, English
        ("湘政发〔2019〕13号是什么", model_says("notice_info", 0.9), "policy_basis", "document"),
        ("What is the deadline?", model_says("greet", 0.6), "deadline", "english"),
        ("Is there an application fee?", model_says("deadline", 0.9), "not_in_notice", "english"),
        (
            "When will the list of bases be announced?",
            model_says("selection", 0.9),
            "not_in_notice",
            "english",
        ),
        (
            "两家企业能不能联合起来申报",
            model_says("eligibility", 0.99),
            "not_in_notice",
            "silent_topic",
        ),
    ],
)
def test_routes(router, question, model, intent, mechanism):
    route = router.route(normalize(question), model)
    assert route is not None, "the model's intent was kept"
    assert (route.intent, route.mechanism) == (intent, mechanism)


@pytest.mark.parametrize(
    "question, model",
    [
        ("申报截止时间是什么时候", model_says("deadline", 0.99)),
        ("材料交到哪里", model_says("submission_address", 0.95)),
        ("双创示范基地有哪几个建设方向？", model_says("directions", 0.99)),
        ("我们是益阳一家做食品加工的公司，想问问企业能不能申报", model_says("eligibility", 0.8)),
        (
            "换成长沙呢",
            model_says("inform", 0.99),
        ),  # 换成长沙 holds the notice's 成长 only as letters
        ("你好", model_says("greet", 0.99)),
        ("那株洲呢", model_says("inform", 0.9)),
        ("是的，我们有专门的孵化场地", model_says("affirm", 0.8)),  # a self-check answer
        ("今天长沙天气怎么样", model_says("out_of_scope", 0.9)),  # the fallback says so already
    ],
)
def test_the_model_keeps_what_it_may_answer(router, question, model):
    assert router.route(normalize(question), model) is None


def test_a_clause_route_quotes_the_notice_word_for_word(router, kb):
    route = router.route(normalize("隐形冠军是什么意思"), model_says("directions", 0.6))
    entities = dict(route.entities)
    clause = kb.clause(entities["notice_clause"])
    assert clause.clause == "二（三）"
    assert all(quote in clause.text for kind, quote in route.entities if kind == "notice_quote")


@pytest.mark.parametrize(
    "question, asked",
    [
        ("我们是益阳一家做食品加工的公司，想问问企业能不能申报", "想问问企业能不能申报"),
        ("截止时间是哪天", "截止时间是哪天"),
        ("老师好。我们是高校", "老师好。我们是高校"),  # nothing asks: all of it
    ],
)
def test_the_asked_part_leaves_out_the_self_introduction(question, asked):
    from bot.answer.routing import asked_part

    assert asked_part(question) == asked


def test_apply_route_keeps_the_models_ranking_below():
    from bot.answer.routing import Route

    intent, ranking = apply_route(
        Route("not_in_notice", "silent_topic"), model_says("materials", 0.9)
    )
    assert intent == {"name": "not_in_notice", "confidence": 1.0}
    assert [r["name"] for r in ranking] == ["not_in_notice", "materials", "out_of_scope"]


def test_footer_is_never_searched(router):
    assert router.index.search(normalize("湘府西路8号是哪里")) is None or all(
        "湘府西路" not in s for s in router.index.search(normalize("湘府西路8号是哪里")).sentences
    )


def test_blocked_words_get_the_fixed_reply_and_are_never_repeated(router, kb):
    from bot.answer.replies import blocked_reply, not_in_notice_reply

    route = router.route(
        normalize("你们这个垃圾东西，截止时间到底哪天"), model_says("deadline", 0.99)
    )
    assert (route.intent, route.mechanism) == (NLU_FALLBACK, "blocked")
    reply = blocked_reply(kb, {"blocked": ["1"]}, __import__("datetime").date(2021, 11, 1))
    assert "文明" in reply.text and "垃圾" not in reply.text
    echoed = not_in_notice_reply(
        kb, "问题", {"unknown_term": ["狗东西"]}, __import__("datetime").date(2021, 11, 1)
    )
    assert "狗东西" not in echoed.text


@pytest.mark.parametrize(
    "question, model, topic",
    [
        # a problem with the website itself: the website's own line
        (
            "官网上的附件下载不下来，打哪个电话",
            model_says("website_support", 0.48),
            "website_support",
        ),
        # the footer's phone asked for as the application hotline: the hotline instead
        (
            "我打了网页最下面那个电话，对方说只管网站维护，那申报的事到底打哪个电话",
            model_says("website_support", 0.95),
            "contact",
        ),
        # the page footer named: its phone is the website's, not the hotline
        (
            "页面最底下那个联系电话就是申报咨询电话吧",
            model_says("contact", 0.97),
            "website_support",
        ),
        # asked who reviews the plan: the route through the 市州, not how to write it
        ("实施方案先由谁审查", model_says("plan_outline", 0.93), "submission_route"),
        # mixed Chinese and English: the English words are keywords too
        ("submit纸质材料的window是几号", model_says("copies", 0.24), "submission_address"),
        ("hard copy 送到哪个 window", model_says("deadline", 0.49), "submission_address"),
    ],
)
def test_the_footer_answers_footer_questions_only(router, question, model, topic):
    route = router.route(normalize(question), model)
    assert route is not None and route.intent == topic


@pytest.mark.parametrize(
    "question, model, intent",
    [
        # a word of the introduction, the reason or the thanks is never the subject
        (
            "老师您好，我是株洲市芦淞区一家电子公司办公室的小刘，想确认下株洲最多能推荐几家？谢谢",
            model_says("quota", 0.7),
            "quota",
        ),
        ("老师好，平时管食堂后勤，纸质的要准备几套", model_says("copies", 0.7), "copies"),
        # the question itself names what the notice does not regulate
        ("我是财务，想问下申报要交报名费吗", model_says("materials", 0.9), "not_in_notice"),
        # asked as small talk, but a question with one topic's keyword
        ("在几楼", model_says("greet", 0.95), "submission_address"),
        # a 的 between a keyword's words does not hide it: 维护的电话 is 维护电话, not 电话
        ("网站维护的电话是多少", model_says("website_support", 0.98), "website_support"),
        # what the call's own subject is: its overall aim
        ("双创具体指的什么", model_says("directions", 0.4), "overall_aim"),
        ("示范基地主要是干嘛的", model_says("directions", 0.6), "overall_aim"),
        ("双创示范基地的建设方向是什么", model_says("directions", 0.99), "directions"),
        ("双创示范基地的截止时间是什么", model_says("deadline", 0.99), "deadline"),
        # what the assistant can be asked; which year the notice is of
        ("能咨询哪些内容", model_says("indicators", 0.74), "bot_capabilities"),
        ("可以问哪些问题", model_says("greet", 0.6), "bot_capabilities"),
        ("电话能咨询哪些问题", model_says("contact", 0.9), "contact"),
        ("这是哪年的文件", model_says("policy_basis", 0.62), "notice_info"),
        # asked to check the applicant's own unit: the self-check, not the conditions quoted
        ("测一测我们是否满足申报要求", model_says("eligibility", 0.8), "selfcheck"),
        ("我们公司规模不大，不知道够不够格", model_says("eligibility", 0.8), "eligibility"),
        ("帮我看看截止时间", model_says("deadline", 0.9), "deadline"),
        # whether a document must be attached too: the list of materials
        ("是不是还要附上推荐申报文件", model_says("submission_route", 0.71), "materials"),
        # 人员 of 工作人员 is not the notice's 科研人员: no clause quoted for it
        ("怎么联系你们的工作人员", model_says("contact", 0.88), "contact"),
        # “what is it” about the 基地, not about the assistant: no identity sentence
        ("省级双创示范基地到底是个什么东西", model_says("bot_identity", 0.52), "overall_aim"),
        ("这个申报到底是谁在管", model_says("bot_identity", 0.52), "nlu_fallback"),
        ("12号窗口是在一楼对吧", model_says("bot_identity", 0.55), "nlu_fallback"),
        ("你是机器人吗", model_says("bot_identity", 0.9), "bot_identity"),
        ("我现在是在跟工作人员本人聊吗", model_says("bot_identity", 0.9), "bot_identity"),
        # whether a kind of applicant may apply: the list of applicants answers it
        ("企业能不能申报这个省级双创基地", model_says("eligibility", 0.24), "eligibility"),
        ("私企能不能报", model_says("eligibility", 0.44), "eligibility"),
        ("个体户能报吗", model_says("eligibility", 0.67), "eligibility"),
        ("一家企业能不能报两个方向", model_says("directions", 0.8), "directions"),
    ],
)
def test_only_what_is_asked_is_routed(router, question, model, intent):
    route = router.route(normalize(question), model)
    assert (route.intent if route else model[0]["name"]) == intent


@pytest.mark.parametrize(
    "question, clause",
    [
        # the distinctive word's clause, not a neighbour with more common words
        ("创业就业方向重点支持哪些群体开展创新创业", "二（一）"),
    ],
)
def test_a_quoted_clause_contains_the_distinctive_word(router, question, clause):
    route = router.route(normalize(question), model_says("directions", 0.6))
    assert route is not None and (NOTICE_CLAUSE, clause) in route.entities


@pytest.mark.parametrize(
    "question",
    [
        "分给我们市的名额一定要用满吗",  # 一定 (must) is not the clause's 一定规模
        "现在这个2021年度的省双创示范基地怎么样",  # 年度, 示范 only match the title
    ],
)
def test_no_clause_is_quoted_for_common_words(router, question):
    route = router.route(normalize(question), model_says("inform", 0.3))
    assert route is None or route.mechanism not in ("distinctive_term", "clause_search")


def test_no_faq_keyword_is_an_unknown_term(router, kb):
    """“窗口在几楼几号”: a word a FAQ entry lists as its keyword is known, so the question is
    never answered “the notice says nothing about 几楼”."""
    for entry in kb.faq:
        for keyword in entry.keywords:
            assert router.index.unknown_words(normalize(keyword)) == [], keyword


@pytest.mark.parametrize("question", ["窗口在几楼几号", "纸质的交几套", "附件一共几个"])
def test_a_keyword_question_is_not_routed_to_the_honest_reply(router, question):
    route = router.route(normalize(question), model_says("submission_address", 0.8))
    assert route is None or route.intent != "not_in_notice"


@pytest.mark.parametrize(
    "question, model, intent, mechanism",
    [
        # keywords that follow from the FAQ's own questions (上级文件是哪个, 上位政策文件 …)
        ("依据的上位文件有哪些", model_says("notice_info", 0.8), "policy_basis", "keyword"),
        # whether a form must be filled in asks for the list of materials, not the forms' names
        ("申报汇总表需不需要填", model_says("attachments", 0.8), "materials", "keyword"),
        # how many are selected is the selection, not a 市州's ceiling (能评上几个)
        ("省里最终能评上几个基地", model_says("quota", 0.8), "selection", "keyword"),
        # turning the assistant down asks for a person
        (
            "不愿意和机器人说话",
            model_says("bot_identity", 0.9),
            "human_handoff",
            "refuses_the_assistant",
        ),
        # asking for the attachments' link reports no fault: the attachments, not the website phone
        ("把附件的下载链接给我", model_says("website_support", 0.99), "attachments", "no_fault"),
        # once selected (评上了 as 评上以后): what follows the list is not in the notice
        ("入选了以后能拿到什么", model_says("selection", 0.9), "not_in_notice", "silent_topic"),
        # another province's application is not this notice's
        (
            "江苏的双创示范基地怎么申报",
            model_says("procedure", 0.95),
            "not_in_notice",
            "silent_topic",
        ),
    ],
)
def test_rules_for_the_held_out_wrong_answers(router, question, model, intent, mechanism):
    route = router.route(normalize(question), model)
    assert route is not None, "the model's intent was kept"
    assert (route.intent, route.mechanism) == (intent, mechanism)


@pytest.mark.parametrize("question", ["你是机器人吗", "你是真人还是机器人啊"])
def test_asking_who_the_assistant_is_is_no_handoff(router, question):
    route = router.route(normalize(question), model_says("bot_identity", 0.95))
    assert route is None or route.intent != "human_handoff"


@pytest.mark.parametrize("question", ["附件链接点了没反应", "附件下载失败怎么办", "附件打开是乱码"])
def test_an_attachment_fault_keeps_the_website_phone(router, question):
    route = router.route(normalize(question), model_says("website_support", 0.99))
    assert route is None or route.intent == "website_support"


@pytest.mark.parametrize(
    "question, model",
    [
        # the website named: its footer entry stays, though 电话 is the hotline's keyword
        ("网站技术支持电话", model_says("website_support", 0.95)),
        ("官网维护找哪个电话", model_says("website_support", 0.9)),
    ],
)
def test_a_question_naming_the_website_keeps_its_footer_entry(router, question, model):
    route = router.route(normalize(question), model)
    assert route is None or route.intent == "website_support"


def test_in_whose_name_is_asking_who(router):
    """“以谁的名义报送” asks who: 名义 is no subject the notice is silent on."""
    assert "名义" not in router.index.unknown_nouns(normalize("推荐文件要以谁的名义报送"))


@pytest.mark.parametrize(
    "question, topic",
    [
        ("是谁负责往省里推荐", "submission_route"),  # 负责推荐
        ("谁向上级推荐我们单位", "submission_route"),  # 谁推荐
        ("材料能直接交到省里吗", "submission_route"),  # 直接交到省: the keyword as written
    ],
)
def test_a_direction_inside_a_keyword_does_not_hide_it(router, question, topic):
    assert topic in router.keyword_topics(normalize(question))


@pytest.mark.parametrize(
    "question, intent",
    [
        # the type named in the introduction, the question naming none: who may apply
        ("我们是长沙一间科研院所，想问下可不可以报这个示范基地", "eligibility"),
        ("我们是一家高校，能报吗", "eligibility"),
    ],
)
def test_a_type_of_the_introduction_asks_who_may_apply(router, question, intent):
    route = router.route(normalize(question), model_says("nlu_fallback", 0.5))
    assert route is not None and route.intent == intent


def test_whether_the_call_is_still_open_is_no_question_of_who_may_apply(router):
    question = "我是邵阳一所学院的老师，现在这个2021年度的基地还能不能申报"
    route = router.route(normalize(question), model_says("deadline", 0.6))
    assert route is None or route.intent != "eligibility"
