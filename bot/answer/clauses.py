"""What each clause of a message does: asks, greets or thanks, announces questions, sets a
condition, or tells who asks and why.

``bot.answer.reading`` splits a message into clauses here (:func:`clauses`) and sorts each with
:func:`classify`:

* ``ask`` — a clause with a question cue (``什么``, ``几``, ``吗`` …) or a request
  (``请问``, ``想确认``, ``告诉我``);
* ``courtesy`` — greetings, thanks, apologies, politeness (nothing left once those words go);
* ``preamble`` — “想问两个问题”, “简单问一句”: announces questions, asks nothing;
* ``condition`` — “园区申报的话”, “关于电子版”: sets the subject of the question after it;
* ``aside`` — a self-introduction, a reason or a story (“我现在在去长沙的路上”);
  :func:`is_set_apart` tells the introductions and reasons the assistant does not need.

Grouping the clauses into questions, and bare keyword lists, are ``bot.answer.reading``'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List

ASK, COURTESY, PREAMBLE, ASIDE, CONDITION = "ask", "courtesy", "preamble", "aside", "condition"

# a question naming the page footer asks about the footer's entries (bot.answer.routing)
PAGE_FOOTER_WORDS = ("页脚", "最底下", "最下面", "最底部", "底部", "页面下方", "网页下方", "页尾")
# a message naming the website asks about it: a footer entry the model chose stays
WEBSITE_WORDS = ("网站", "官网", "网页", *PAGE_FOOTER_WORDS)
# “X能报吗”: who may apply (bot.answer.routing)
APPLY_CUES = ("能报", "能申报", "可以报", "可以申报", "能不能报", "能不能申报", "可不可以报")
APPLY_CUES += ("可不可以申报", "能否申报", "可否申报", "有资格", "有没有资格")
# “现在还能不能申报”: whether the call is open, not who may apply
STILL_OPEN_CUES = ("还能", "还可以", "现在", "目前", "还来得及", "截止", "年度")
# “一家企业能不能报两个方向”: a count or a direction asks something else than who may apply
OTHER_MATTER = re.compile(r"[0-9一二两三四五六七八九十几多]\s*[个家项种]|方向")
# “负责往省里推荐” names 负责推荐, “由谁负责审查” 由谁审查: a verb's direction (往省里, 向上级) or
# 负责 / 来 after 谁 may sit inside a keyword
TOWARDS = re.compile(
    r"(?:往|向|给|到)(?:省里面|省里|省上|省发改委|省发展改革委|上级|上面)(?=[\u4e00-\u9fff])"
    r"|(?<=谁)(?:负责|来)(?=[\u4e00-\u9fff])"
)


# words that ask, in any question (bot.answer.compound adds English ones)
QUESTION_WORDS = (
    "什么",
    "哪",
    "几",
    "多少",
    "吗",
    "么",
    "呢",
    "怎么",
    "怎样",
    "如何",
    "是否",
    "能否",
    "可否",
    "能不能",
    "可不可以",
    "有没有",
    "要不要",
    "是不是",
    "需不需要",
    "谁",
    "多久",
    "啥",
    "咋",
)
QUESTION_CUES = (*QUESTION_WORDS, "乜", "干嘛", "还是", "?")
ENGLISH_CUES = ("what", "when", "where", "how", "which", "who", "why", "is ", "are ", "can ", "do ")
REQUEST_CUES = (
    "请问",
    "想问",
    "问问",
    "想了解",
    "了解一下",
    "想确认",
    "确认一下",
    "确认下",
    "请教",
    "咨询",
    "想知道",
    "告诉我",
    "告诉一下",
    "告诉下",
    "告知",
    "说一下",
    "发一下",
    "介绍一下",
    "弄清楚",
    "搞清楚",
    "问清楚",
    "弄明白",
    "搞明白",
)
# Words that greet, thank, apologise or are merely polite: a clause of nothing else asks nothing.
_COURTESY = re.compile(
    r"您好|你好|大家好|早上好|上午好|下午好|晚上好|老师们|老师|领导|各位|同志|hi|hello|在吗|在不在|"
    r"打扰了|打扰一下|打扰您了|打扰|冒昧|不好意思|抱歉|劳驾|拜托了|拜托|麻烦您了|麻烦了|麻烦您|麻烦你|麻烦|"
    r"辛苦了|辛苦啦|辛苦|万分感谢|非常感谢|十分感谢|感谢您|感谢|多谢|谢谢您|谢谢你|谢谢啦|谢谢|先谢|"
    r"这么晚|这么早|深夜|不胜感激|感激不尽|望海涵|海涵|请多指教|指教|祝您?工作顺利|工作顺利|百忙之中|盼复|回复一下|回复|"
    r"解答一下|解答|请问一下|问一下|请教一下|在线等|急|好的|好|收到|嗯|哦|噢|啊|呀|哈|啦|了|的|吧|"
    r"一起告诉我|告诉我|一起|您|你|一下|下|[!~.,。…\s\d]"
)
# “想问两个问题”, “简单问一句”, “有几个问题想咨询”: announces the questions that follow.
PREAMBLE_WORDS = re.compile(
    r"^(?:我|我们)?(?:想|要|还想|再)?(?:简单|顺便|再)?(?:问|请教|咨询)(?:您|你)?(?:一下)?"
    r"(?:两|三|四|几|一|二|1|2|3|4)?(?:个|件|句)?(?:问题|事情|事儿|事|句)|"
    r"^(?:有|还有)(?:两|三|四|几|一|二|1|2|3|4)(?:个|件)(?:问题|事情|事)"
)
_INTRODUCTION = re.compile(
    r"^(?:我是|我们是|我这边是|我这里是|我们这边是|本人|我在|我们在|我们单位|我们公司|我们学校|"
    r"我们园区|我们所|我们企业|我们这边|我司|我校|我院|本单位|领导让我|老板让我|替|帮)"
)
# “常德市发改委小向”, “株洲高新区老李”: who writes, signed with a name as colleagues call it.
_SIGNED = re.compile(r"^.{2,20}?(?:的)?(?:小|老)[\u4e00-\u9fff]$")
# Words that only point back at another clause: “是哪天”, “可以吗”, “能告诉我吗”.
POINTER_WORDS = re.compile(
    r"请问|想问|想了解|想确认|确认|告诉我|告诉|知道|了解|一下|这个|那个|这|那|是|的|了|呢|吗|么|"
    r"啊|呀|吧|能不能|可不可以|可以|能否|能|行不行|行|对不对|对|有没有|有|我们|我|你们|您|你|"
    r"哪里|哪儿|哪个|哪些|哪|什么|啥|几|多少|谁|怎么|如何|[?!.,\s]"
)
# “园区申报的话”, “关于电子版”, “除了长沙”: the question after it is asked under it
CONDITION_WORDS = re.compile(
    r"的话$|^(?:如果|假如|要是|关于|对于|至于)|^(?:除了|除去|除开|不算|不包括|不含)|[以之]外$"
)
# “因为…”, “连门朝哪开都不知道”: a reason or a figure of speech, even with a question word in it.
_NOT_ASKING = re.compile(r"^(?:因为|由于|为了|因)|(?:都|也)不(?:知道|清楚|懂|会)$")
# A reason for asking: “领导让我问”, “催得紧”, “我们写计划用”, “好分工”.
_REASON = re.compile(
    r"让我|叫我|交代|安排我|催|着急|急着|赶时间|好分工|好安排|提前规划|提前准备|做预算|写计划|汇报|"
    r"提前问|刚接手|刚来|新来|不太懂|不熟|第一次|出差|用的$|用$|拿不准|不确定$|不清楚$|不明白$|没底|"
    r"急$|急性子|脾气|性子"
)
# A clause that opens another question: “另外电子版邮箱是”, “还有纸质的几份”.
_NEW_QUESTION = re.compile(
    r"^(?:另外|此外|还有|以及|顺便问一下|顺便问下|顺便问|再问一下|再问下)|.{2,}是$"
)
_NOT_CUES = re.compile(r"这么|那么|多么|什么的")
_A_NOT_A = re.compile(r"(\w)不\1")
_ENGLISH_JOINER = re.compile(r"^(?:and|also|then|plus|or)\s+")
CLAUSE_END = re.compile(r"(?:[,，。;；!！?？:：\n]|\.(?!\w))+")
# A list item's marker: “1.” “2、” “(3)” “一是” “二、” “第一,”.
LIST_MARKER = re.compile(
    r"(?:^|(?<=[\s,;:]))(?:\(?[1-9][.、)]|[一二三四][是、]|第[一二三四1-4](?:个|点|是|,|、|:|\s|$))\s*"
)


@dataclass(frozen=True)
class Clause:
    text: str
    kind: str


def has_question_cue(text: str) -> bool:
    lowered = _NOT_CUES.sub("", text.lower())
    if any(cue in lowered for cue in QUESTION_CUES) or _A_NOT_A.search(lowered):
        return True
    return lowered.isascii() and any(lowered.startswith(cue) for cue in ENGLISH_CUES)


def is_courtesy(text: str) -> bool:
    """Nothing but greetings, thanks, apologies and polite words."""
    rest = _COURTESY.sub("", text.lower())
    return len(rest) <= 1


def points_back(text: str) -> bool:
    """Asks, but names nothing: “是哪天”, “可以吗”, “能告诉我吗” lean on the clause before."""
    return len(POINTER_WORDS.sub("", text)) <= 1


def requests(text: str) -> bool:
    """“请问…”, “想确认下省里收材料的地点”: a request with its object after it (“学校让我咨询”
    has none: it tells why one asks)."""
    for cue in REQUEST_CUES:
        at = text.find(cue)
        if at >= 0 and not points_back(text[at + len(cue) :]):
            return True
    return False


def classify(text: str) -> str:
    if is_courtesy(text):
        return COURTESY
    if _NEW_QUESTION.match(text) and len(text) > 4:  # “另外电子版邮箱是”
        return ASK
    if PREAMBLE_WORDS.search(text) and points_back(PREAMBLE_WORDS.sub("", text)):
        return PREAMBLE
    if _NOT_ASKING.search(text):
        return ASIDE
    if has_question_cue(text):
        return ASK
    if CONDITION_WORDS.search(text):
        return CONDITION
    if requests(text):
        return ASK
    return ASIDE


def clauses(text: str) -> List[Clause]:
    pieces = [p.strip() for p in CLAUSE_END.split(LIST_MARKER.sub(",", text))]
    pieces = [_ENGLISH_JOINER.sub("", p) if p.isascii() else p for p in pieces]
    return [Clause(p, classify(p)) for p in pieces if p]


def is_set_apart(text: str) -> bool:
    """An aside that only tells who asks or why (“我是…的小刘”, “领导催得紧”): the assistant does
    not need it; any other aside (“我们12月3号才能送过去”) may be what the question is about."""
    return bool(
        _INTRODUCTION.search(text)
        or _SIGNED.search(text)
        or _NOT_ASKING.search(text)
        or _REASON.search(text)
    )


# “附件链接发一下” asks for the attachments and reports no fault: the website's maintenance phone
# answers faults only (网站打不开、附件下载不了)
ATTACHMENT_WORD = "附件"
FAULT_CUES = ("不了", "不开", "不下", "不出", "不上", "失败", "失效", "没反应", "乱码", "空白")
FAULT_CUES += ("损坏", "坏了", "出错", "错误", "报错", "出问题", "异常", "无法", "不行", "维护")
FAULT_CUES += ("技术支持", "404")
# “不想跟机器人聊”: turning the assistant down asks for a person, not who the assistant is
REFUSAL_CUES = ("不想", "不要", "不愿", "不跟", "不和")


def turns_the_assistant_down(asked: str) -> bool:
    """“不想跟机器人聊”: the asked part refuses the assistant (a person is wanted)."""
    return any(cue in asked for cue in REFUSAL_CUES)


def asks_for_attachments_naming_no_fault(asked: str) -> bool:
    """“把附件的下载链接给我”: about the attachments, with no word of a fault in it."""
    return ATTACHMENT_WORD in asked and not any(cue in asked for cue in FAULT_CUES)
