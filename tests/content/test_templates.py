"""Every template renders with sample data, never to an empty string, and a missing variable is an error; the
data files load and the help lines are keyed by real intents.

Adding a template? Add its sample variables to SAMPLES below (one dict, or a list of dicts to cover its branches).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from pathlib import Path
from types import SimpleNamespace as NS
from zoneinfo import ZoneInfo

import jinja2
import pytest
from jinja2 import meta

from content import CONTENT_DIR, Content, ContentError
from models import Candidate, CandidateStatus, Channel, Direction
from nlp.intents import Intent

CONTENT = Content()
TZ = ZoneInfo("Asia/Shanghai")
TRAINING = date(2026, 12, 14)
AT = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)

GIFT = {"key": "mug", "name": "星海马克杯", "points": 30, "delivery": ["mail", "pickup"]}
LESSON = {"key": "culture", "title": "星海的一天", "minutes": 12, "points": 20, "pass_mark": 2,
          "video": "https://v.example.com/1", "summary": "带您走一遍新同学的第一天。"}
QUESTION = {"q": "入职第一天几点报到？", "options": ["A. 08:00", "B. 09:00", "C. 10:00"], "answer": "B", "explain": "09:00 前台报到。"}
TASK = {"title": "写一段自我介绍", "points": 10, "link": "https://forms.example.com/intro", "prompt": "发给我一段 50 字以上的自我介绍"}
Q_CHOICE = {"text": "您更喜欢怎样认识新同事？", "options": [{"label": "热闹的茶话会"}, {"label": "一对一聊聊"}]}
DOC = NS(name="体检报告", due_date=date(2026, 12, 11))
LATE_DOC = NS(name="离职证明", due_date=date(2026, 11, 20))
LABELS = {k: k for k in ("name", "channel", "position", "department", "cohort", "start_date", "status", "profile",
                         "quiet_mode", "consent_at", "documents", "points", "messages_count")}
ZHANGSAN = Candidate(name="张三", channel=Channel.wecom, channel_user_id="zhangsan", status=CandidateStatus.accepted,
                     position="后端开发工程师", start_date=TRAINING, profile={"social": "introvert"}, quiet_mode=False,
                     consent_at=AT)
TRAINING_INFO = {"days": 21, "cohort": "2026 冬季新人营", "training_date": TRAINING, "report_time": "09:00",
                 "place": "张江路 88 号"}

# template name -> sample variables (a list covers several branches)
SAMPLES: dict[str, dict | list[dict]] = {
    "clarify": {"options": ["查距离培训还有几天", "看培训安排"]},
    "cohort": [{"cohort": "2026 冬季新人营", "mates": [("刘洋", "研发中心"), ("陈静", "")]}, {"cohort": "2026 冬季新人营", "mates": []}],
    "days_until_training": [TRAINING_INFO, {**TRAINING_INFO, "days": 0}, {**TRAINING_INFO, "days": -1, "place": ""}],
    "delete_cancelled": {},
    "delete_confirm": {},
    "delete_requested": {},
    "fallback": [{"name": "张三"}, {"name": ""}],
    "faq_answer": {"entry": {"answer": "周一到周五商务休闲即可。\n"}},
    "faq_topics": {"entries": [{"question": "穿什么？"}, {"question": "有宿舍吗？"}]},
    "greeting": [{"name": "张三", "hour": h} for h in (9, 12, 15, 20)],
    "hesitation_reply": [{"name": "张三", "level": lvl, "reason": r}
                         for lvl, r in [("withdrawal", "none"), ("hesitation", "salary"),
                                        ("hesitation", "competing_offer"), ("concern", "family"), ("concern", "location")]],
    "help": [{"name": "张三", "lines": ["「还有几天培训」：距离入职培训还有几天"]}, {"name": "", "lines": []}],
    "hr_contact": [{"hr": {"name": "王五", "email": "wangwu@example.com"}}, {"hr": None}],
    "hr_alert": [
        {"cand": NS(name="张三", start_date=TRAINING, position="后端开发工程师", stickiness=72.4, tier="high", reneged_before=1),
         "cohort": NS(name="2026 冬季新人营", training_date=TRAINING), "level": "hesitation", "reason": "salary",
         "text": "薪资能否再谈一下", "cues": ["薪资", "再谈"], "tz": TZ, "hr": NS(wecom_userid="wangwu"),
         "turns": [NS(direction=Direction.inbound, created_at=AT, text="薪资能否再谈一下"),
                   NS(direction=Direction.outbound, created_at=AT, text="理解的，" * 30)],
         "playbook": {"title": "薪资", "do": ["先倾听"], "avoid": ["承诺加薪"], "suggested_reply": "我们聊聊？\n"},
         "console_url": "http://127.0.0.1:5000/dashboard/candidates/1", "case_id": 12},
        {"cand": NS(name="张三", start_date=None, position="", stickiness=None, tier=None, reneged_before=0),
         "cohort": None, "level": "concern", "reason": "undecided", "text": "我再考虑一下", "cues": [], "tz": TZ,
         "hr": None, "turns": [], "playbook": None, "console_url": "http://127.0.0.1:5000/dashboard/", "case_id": 3},
    ],
    "hr_case_list": [
        {"cases": [{"id": 12, "name": "张三", "level": "犹豫", "reason": "薪资待遇", "minutes": 20, "contacted_at": None},
                   {"id": 9, "name": "刘洋", "level": "明确放弃", "reason": "其他 offer", "minutes": 3 * 1440,
                    "contacted_at": AT}], "total": 14, "tz": TZ},
        {"cases": [{"id": 1, "name": "张三", "level": "犹豫", "reason": "—", "minutes": 0, "contacted_at": None}],
         "total": 1, "tz": TZ},
        {"cases": [], "total": 0, "tz": TZ},
    ],
    "hr_case_contacted": [
        {"already": False, "case_id": 12, "name": "张三", "at": AT, "tz": TZ, "minutes": 150, "noted": True},
        {"already": False, "case_id": 12, "name": "张三", "at": AT, "tz": TZ, "minutes": 5, "noted": False},
        {"already": True, "case_id": 12, "name": "张三", "at": AT, "tz": TZ},
    ],
    "hr_case_closed": [
        {"case_id": 12, "name": "张三", "outcome": "stayed", "contact_now": False, "minutes": 90, "noted": False},
        {"case_id": 12, "name": "刘洋", "outcome": "reneged", "contact_now": True, "minutes": 3000, "noted": True},
    ],
    "hr_case_problem": [
        {"problem": "usage_contact", "case_id": None},
        {"problem": "usage_close", "case_id": None},
        {"problem": "not_found", "case_id": 99},
        {"problem": "closed", "case_id": 12, "name": "张三", "outcome": "stayed", "at": AT, "tz": TZ},
        {"problem": "no_outcome", "case_id": 12, "written": ""},
        {"problem": "bad_outcome", "case_id": 12, "written": "再看看"},
    ],
    "hr_help": [{"name": "王五", "lines": ["「跟进」：待跟进的预警案例（最新 10 个）"],
                 "console_url": "http://127.0.0.1:5000/dashboard/"},
                {"name": "王五", "lines": [], "console_url": "http://127.0.0.1:5000/dashboard/"}],
    "lesson_answer_unclear": {},
    "lesson_failed": {"correct": 1, "total": 3},
    "lesson_feedback": [{"right": True, "q": QUESTION}, {"right": False, "q": {**QUESTION, "explain": ""}}],
    "lesson_later": {},
    "lesson_list": {"lessons": [LESSON, {**LESSON, "key": "tools", "title": "开发工具"}], "done": {"culture"}},
    "lesson_open": {"lesson": LESSON},
    "lesson_passed": [{"lesson": LESSON, "correct": 3, "total": 3, "fresh": f, "balance": 50} for f in (True, False)],
    "lesson_question": {"number": 1, "total": 3, "q": QUESTION},
    "mentor": [{"mentor": {"name": "李四", "title": "高级后端工程师", "intro": "喜欢跑步"}}, {"mentor": None}],
    "mentor_help": {"name": "李四"},
    "my_data": {"labels": LABELS, "cand": ZHANGSAN, "dept": NS(name="研发中心"), "cohort": NS(name="2026 冬季新人营"),
                "tz": TZ, "docs_done": 3, "docs_total": 5, "balance": 40, "messages": 12},
    "no_training_date": {},
    "not_registered": {},
    "offer_already_accepted": {"name": "张三"},
    "offer_closed": {"name": "张三"},
    "points": [
        {"balance": 40, "tz": TZ, "history": [NS(created_at=AT, amount=20, reason="task"),
                                               NS(created_at=AT, amount=-30, reason="redemption")]},
        {"balance": 0, "tz": TZ, "history": []},
    ],
    "preferences_ask": {},
    "preferences_saved": [{"time": "evening", "channel": "wechat"}, {"time": None, "channel": "wecom"}],
    "questionnaire_done": [{"done": "问卷完成，谢谢！", "social": s, "lessons": [LESSON]} for s in ("extrovert", "introvert")],
    "questionnaire_paused": {},
    "questionnaire_question": [{"intro": "先问几个小问题～", "number": 1, "total": 4, "q": Q_CHOICE, "multi": False},
                               {"intro": "", "number": 2, "total": 4, "q": Q_CHOICE, "multi": True}],
    "questionnaire_unclear": {"q": Q_CHOICE},
    "quiet_off": [{"was_unsubscribed": True}, {"was_unsubscribed": False}],
    "quiet_on": {},
    "readiness": [
        {"total": 5, "done": 3, "percent": 60, "missing": [DOC, LATE_DOC], "today": date(2026, 11, 23)},
        {"total": 5, "done": 5, "percent": 100, "missing": [], "today": date(2026, 11, 23)},
        {"total": 0, "done": 0, "percent": 100, "missing": [], "today": date(2026, 11, 23)},
    ],
    "redeem_address": {},
    "redeem_address_short": {},
    "redeem_cancelled": {},
    "redeem_confirm": {"gift": GIFT, "balance": 40},
    "redeem_confirm_again": {},
    "redeem_delivery": {"gift": GIFT},
    "redeem_done": [{"gift": GIFT, "delivery": "mail", "address": "上海市浦东新区 张三 13800000000", "balance": 10},
                    {"gift": GIFT, "delivery": "pickup", "address": "", "balance": 10}],
    "redeem_done_already": {},
    "redeem_insufficient": {"gift": GIFT, "balance": 20, "short": 10},
    "redeem_list": {"balance": 40, "gifts": [GIFT, {**GIFT, "name": "定制卫衣", "points": 80}]},
    "redeem_unclear": {"gifts": [GIFT]},
    "relay_ask_question": [{"target": "mentor"}, {"target": "hr"}],
    "relay_cancelled": {},
    "relay_created": [{"target": "mentor", "person": {"name": "李四"}}, {"target": "hr", "person": None}],
    "report_info": [{**TRAINING_INFO, "bring": ["身份证", "银行卡"]}, {**TRAINING_INFO, "days": 0, "bring": ["身份证"]}],
    "task_all_done": {"balance": 60},
    "task_already_done": [{"task": TASK, "next": {"title": "认识你的导师"}}, {"task": TASK, "next": None}],
    "task_done": [{"done": "收到，写得真好！", "fresh": f, "task": TASK, "balance": 30} for f in (True, False)],
    "task_later": {},
    "task_not_started": {},
    "task_show": [{"week": 1, "task": TASK, "intro": "张三，第一周的小任务："},
                  {"week": 2, "task": {**TASK, "link": None}, "intro": "第二周"}],
    "thanks": {},
    "training_agenda": [{"training_date": TRAINING, "days": [{"day": 1, "title": "欢迎日", "items": ["报到", "领电脑"]}]},
                        {"training_date": None, "days": [{"day": 1, "title": "欢迎日", "items": ["报到"]}]}],
    "unsubscribed": {},
    "welcome_pack": [{"name": "张三", "cohort": {"name": "2026 冬季新人营", "training_date": TRAINING},
                      "mentor": {"name": "李四"}, "guide": "入职指南：……\n"},
                     {"name": "张三", "cohort": None, "mentor": None, "guide": "入职指南"}],
    "what_to_bring": [{"bring": ["身份证", "银行卡"], "dress": "商务休闲", "missing": [DOC]},
                      {"bring": ["身份证"], "dress": "", "missing": []}],
}

from tests.engagement.test_cadence_templates import CADENCE_SAMPLES  # noqa: E402  (the cadence work owns those)

SAMPLES.update(CADENCE_SAMPLES)


def _variants(name: str) -> list[dict]:
    sample = SAMPLES[name]
    return sample if isinstance(sample, list) else [sample]


def _declared(name: str) -> set[str]:
    source = CONTENT.env.loader.get_source(CONTENT.env, f"{name}.j2")[0]
    return meta.find_undeclared_variables(CONTENT.env.parse(source))


@pytest.mark.parametrize("name", CONTENT.template_names())
def test_every_template_renders_with_sample_data(name):
    assert name in SAMPLES, (
        f"content/templates/{name}.j2 has no sample data: add SAMPLES[{name!r}] in tests/content/test_templates.py "
        f"with its variables {sorted(_declared(name))}"
    )
    for n, sample in enumerate(_variants(name), start=1):
        try:
            text = CONTENT.render(name, **sample)
        except jinja2.UndefinedError as exc:
            pytest.fail(f"{name}.j2 with sample #{n}: {exc}")
        assert text.strip(), f"{name}.j2 renders to an empty string with sample #{n}: {sample}"
        assert "None" not in text, f"{name}.j2 shows 'None' to a person with sample #{n}:\n{text}"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_data_belongs_to_an_existing_template(name):
    assert name in CONTENT.template_names(), f"SAMPLES[{name!r}] is for a template that no longer exists"


def test_some_renderings_say_what_they_should():
    assert CONTENT.render("days_until_training", **TRAINING_INFO).startswith("距离「2026 冬季新人营」入职培训还有 21 天：12月14日（周一） 09:00")
    assert "就是今天" in CONTENT.render("days_until_training", **{**TRAINING_INFO, "days": 0})
    assert "· 「还有几天培训」" in CONTENT.render("help", name="张三", lines=["「还有几天培训」"])
    assert "已经过了截止日期" in CONTENT.render("readiness", **SAMPLES["readiness"][0])  # LATE_DOC is past due


@pytest.mark.parametrize(
    "name, sample, missing",
    [
        ("days_until_training", TRAINING_INFO, "days"),
        ("days_until_training", TRAINING_INFO, "training_date"),
        ("help", {"name": "张三", "lines": []}, "lines"),
        ("fallback", {"name": "张三"}, "name"),
        ("redeem_confirm", SAMPLES["redeem_confirm"], "balance"),
    ],
)
def test_a_missing_variable_raises_instead_of_rendering_blank(name, sample, missing):
    partial = {k: v for k, v in sample.items() if k != missing}
    with pytest.raises(jinja2.UndefinedError, match=missing):
        CONTENT.render(name, **partial)


def test_a_missing_attribute_raises_too():
    with pytest.raises(jinja2.UndefinedError, match="points"):
        CONTENT.render("redeem_confirm", gift={"name": "星海马克杯"}, balance=40)


def test_an_unknown_template_is_a_content_error():
    with pytest.raises(ContentError, match="no_such_template"):
        CONTENT.render("no_such_template")


def test_the_content_validates():
    CONTENT.validate()


def test_the_hr_case_replies_say_what_they_should():
    listing = CONTENT.render("hr_case_list", **SAMPLES["hr_case_list"][0])
    assert "共 14 个，这里是最新的 2 个" in listing
    assert "#12 张三 · 犹豫 · 薪资待遇 · 20 分钟前 · 还没联系" in listing
    assert "#9 刘洋 · 明确放弃 · 其他 offer · 3 天前 · 已联系（11-23 10:00）" in listing
    assert "最新的" not in CONTENT.render("hr_case_list", **SAMPLES["hr_case_list"][1])
    assert "刚刚" in CONTENT.render("hr_case_list", **SAMPLES["hr_case_list"][1])
    assert "预警后 2 小时 30 分钟" in CONTENT.render("hr_case_contacted", **SAMPLES["hr_case_contacted"][0])
    assert "预警后 5 分钟" in CONTENT.render("hr_case_contacted", **SAMPLES["hr_case_contacted"][1])
    assert "11-23 10:00 记录过了" in CONTENT.render("hr_case_contacted", **SAMPLES["hr_case_contacted"][2])
    reneged = CONTENT.render("hr_case_closed", **SAMPLES["hr_case_closed"][1])
    assert "结果：放弃" in reneged and "预警后 2 天 2 小时" in reneged and "标记为放弃入职" in reneged
    assert "记为首次联系" not in CONTENT.render("hr_case_closed", **SAMPLES["hr_case_closed"][0])
    problems = [CONTENT.render("hr_case_problem", **sample) for sample in SAMPLES["hr_case_problem"]]
    assert len(set(problems)) == len(problems), "each problem has its own answer"
    assert "结果是留下" in problems[3] and "「再看看」" in problems[5]


def _worst_alert(**extra) -> dict:
    """The longest alert a case can produce: a 1000-character message, six long turns, many cues, the longest
    playbook, a re-applicant, a long name and position."""
    longest = max(CONTENT.playbooks.values(), key=lambda b: len(str(b)))
    long_turn = NS(direction=Direction.inbound, created_at=AT, text="我真的还在犹豫要不要去，" * 20)
    return {**SAMPLES["hr_alert"][0], "cand": NS(name="欧阳娜娜" * 3, start_date=TRAINING, position="高级后端开发工程师" * 3,
                                                 stickiness=72.4, tier="medium", reneged_before=2),
            "text": "另一家给的多，我在犹豫。" * 90, "cues": ["另一家", "给的多", "犹豫", "考虑", "上下文累积"] * 3,
            "turns": [long_turn] * 6, "playbook": longest, "case_id": 123456, **extra}


@pytest.mark.parametrize("level", ["withdrawal", "risk"])
def test_the_hr_alert_names_the_case_and_how_to_follow_up_within_4096_bytes(level):
    text = CONTENT.render("hr_alert", **_worst_alert(level=level, level_key=level))
    assert len(text.encode("utf-8")) <= 4096, len(text.encode("utf-8"))
    assert text.splitlines()[0].endswith("（案例 #123456）")
    assert "\n> <font color=\"warning\">此前曾 2 次" in text  # its own quote line, not glued to the one above
    assert "粘性：72（中）" in text  # the tier in Chinese, as HR reads it
    assert "「已联系 123456」" in text.splitlines()[-1] and "「结案 123456 留下」" in text.splitlines()[-1]


def test_hr_help_keys_are_hr_handler_intents():
    from handlers import build_dispatcher
    from handlers.router import Role

    lines = CONTENT.data["help_hr"]
    assert list(lines) == [h.intent for h in build_dispatcher().help_entries(Role.HR)]
    assert all(isinstance(v, str) and v.strip() for v in lines.values())


def test_help_keys_are_intent_values():
    help_lines = CONTENT.data["help"]
    assert help_lines, "content/help.yaml is empty"
    unknown = sorted(set(help_lines) - {i.value for i in Intent})
    assert not unknown, f"content/help.yaml has keys that are not Intent values: {unknown}"
    assert all(isinstance(v, str) and v.strip() for v in help_lines.values())


def test_the_date_filters():
    assert CONTENT.env.filters["date_cn"](TRAINING) == "12月14日（周一）"
    assert CONTENT.env.filters["date_cn"](date(2026, 11, 29)) == "11月29日（周日）"
    assert [CONTENT.env.filters["days_word"](n) for n in (0, 1, 5)] == ["今天", "明天", "5 天后"]


def _sections_read_by_the_code() -> dict[str, set[str]]:
    """content/<section>.yaml files the code indexes directly (content.data["section"]), and where."""
    pattern = re.compile(r"""content\.data\[\s*["'](\w+)["']\s*\]""")
    root = Path(__file__).parents[2]
    found: dict[str, set[str]] = {}
    for package in ("handlers", "engagement", "scheduler", "bot", "dashboard"):
        for path in (root / package).rglob("*.py"):
            for section in pattern.findall(path.read_text(encoding="utf-8")):
                found.setdefault(section, set()).add(str(path.relative_to(root)))
    return found


def test_every_content_section_the_code_reads_exists():
    used = _sections_read_by_the_code()
    assert "help" in CONTENT.data and used, "the scan found nothing: the pattern is out of date"
    missing = {s: sorted(where) for s, where in used.items() if s not in CONTENT.data}
    assert not missing, "content sections read by the code but missing from content/: " + "; ".join(
        f"{CONTENT_DIR.name}/{s}.yaml (read in {', '.join(w)})" for s, w in sorted(missing.items()))
