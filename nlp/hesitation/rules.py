"""Rule layer of the hesitation detector: clauses, cue matches, and the modifiers that cancel or soften them.

A message is cut into clauses at punctuation. Each cue match (lexicon.py) is judged inside its clause:
- negated ("不是不想去", "没有在犹豫"), someone else's ("我室友在纠结"), about another object ("在犹豫要不要提前一天
  过去", "团建我不去了"), asked as a question ("签了还能反悔吗" = wavering, not withdrawing), hedged or conditional
  ("要是考研上了我可能就不来了" = hesitation, not withdrawal);
- and the message as a whole can be reassured ("之前纠结过，现在想清楚了，肯定去"): a reassurance after the last
  alert cue, or beside only weak cues, turns the message back to none.
The result is a RuleResult with a level, reason scores, the matched phrases and a few counts; the combination in
model.py's combiner reads "cancelled", "others" and "n_reassure", so the text models do not overrule a cue the rules
set aside.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from nlp.hesitation import lexicon as L
from nlp.pinyin import hanzi
from nlp.tokenize import normalize

_CLAUSE_SPLIT = re.compile(r"[，,。！!？?；;…~～\n、]+|\.{2,}|(?<=[\u4e00-\u9fff])[\s.]+(?=[\u4e00-\u9fff])|\s{2,}")
_QUESTION_END = re.compile(r"[?？]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_COURTESY_WORD = re.compile(L.COURTESY_WORD)
_COURTESY_PAD = re.compile(L.COURTESY_PAD)

# Common slips in chat: fix the ones that break a cue (考滤/犹像) or blur an object (报道 = 报到 here).
_TYPOS = {"考滤": "考虑", "犹像": "犹豫", "犹预": "犹豫", "报导": "报到", "在考虑考虑": "再考虑考虑", "在想想": "再想想",
          "0ffer": "offer", "ofer": "offer", "入值": "入职", "入取": "录取"}
_TYPO_RE = re.compile("|".join(map(re.escape, sorted(_TYPOS, key=len, reverse=True))))
_EMPLOYER_NAME = re.compile(L.EMPLOYER)  # found first: the context's lookbehinds cost 40x more on every message
_EMPLOYER_AS_COMPANY = re.compile(L.EMPLOYER_AS_COMPANY)
_CANTONESE_MARK = re.compile(L.CANTONESE_MARK)
_CANTONESE = [(re.compile(p), mandarin) for p, mandarin in L.CANTONESE]


def _compile(items: list[tuple[str, float]]) -> list[tuple[re.Pattern[str], float]]:
    return [(re.compile(p), w) for p, w in items]


_ALERT_KINDS = {
    "withdraw": _compile(L.WITHDRAW),
    "hesitate": _compile(L.HESITATE),
    "negotiate": _compile(L.NEGOTIATE),
    "delay": _compile(L.DELAY),
    "change": _compile(L.CHANGE),
    "renege_q": _compile(L.RENEGE_Q),
    "hold": _compile(L.HOLD),
}


def _any(patterns: list[tuple[re.Pattern, object]]) -> re.Pattern:
    """One alternation of a family of patterns: a clause that matches none of them skips them all (most clauses
    match no family at all; checked per clause, so anchors mean the same and no verdict changes)."""
    return re.compile("|".join(f"(?:{rx.pattern})" for rx, _ in patterns))


_ALERT_ANY = {kind: _any(patterns) for kind, patterns in _ALERT_KINDS.items()}
_REASSURE = [(re.compile(p), True) for p in L.REASSURE_STRONG] + [(re.compile(p), False) for p in L.REASSURE_WEAK]
_REASSURE_ANY = _any(_REASSURE)
_CONCERN_TOPIC = {k: re.compile(v) for k, v in L.CONCERN_TOPIC.items()}
_REASON_TOPIC = {k: [(re.compile(p), w) for p, w in v] for k, v in L.REASON_TOPIC.items()}
_REASON_ANY = {k: _any(items) for k, items in _REASON_TOPIC.items()}

_QUESTION = re.compile(L.QUESTION)
_WORRY = re.compile(L.WORRY)
_HEDGE_STRONG_NEAR = re.compile(L.HEDGE_STRONG + r".{0,3}$")
_HEDGE_SOFT = re.compile(L.HEDGE_SOFT)
_CONDITIONAL = re.compile(L.CONDITIONAL)
_COND_START = re.compile(r"^(?:如果|要是|假如|万一|假设|若是|一旦)|的话$")
_FINALITY = re.compile(L.FINALITY)
_PAY = re.compile(r"薪|工资|package|base|待遇|年薪|月薪|签字费|补贴|钱")
_PAY_ASK = re.compile(r"^(?:那)?(?:还能|能不能|能否|可以|可不可以|还有没有可能)(?:再)?(?:调整|调|谈|商量|提|加)"
                      r"(?:一下|一点|点)?(?:吗|么)?$")
# What a bare "算了" can be giving up: joining, or any term a reason is about.
_ABOUT_OFFER = re.compile("|".join([r"入职|报到|offer|工作|做不到|想来想去|想了想|考虑|机会"]
                                   + [p for items in L.REASON_TOPIC.values() for p, w in items if w >= 1.3]))
_PAST = re.compile(L.PAST)
_OTHER_OBJECT = re.compile(L.OTHER_OBJECT)
_JOIN_WORD = re.compile(r"入职|报到|报道|offer|工作|你们|贵司|公司|名额|这边|上班")
_THIRD = re.compile(L.THIRD_PARTY)
# A clause opening with someone else as subject; family members are left out because "我妈生病了，实在去不了"
# is the candidate's own decision.
_THIRD_SUBJECT = re.compile(r"^(?:我的?|我们)?(?:朋友|同学|室友|舍友|闺蜜|老乡|学长|学姐|师兄|师姐|同期|小伙伴|他|她|有人|群里)")
# Negation right before a cue: "不是犹豫", "没有在考虑别的", "我没说不来", "不是说不去".
_NEG_BEFORE = re.compile(r"(?:不是|没有|没|并不是|并没有|不存在|不再|不用再?|无需|别|谁说|也说不上|说不上|并非|不会)"
                         r"(?:说|要|想|在|是|打算|再|什么|真的|真)?(?:说|要)?$|(?<![要会该能可行好是去来])不$")
# "会不会后悔", "是不是该放弃": a question form, not a negation.
_A_NOT_A = re.compile(r"(.)[不没]\1$")
_JUST_ASKING = re.compile(r"只是问问|就是问问|随便问问|好奇问|没别的意思|没有别的意思")
_FOR_OTHERS = re.compile(r"(?:帮|替)(?:我)?(?:朋友|同学|室友|舍友|别人|他|她|亲戚).{0,4}问")
# "Do I need to tell you about the other offer?" is a concern, not weighing it.
_DISCLOSE = re.compile(r"报备|交给你们|跟你们讲|没事吧|拒绝证明|解约函|(?:需要|要|用不用|要不要)(?:跟|和|告诉)(?:你们|您)|"
                       r"跟你们说一声|怎么(?:拒绝|回绝|跟他们说)|去一下|试试水")
_NOT_START = re.compile(r"(?:半|几|\d+|一)个?(?:小时|分钟)|一会|晚点了|确认|答复|回复|签")
_RUMOUR = re.compile(r"会不会|听说|是真的|真的吗|真的假的|是不是|还会|群里说|网上说|固定的吗")
_REDIRECT = re.compile(r"(?:跟|和|告诉|回复|通知|拒绝|回绝)(?:另一家|别家|那边|他们|其他公司|那家|老东家|另一个公司|人家)"
                       r"|(?:直接|跟他们|跟她|跟他|回他们|告诉他们)说")
# Asking how to carry a withdrawal out is not asking whether to: "放弃入职在哪个菜单？", "请问放弃入职要填什么表".
_PROCEDURE = re.compile(r"流程|手续|什么表|哪个表|菜单|找谁|在哪|哪里|哪个地址|寄到|怎么(?:操作|弄|点|退|取消|填|提交|办)|"
                        r"签什么|填什么|准备什么|直接.{0,8}点|发邮件|点(?:了)?(?:拒绝|放弃)|系统里|小程序|"
                        r"(?:^|请问)怎么(?:放弃|拒绝|退出|解约)|跟谁说|联系谁|申请表|什么材料|(?:需要|要)做什么")
# ... but not a question about what the system shows, a slip, or what it would cost ("放弃入职的流程复杂吗？会影响档案吗").
_STATE_Q = re.compile(r"显示|怎么回事|为什么|怎么会|没点|不小心|手滑|误点|点错|弄错|复杂吗|麻烦吗|影响")
_OTHER_SIGNED = re.compile(r"(?:另一家|另外一家|别家|其他公司|别的公司|别的offer|其他offer|另一个offer|另一份)")
_SIGNED = re.compile(r"(?:已经|已)(?:签|答应|接受|入职|去)了|(?:我)?签了(?:那边|他们)")
_FAMILY_AGENT = re.compile(r"(?:家里|家人|爸|妈|父母|老婆|老公|媳妇|爱人|对象|男朋友|女朋友|男友|女友|家里人)"
                           r".{0,6}(?:不同意|反对|不让|不支持|劝|希望|想让|让我|不想让|不太乐意|不乐意|不愿意|觉得|说|哭|"
                           r"不想|坚决|找了|需要人|离不开|出了|出事|住院|生病|病)")

REASON_PRIORITY = ["competing_offer", "family", "salary", "start_date", "location", "workload", "role_fit"]
# Cue kinds that carry their own reason.
_KIND_REASON = {"negotiate": "salary", "delay": "start_date"}


@dataclass
class Hit:
    kind: str
    text: str
    strength: float
    clause: int
    pos: int
    negated: bool = False
    third_party: bool = False
    other_object: bool = False
    question: bool = False
    conditional: bool = False
    hedge_strong: bool = False
    hedge_soft: bool = False
    past: bool = False

    @property
    def effective(self) -> bool:
        return not (self.negated or self.third_party or self.other_object)


@dataclass
class RuleResult:
    level: str
    reason: str
    strength: float
    cues: list[str]
    reason_scores: dict[str, float]
    features: dict[str, float] = field(default_factory=dict)


@dataclass
class _Clause:
    text: str
    start: int
    question: bool


# Quoted words are mentioned, not said: "手滑点了“我再想想”那个按钮".
_QUOTED = re.compile(r"“[^”]{1,12}”|「[^」]{1,12}」|\"[^\"]{1,12}\"|‘[^’]{1,12}’")


def clean(text: str) -> str:
    """Normalise (NFKC, lower case), read pinyin typed with the input method off ("bu qu le") and colloquial
    Cantonese as Mandarin ("份工唔嚟啦": lexicon.CANTONESE), fix the chat typos that hide a cue, and write a
    well-known employer named as one as 别家 ("签了华为": lexicon.EMPLOYER_AS_COMPANY)."""
    text = _TYPO_RE.sub(lambda m: _TYPOS[m.group(0)], hanzi(normalize(text)))
    if _CANTONESE_MARK.search(text):
        for rx, mandarin in _CANTONESE:
            text = rx.sub(mandarin, text)
    return _EMPLOYER_AS_COMPANY.sub("别家", text) if _EMPLOYER_NAME.search(text) else text


@lru_cache(maxsize=4096)
def said(text: str) -> str:
    """The cleaned text with quoted words blanked: they are mentioned, not said (rules and text models alike; cached,
    as the rules and each text analyzer start from it)."""
    return _QUOTED.sub("“”", clean(text))


def _clauses(text: str) -> list[_Clause]:
    out: list[_Clause] = []
    pos = 0
    for m in list(_CLAUSE_SPLIT.finditer(text)) + [None]:
        end = m.start() if m else len(text)
        piece = text[pos:end]
        if piece.strip():
            q = bool(m and _QUESTION_END.search(m.group(0))) or bool(_QUESTION.search(piece))
            out.append(_Clause(piece, pos, q))
        if m:
            pos = m.end()
    return out


def clause_contexts(text: str) -> list[tuple[int, str, tuple[str, ...]]]:
    """Each clause of a said() text, stripped, with where it starts and the contexts it stands in: Q a question, T
    someone else (named, and no 我 after), P the past, C a condition, L the last clause of several (the text models
    tag words with them, model.scope_grams)."""
    clauses = _clauses(text)
    out = []
    for i, clause in enumerate(clauses):
        body = clause.text.strip()
        start = clause.start + len(clause.text) - len(clause.text.lstrip())
        marks = (("Q", clause.question), ("T", _someone_else_speaks(body)), ("P", bool(_PAST.search(body))),
                 ("C", bool(_CONDITIONAL.search(body))), ("L", 0 < i == len(clauses) - 1))
        out.append((start, body, tuple(tag for tag, hit in marks if hit)))
    return out


def _is_third_party(prefix: str) -> bool:
    """A cue belongs to someone else when the clause names a person before it and "我" does not follow."""
    if re.search(r"有没有人|有人.{0,3}(?:反悔|不去|放弃|违约)", prefix):
        return False  # "之前有没有人入职前反悔的呀": asking about others to weigh it oneself
    return _someone_else_speaks(prefix)


def _someone_else_speaks(text: str) -> bool:
    """The last person the text names as a subject is not followed by "我"."""
    last = None
    for m in _THIRD.finditer(text):
        if m.start() > 0 and text[m.start() - 1] in "跟和同与给问找让被":
            continue  # "跟学长聊完就没顾虑了": the person is an object, not the one speaking
        last = m
    return last is not None and "我" not in text[last.end():]


_KEEP_AFTER = re.compile(r"^(?:$|要不要(?:去|来|入职|接|签|过去|放弃|报到|$)|该不该(?:去|来|接)|去|来|入职|接|签|报到|这个offer|"
                         r"offer|哪|两|选哪|死|了$|了[，。!！]|中|啊|呢|吗|还|不知道|是不是|是否|到底|这|要去|着|的|过了?$)")
_DROP_AFTER = re.compile(r"^(?:是(?!不是|否)|带|买|穿|住|考个|考驾照|学|提前|请|坐|选了|换|吃|用|"
                         r"(?:半天|很久|一下)?还是(?:买|选|坐|带|穿))")
# Ending a chat, not the application: "好的，那就到此为止，谢谢解答", "那我不耽误大家休息了，明天见".
_CHAT_END_CUE = re.compile(r"到此为止|耽误|耽搁")
_CHAT_END = re.compile(r"明天|下次|回头|再聊|晚安|再问|再填|解答|有事再|先这样|先下|长话短说|登录")
# A give-up that names nothing ("干脆放弃了", "只能作罢") is about the thing named just before it, if that is not the job.
_GENERIC_CUE = re.compile(r"(?:还是|只好|干脆|索性|最终|最后|这次|先|我|这边|就|只能|决定|选择|我要|我决定|那就|就此)*(?:先|就)?"
                          r"(?:放弃|退出|拒绝|作罢|谢绝|婉谢|辞谢|点了拒绝|点拒绝|只能错过|错过|另[作做](?:安排|打算))(?:了|吧|啦|掉)?")
_JOIN_OR_TRAINING = re.compile(_JOIN_WORD.pattern + "|培训")
_NAMES_US = re.compile(r"来|入职|报到|加入|你们|贵司")
_TAKEN = re.compile(r"offer(?:我)?(?:已经)?(?:接了|签了|接受了|答应了)$")
_RIVAL = re.compile(r"考研|考公|考编|读研|出国|实习|那边|另一家|别家|那家|其他公司|别的公司")
# A rival plan as the topic of the clause, the cue its comment: "美团的意向书我放弃了", "外企那个终面我放弃了",
# "选调生的资格我主动放弃了". (Not a bare "X那边": "深圳那边我不去了" may be our own site.)
_RIVAL_TOPIC = re.compile(
    rf"(?<!准备)(?<!打算)(?<!要)(?<!去)(?<!想)(?<!决定)"  # "准备考公我就不去了" is pursuing it
    rf"(?:考研|考公|考编|读研|读博|研究生|博士|phd|留学|出国|选调|调剂|别家|另一家|另外一家|那家|其他公司|别的公司|外企|国企|央企|"
    rf"猎头|{L.EMPLOYER})(?:生)?(?:的|那边的?|那家的?|那个|那份)?\s?(?:offer|意向书|终面|面试|岗|岗位|名额|资格|录取|邀请|签约意向|"
    r"调剂|机会|这条路)?(?:我|也|就|都|已经|已|主动|直接|早就|果断|还是)*$")
# Telling the rival: "跟杭州那家说了不去了", "广州那边我已经回复不去了".
_TOLD_RIVAL = re.compile(r"(?:跟|和|给|告诉|通知|回复)(?!你们|您|你|hr|贵司|公司)[^,]{0,6}?(?:那家|那边|人家|对方|另一家|别家)(?:的hr)?"
                         r"(?:说|回复|讲)?(?:了)?(?:我)?(?:已经)?$"
                         r"|(?<!你们)(?<!您)(?<!你)(?<!hr)(?<!公司)(?<!贵司)(?<!人事)(?<!招聘)那边(?:我)?(?:已经)?(?:回复|回绝|答复|说)(?:了)?$")
# A perk or payout named just before the cue is what is given up ("前司的年终奖我就放弃了", "签字费不要了也行").
_PERK_BEFORE = re.compile(r"(?:年终奖|奖金|期权|股票|签字费|补贴|补助|房补|餐补|车补|报销|补偿金|赔偿|加项)(?:我|也|就|都)*$")
# An event or thing named just before the cue is its object even beside a join word ("公司年会我不去了").
_OBJECT_BEFORE = re.compile(f"{L.EVENT_BEFORE}" r"(?:的事)?(?:我|也|就|都|这次|那天|那个|可能|估计|应该|自己)*$")
_OBJECT_AFTER = re.compile(L.EVENT_BEFORE)
_RELAYED = re.compile(r"我是(?:他|她|孩子|小[\u4e00-\u9fff]|[\u4e00-\u9fff]{2,3}的)的?(?:妈妈|妈|爸爸|爸|家长|老婆|老公|爱人|妻子|丈夫|对象|"
                      r"女朋友|男朋友|姐姐|哥哥)|"
                      r"(?:让|叫|托)我(?:来)?(?:转告|说|跟你们说|告诉)|替(?:他|她|孩子)|帮(?:他|她|孩子)(?:说|转达|请)")
_CHORE = re.compile(r"收工|下班|休息|睡觉|睡会|游戏|吃饭|拍|表格|卫生|打扫|明天再|没电|作业|排队")
_COUNTER = re.compile(r"挽留|留我|前公司|原公司|老东家|老板|领导|counter|加薪")
_STOP_SENDING = re.compile(r"(?:别|甭|不要|不用)(?:再)?(?:给(?:我|俺))?(?:发|推|排)[\u4e00-\u9fff]{0,4}")
# Said in jest: "我不干了！这个表格填了三遍都提交失败 开玩笑的" takes back what came before it.
_JOKING = re.compile(r"(?<!不是)(?<!没)(?<!没有)(?<!简直)(?<!别)(?:开(?:个)?玩笑(?:的|啦|哈)|逗你(?:的|玩)|说着玩的)")
_CHOICE = re.compile(r"还是(?!不)(?!算了)")
_JOIN_CHOICE = re.compile(r"(?:去|来|入职|offer|接|这边|你们|那边|那家|公司)还是|还是(?:去|来|入职|接|放弃|算了|不)")
_DELIBERATE_END = re.compile(r"(?:考虑|想想|犹豫|纠结|在想|考虑中)(?:一下|下)?$")
_YAO_BU_YAO = re.compile(r"(?:要不要|该不该|是否要)(.{0,3})")
_JOIN_START = re.compile(r"^(?:跳|读|接受|先?不?去|先?不?来|入职|接|签|过去|放弃|报到|报道|这个offer|$)")


def _object_elsewhere(kind: str, cue: str, prefix: str, suffix: str, clause: str, message: str,
                     next_clause: str = "", lead: str = "") -> bool:
    """True when the cue is about something other than joining ("在犹豫要不要提前一天过去", "团建我不去了")."""
    if kind == "hesitate" and re.match(r"^(?:啥|什么)", suffix):
        return True  # "犹豫啥，冲就完了": rhetorical
    if kind == "hesitate" and _DELIBERATE_END.search(cue):
        rest = re.sub(r"^(?:了|一下|下|中|着|过|的是|考虑|想想)+", "", suffix) or next_clause
        if _CHOICE.search(rest) and not _JOIN_CHOICE.search(rest):
            return True  # "纠结宿舍选四楼还是六楼", "考虑考虑……带两床被子还是一床"
    if kind == "hesitate":
        if cue in ("要不要", "是否要", "该不该", "要不"):
            return not _JOIN_START.match(suffix)  # "入职要不要准备什么"
        if _DELIBERATE_END.search(cue):
            rest = re.sub(r"^(?:了|一下|下|中|着|过|的是)+", "", suffix)
            if rest.startswith("到"):
                return True  # 考虑到 = "given that"
            m = _YAO_BU_YAO.search(rest)
            if m:
                return not _JOIN_START.match(m.group(1))
            if _DROP_AFTER.match(rest):
                return True
            if _KEEP_AFTER.match(rest):
                return False
    if kind == "withdraw" and _CHAT_END_CUE.search(cue) and _CHAT_END.search(message):
        return True  # "今天的沟通就到此为止，晚安"
    if kind == "withdraw" and _GENERIC_CUE.fullmatch(cue) and not _JOIN_OR_TRAINING.search(message) \
            and _OTHER_OBJECT.search(lead + clause):
        return True  # "车票太难抢了，还是放弃吧", "app一直闪退，我就退出了": `lead` is what comes just before the clause
    if kind == "withdraw" and "不干" in cue and (_OTHER_OBJECT.search(lead + clause + next_clause)
                                                 or _CHORE.search(message)):
        return True  # "不干了，今儿个收工！", "这个表格填了三遍都提交失败，不干了": the chore, not the job
    if kind == "withdraw" and cue.startswith("婉拒") and _COUNTER.search(lead):
        return True  # "前公司想让我多留一个月，婉拒了": the counter-offer is what is declined
    if kind == "withdraw" and re.search(r"不(?:去|来|参加)$", cue) and _OBJECT_AFTER.match(suffix):
        return True  # "我就不去聚会了": the cue stops where its object begins
    if kind == "withdraw" and _REDIRECT.search(prefix):
        return True  # "怎么跟另一家说我不去了"
    if kind == "withdraw" and "放弃" in cue and _RIVAL.search(prefix):
        return True  # "考公我放弃了": giving up the rival plan is good news
    if kind == "withdraw" and not _TAKEN.search(cue) and (
            _TOLD_RIVAL.search(prefix) or (_RIVAL_TOPIC.search(prefix) and not _NAMES_US.search(cue))):
        return True  # "外企那个终面我放弃了", "跟杭州那家说了不去了"; but "读研我就不来了" is about us, and in
        # "国企那边的offer我接了" the rival's offer is taken, not declined
    if kind == "withdraw" and (_PERK_BEFORE.search(prefix) or _OBJECT_BEFORE.search(prefix)):
        return True  # "前司的年终奖我就放弃了", "公司年会我不去了": a payout or an event given up, not the job
    if kind == "delay" and not cue.endswith("的话") and _CONDITIONAL.search(clause) \
            and not re.search(r"能不能|能否|可不可以|申请|想|可以", clause):
        return True  # "入职时间要是往后推了，工资从哪天算": asking about the company moving it
    if kind in ("withdraw", "delay", "hesitate", "renege_q"):
        if _OTHER_OBJECT.search(clause) and not _JOIN_WORD.search(clause):
            return True
        if len(cue) <= 3 and not _JOIN_WORD.search(message) and _OTHER_OBJECT.search(_STOP_SENDING.sub("", message)):
            return True  # "放弃了放弃了，这个体检预约系统太难用了"; but in "俺不去了，甭再给俺发任务了" the tasks
            # are what the candidate wants stopped, not what is given up
    if kind == "delay" and _NOT_START.search(clause):
        return True  # "培训第一天能晚到半小时吗", "能晚几天再确认入职吗" (a hold, not a later start)
    if kind == "delay" and _RUMOUR.search(clause) and not re.search(r"我|能不能|能否|可不可以|申请", clause):
        return True  # "听说这批培训可能延期": the company's schedule, a concern
    return False


def _hits(text: str, clauses: list[_Clause]) -> list[Hit]:
    hits: list[Hit] = []
    carried_third = False  # "我同学放弃了offer，现在后悔了": the subject carries over to clauses without one
    for ci, cl in enumerate(clauses):
        prev_cond = ci > 0 and bool(_COND_START.search(clauses[ci - 1].text))
        clause_hits: list[Hit] = []
        nxt = clauses[ci + 1].text if ci + 1 < len(clauses) else ""
        lead = text[max(0, cl.start - 12): cl.start]  # what comes just before the clause
        for kind, patterns in _ALERT_KINDS.items():
            if not _ALERT_ANY[kind].search(cl.text):
                continue
            for rx, w in patterns:
                for m in rx.finditer(cl.text):
                    prefix, suffix = cl.text[: m.start()], cl.text[m.end():]
                    h = Hit(kind, m.group(0), w, ci, cl.start + m.start())
                    h.negated = (kind != "renege_q" and bool(_NEG_BEFORE.search(prefix[-6:]))
                                 and not _A_NOT_A.search(prefix))
                    own_subject = "我" in prefix + m.group(0) or _THIRD.search(prefix)  # "…，我还是算了" is mine
                    h.third_party = _is_third_party(prefix) or (carried_third and not own_subject)
                    h.other_object = _object_elsewhere(kind, m.group(0), prefix, suffix, cl.text, text, nxt, lead)
                    if kind == "withdraw" and m.group(0).startswith("不") and prefix.endswith(m.group(0)[1:2]):
                        h.other_object = True  # "会不会去了之后又被调走": A-not-A question, not a refusal
                    h.question = cl.question
                    h.conditional = bool(_CONDITIONAL.search(cl.text)) or prev_cond
                    h.hedge_strong = bool(_HEDGE_STRONG_NEAR.search(prefix))
                    h.hedge_soft = bool(_HEDGE_SOFT.search(prefix))
                    h.past = bool(_PAST.search(prefix))
                    clause_hits.append(h)
        clause_hits.sort(key=lambda h: h.pos)
        for prev, h in zip(clause_hits, clause_hits[1:]):
            if prev.negated and h.pos <= prev.pos + len(prev.text) + 1:
                h.negated = True  # "不是在考虑要不要去": the negation covers the whole chain
        hits.extend(clause_hits)
        m = _THIRD_SUBJECT.match(cl.text)
        if m:
            carried_third = "我" not in cl.text[m.end():]
        elif "我" in cl.text:
            carried_third = False
    # Keep one hit per overlapping span of the same kind (the strongest), so "不去了" counts once.
    hits.sort(key=lambda h: (h.pos, -len(h.text)))
    kept: list[Hit] = []
    for h in hits:
        if kept and h.pos < kept[-1].pos + len(kept[-1].text) and h.kind == kept[-1].kind:
            if h.strength > kept[-1].strength:
                kept[-1] = h
            continue
        kept.append(h)
    return kept


def _reassurances(clauses: list[_Clause], alert_spans: list[tuple[int, int]]) -> list[tuple[int, str, bool]]:
    out = []
    for cl in clauses:
        if not _REASSURE_ANY.search(cl.text):
            continue
        for rx, strong in _REASSURE:
            for m in rx.finditer(cl.text):
                start, end = cl.start + m.start(), cl.start + m.end()
                if any(s < end and start < e for s, e in alert_spans):
                    continue  # "这个offer我拒了" is a withdrawal, not "I turned the others down"
                if _is_third_party(cl.text[: m.start()]):
                    continue
                if cl.question and re.search(r"(?:吗|么|没)$", cl.text):
                    continue  # "确定入职了吗" asks, does not reassure
                out.append((start, m.group(0), strong))
    return out


def _reason_scores(text: str, clauses: list[_Clause], alerts: list[Hit]) -> dict[str, float]:
    scores = dict.fromkeys(REASON_PRIORITY, 0.0)
    focus = {h.clause for h in alerts}
    for reason, items in _REASON_TOPIC.items():
        live = [(ci, cl) for ci, cl in enumerate(clauses) if _REASON_ANY[reason].search(cl.text)]
        if not live:
            continue
        for rx, w in items:
            for ci, cl in live:
                n = len(rx.findall(cl.text))
                if n:
                    bonus = 1.25 if ci in focus else 1.0
                    scores[reason] = max(scores[reason], w * bonus) + 0.2 * (n - 1)
    for h in alerts:
        r = _KIND_REASON.get(h.kind)
        if r:
            scores[r] += 2.0
    if _FAMILY_AGENT.search(text):
        scores["family"] += 1.2
    return scores


def _best_reason(scores: dict[str, float], floor: float = 0.5) -> str | None:
    best = max(REASON_PRIORITY, key=lambda r: (scores[r], -REASON_PRIORITY.index(r)))
    return best if scores[best] >= floor else None


def _courtesy_only(text: str) -> bool:
    """Thanks, apologies and sign-offs and nothing else ("非常感谢您这段时间的细心安排，辛苦了🙏")."""
    return bool(_COURTESY_WORD.search(text)) and not _COURTESY_PAD.sub("", text)


@lru_cache(maxsize=4096)
def analyze(raw: str) -> RuleResult:
    """Rule verdict for one message (cached: the same short messages recur in chat)."""
    text = said(raw)
    clauses = _clauses(text)
    hits = _hits(text, clauses)
    effective = [h for h in hits if h.effective]
    finality = bool(_FINALITY.search(text))
    has_request = any(h.kind in ("delay", "change") for h in effective)
    late_question = [any(c.question for c in clauses[i:]) for i in range(len(clauses))]
    hesitates = any(h.kind == "hesitate" for h in effective)

    # Signed elsewhere, told as news: "别家给的package高太多了，我已经签了，抱歉".
    if _OTHER_SIGNED.search(text) and _SIGNED.search(text) and not any(h.kind == "withdraw" for h in effective):
        m = _SIGNED.search(text)
        effective.append(Hit("withdraw", m.group(0), 0.9, 0, m.start()))

    # "package有点低，还能调整吗": a bare ask that is about pay only because of the clause before it.
    if not any(h.kind == "negotiate" for h in effective) and _PAY.search(text):
        for ci, cl in enumerate(clauses):
            m = _PAY_ASK.search(cl.text)
            if m:
                effective.append(Hit("negotiate", m.group(0), 0.8, ci, cl.start + m.start()))
                break
    # A weak cue inside a hypothetical question is a concern: "如果我手上还有别的offer，对入职流程有影响吗".
    effective = [h for h in effective if not (h.strength < 0.7 and h.conditional and late_question[h.clause])]

    # Withdrawal statements that are asked, hedged or conditional are hesitation ("如果我不去了会怎样").
    level_hits: list[tuple[str, Hit]] = []
    for h in effective:
        if h.kind == "withdraw":
            asked = h.question and not (_PROCEDURE.search(clauses[h.clause].text) and not _STATE_Q.search(text)
                                        and not h.conditional and h.strength >= 0.8 and not hesitates)
            soft = (asked or h.hedge_strong or (h.conditional and (h.hedge_soft or late_question[h.clause]))
                    or (h.hedge_soft and not finality) or (has_request and h.strength < 0.9))
            if h.strength < 0.5 and not any(x.kind == "withdraw" and x.strength >= 0.6 for x in effective):
                continue  # "走一下流程" alone is not a withdrawal
            if h.strength <= 0.55 and not any(x.kind == "withdraw" and x.strength >= 0.6 for x in effective):
                # "还是算了" needs a polite close or a term it is about ("钱太少了，还是算了"); a bare "算了" needs
                # both ("太偏了，算了吧，谢谢"), since "算了，我自己查" is everyday chat.
                about, polite = bool(_ABOUT_OFFER.search(text)), finality
                if not ((about and polite) if h.strength < 0.55 else (about or polite)):
                    continue
            level_hits.append(("hesitation" if soft else "withdrawal", h))
        else:
            level_hits.append(("hesitation", h))

    reassures = _reassurances(clauses, [(h.pos, h.pos + len(h.text)) for h in effective])
    strong_reassure = [p for p, _, strong in reassures if strong]
    had_alert_cues = bool(level_hits)
    if level_hits:
        last_alert = max(h.pos for _, h in level_hits)
        max_strength = max(h.strength for _, h in level_hits)
        weak_only = max_strength < 0.9 or all(h.kind in ("renege_q", "hold") for _, h in level_hits)
        withdrawn = any(lv == "withdrawal" for lv, _ in level_hits)
        after = [strong for p, _, strong in reassures if p > last_alert]
        if _JOKING.search(text, last_alert):
            settled = True
        elif withdrawn:
            settled = any(after)  # only a commitment to come cancels "不去了" said before it
        else:
            settled = bool(after) or (weak_only and bool(strong_reassure))
        if settled:
            level_hits = []
        elif _FOR_OTHERS.search(text) and weak_only:
            level_hits = []  # "违约金的事是帮我朋友问的"
        elif _JUST_ASKING.search(text) and strong_reassure:
            level_hits = []
        elif max_strength < 0.5 and _WORRY.search(text):
            level_hits = []  # "有点担心适应不了": a worry, not a wavering
        elif max_strength < 1.0 and _DISCLOSE.search(text) and any(c.question for c in clauses):
            level_hits = []  # "还有一家终面没走完，需要跟你们报备吗"

    cues = [h.text for _, h in level_hits]
    alert_hits = [h for _, h in level_hits]
    scores = _reason_scores(text, clauses, alert_hits)

    if level_hits:
        withdrawn_hits = [h for lv, h in level_hits if lv == "withdrawal"]
        level = "withdrawal" if withdrawn_hits else "hesitation"
        strength = max(h.strength for h in (withdrawn_hits or alert_hits))
        reason = _best_reason(scores) or "undecided"
    else:
        level, reason, strength = "none", "none", 0.0
        concern_topics = []
        for cl in clauses:
            pointed = cl.question or bool(_WORRY.search(cl.text))
            if not pointed:
                continue
            for r, rx in _CONCERN_TOPIC.items():
                m = rx.search(cl.text)
                if m:
                    concern_topics.append(r)
                    cues.append(m.group(0))
        if concern_topics and not reassures:
            level = "concern"
            cscores = {r: scores[r] + (1.0 if r in concern_topics else 0.0) for r in REASON_PRIORITY}
            reason = _best_reason(cscores) or concern_topics[0]
            strength = 0.3
        else:
            cues = []

    features = {
        "n_withdraw": sum(1 for lv, _ in level_hits if lv == "withdrawal"),
        "n_hesitate": sum(1 for lv, _ in level_hits if lv == "hesitation"),
        "n_reassure": len(reassures),
        "n_neg": sum(1 for h in hits if h.negated),
        "n_third": sum(1 for h in hits if h.third_party),
        "question": float(any(c.question for c in clauses)),
        "worry": float(bool(_WORRY.search(text))),
        "cjk": float(len(_CJK.findall(text))),
        "courtesy": float(_courtesy_only(text)),
        # Whether the message names joining or any term a reason is about: without either, nothing in it can be
        # what a candidate wavers about ("算了算了，我找到了", "不好意思刚才手滑了").
        "about": float(bool(_JOIN_WORD.search(text)) or max(scores.values(), default=0.0) >= 1.0),
        # Cues the rules saw and deliberately set aside (negated, someone else's, another object, settled):
        # the model must not overrule those.
        "cancelled": float(any(not h.effective for h in hits) or (had_alert_cues and not level_hits)),
        # Of those, cues that were someone else's and nothing of the speaker's own: "听说有人放弃入职了，名额会补吗"
        # names a withdrawal and a 名额, as real withdrawals do, but they are a third party's.
        # A parent or partner speaking for the candidate ("我是他妈妈，孩子就不去了") is not such a third party.
        "others": float(any(h.third_party for h in hits) and not level_hits and not _RELAYED.search(text)),
    }
    return RuleResult(level, reason, strength, list(dict.fromkeys(cues)), scores, features)
