"""HR follows up escalations in chat (跟进, 已联系, 结案), as dialog tables through the real pipeline, outbox and dev
sender, with the frozen clock. The demo HR user is wangwu; the clock starts on Monday 2026-11-23 10:00 (Shanghai).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from engagement.escalations import mark_first_contact, open_escalation
from handlers.hr_cases import CLOSE, CONTACT, LIST, Command, parse
from models import Candidate, CandidateStatus, Escalation
from tests.support.dialog import assert_dialog, say

pytestmark = pytest.mark.backends

HR = "wangwu"


def cand(db, uid: str = "zhangsan") -> Candidate:
    return db.exec(select(Candidate).where(Candidate.channel_user_id == uid)).one()


def case(db, clock, uid: str = "zhangsan", level: str = "hesitation", reason: str = "salary", ago=timedelta()) -> int:
    """Open a case for the candidate `ago` before now; its id."""
    esc = open_escalation(db, cand(db, uid), level=level, reason=reason, text="薪资能否再谈一下", score=0.9,
                          key=f"k:{uid}:{level}:{reason}:{ago}", now=clock.now() - ago)
    db.commit()
    return esc.id


def fetch(svc, case_id: int) -> Escalation:
    with Session(svc.engine) as db:
        return db.get(Escalation, case_id)


# --- 跟进: the open cases -----------------------------------------------------------------------------------------


def test_no_open_case(svc):
    assert_dialog(svc, [("跟进", "没有待跟进的案例")], as_=HR)


@pytest.mark.parametrize("word", ["跟进", "待跟进", "案例", "跟进。"])
def test_the_list_newest_first_with_level_reason_age_and_contact(svc, db, clock, word):
    old = case(db, clock, "liuyang", "withdrawal", "competing_offer", ago=timedelta(days=3))
    mid = case(db, clock, "chenjing", "risk", "silence", ago=timedelta(hours=5))
    new = case(db, clock, "zhangsan", "hesitation", "salary", ago=timedelta(minutes=20))
    closed = case(db, clock, "sunli", ago=timedelta(hours=1))
    esc = db.get(Escalation, mid)
    mark_first_contact(db, esc, clock.now() - timedelta(hours=2))  # 11-23 08:00 in Shanghai
    db.commit()
    assert_dialog(svc, [(f"结案 {closed} 留下", "已结案")], as_=HR)

    (answer,) = assert_dialog(svc, [(word, "待跟进的案例共 3 个")], as_=HR)
    lines = [line for line in answer.splitlines() if line.startswith("#")]
    assert lines == [
        f"#{new} 张三 · 犹豫 · 薪资待遇 · 20 分钟前 · 还没联系",
        f"#{mid} 陈静 · 沉默风险 · 长时间沉默 · 5 小时前 · 已联系（11-23 08:00）",
        f"#{old} 刘洋 · 明确放弃 · 其他 offer · 3 天前 · 还没联系",
    ]
    assert f"#{closed} " not in answer and "「已联系 编号」" in answer


def test_the_list_shows_the_ten_newest_and_how_many_there_are(svc, db, clock):
    ids = [case(db, clock, reason=f"r{n}", ago=timedelta(hours=12 - n)) for n in range(12)]
    (answer,) = assert_dialog(svc, [("跟进", ("共 12 个", "最新的 10 个"))], as_=HR)
    shown = [int(m) for m in re.findall(r"^#(\d+) ", answer, re.M)]
    assert shown == ids[::-1][:10]


def test_a_command_never_gets_a_clarifying_question(svc, db, clock):
    """跟进 alone was ambiguous to the candidates' classifier (材料? 找HR?); for HR it is a command."""
    (answer,) = assert_dialog(svc, [("跟进", "待跟进")], as_=HR)
    assert "想确认一下" not in answer


# --- 已联系: first human contact ----------------------------------------------------------------------------------


def test_contact_is_recorded_at_now_once_with_the_note(svc, db, clock):
    cid = case(db, clock, ago=timedelta(hours=2, minutes=30))
    assert_dialog(svc, [(f"已联系 {cid} 电话聊过，顾虑是薪资", ("张三", f"案例 #{cid}", "11-23 10:00",
                                                      "预警后 2 小时 30 分钟", "备注", f"结案 {cid} 留下"))], as_=HR)
    esc = fetch(svc, cid)
    assert esc.first_contact_at == clock.now() and esc.outcome_note == "电话聊过，顾虑是薪资"
    assert esc.closed_at is None

    clock.advance(hours=1)
    assert_dialog(svc, [(f"已联系 {cid}", ("已经在 11-23 10:00 记录过了")),
                        (f"已联系 {cid} 又聊了一次", "记录过了")], as_=HR)
    esc = fetch(svc, cid)
    assert esc.first_contact_at == clock.now() - timedelta(hours=1)  # unchanged
    assert esc.outcome_note == "电话聊过，顾虑是薪资"


@pytest.mark.parametrize("text", ["已联系{id}", "已联系 #{id}", "已联系：{id}", "已联系　{id}"])
def test_contact_spellings(svc, db, clock, text):
    cid = case(db, clock)
    assert_dialog(svc, [(text.format(id=cid), "联系上了")], as_=HR)
    assert fetch(svc, cid).first_contact_at == clock.now()


# --- 结案: the outcome ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("word, outcome", [("留下", "stayed"), ("已留下", "stayed"), ("stayed", "stayed"),
                                           ("放弃", "reneged"), ("已放弃", "reneged"), ("Reneged", "reneged")])
def test_close_with_each_outcome_word(svc, db, clock, word, outcome):
    cid = case(db, clock, ago=timedelta(hours=3))
    expected = "留下" if outcome == "stayed" else "放弃"
    assert_dialog(svc, [(f"结案 {cid} {word}", ("已结案", f"结果：{expected}"))], as_=HR)
    esc = fetch(svc, cid)
    assert (esc.outcome, esc.closed_at) == (outcome, clock.now())
    with Session(svc.engine) as s:
        status = cand(s).status
    assert status == (CandidateStatus.reneged if outcome == "reneged" else CandidateStatus.accepted)


def test_renege_with_a_reason_marks_the_candidate(svc, db, clock):
    cid = case(db, clock, "liuyang", "withdrawal", "competing_offer")
    (answer,) = assert_dialog(svc, [(f"结案 {cid} 放弃 另一家给的多", ("刘洋", "放弃", "标记为放弃入职", "备注已保存"))],
                              as_=HR)
    esc = fetch(svc, cid)
    assert esc.outcome == "reneged" and esc.outcome_note == "另一家给的多"
    with Session(svc.engine) as s:
        liuyang = cand(s, "liuyang")
    assert liuyang.status == CandidateStatus.reneged and liuyang.offer_declined_at == clock.now()


def test_closing_without_contact_records_the_contact_at_closing_time(svc, db, clock):
    cid = case(db, clock, ago=timedelta(hours=4))
    assert_dialog(svc, [(f"结案 {cid} 留下", ("记为首次联系", "预警后 4 小时"))], as_=HR)
    esc = fetch(svc, cid)
    assert esc.first_contact_at == esc.closed_at == clock.now()


def test_closing_after_contact_keeps_the_contact_time_and_both_notes(svc, db, clock):
    cid = case(db, clock)
    assert_dialog(svc, [(f"已联系 {cid} 约了周三面聊", "联系上了")], as_=HR)
    contacted = clock.now()
    clock.advance(days=2)
    (answer,) = assert_dialog(svc, [(f"结案 {cid} 留下 面聊后放心了", ("留下", "🎉"))], as_=HR)
    assert "记为首次联系" not in answer
    esc = fetch(svc, cid)
    assert esc.first_contact_at == contacted and esc.closed_at == clock.now()
    assert esc.outcome_note == "约了周三面聊\n面聊后放心了"


# --- mistakes get a clear answer and change nothing ------------------------------------------------------------------


def test_mistakes(svc, db, clock):
    cid = case(db, clock)
    done = case(db, clock, "liuyang")
    assert_dialog(svc, [(f"结案 {done} 留下", "已结案")], as_=HR)
    clock.advance(hours=1)
    assert_dialog(svc, [
        ("已联系", ("请带上案例编号", "已联系 12")),
        ("已联系 张三", "请带上案例编号"),
        ("结案", ("请写上案例编号和结果", "结案 12 留下")),
        ("已联系 9999", ("没有找到案例 #9999", "跟进")),
        ("结案 9999 留下", "没有找到案例 #9999"),
        (f"结案 {cid}", (f"案例 #{cid} 的结果是什么", f"结案 {cid} 留下")),
        (f"结案 {cid} 再看看", ("没看懂结果「再看看」", "「留下」或「放弃」")),
        (f"结案 {done} 放弃", (f"案例 #{done}（刘洋）已经在 11-23 10:00 结案了", "结果是留下")),
        (f"已联系 {done}", "已经在 11-23 10:00 结案了"),
    ], as_=HR)
    esc = fetch(svc, cid)
    assert esc.first_contact_at is None and esc.closed_at is None and esc.outcome is None
    assert fetch(svc, done).outcome == "stayed"


def test_plain_chat_from_hr_still_gets_the_hr_help(svc):
    (answer,) = assert_dialog(svc, [("已联系候选人了，谢谢", ("王五", "「跟进」", "控制台"))], as_=HR)
    assert "请带上案例编号" not in answer


def test_hr_help_lists_the_commands_from_the_handler_table(svc):
    (answer,) = assert_dialog(svc, [("帮助", ("王五", "控制台"))], as_=HR)
    for line in svc.content.data["help_hr"].values():
        assert line in answer, line


def test_the_commands_are_for_hr_only(svc, db, clock):
    cid = case(db, clock)
    for user in ("zhangsan", "lisi"):  # a candidate, a mentor
        answer = "\n".join(say(svc, user, f"结案 {cid} 放弃"))
        assert "已结案" not in answer
        answer = "\n".join(say(svc, user, f"已联系 {cid}"))
        assert "联系上了" not in answer
    esc = fetch(svc, cid)
    assert esc.closed_at is None and esc.first_contact_at is None
    with Session(svc.engine) as s:
        assert cand(s).status == CandidateStatus.accepted


# --- from the alert to the outcome --------------------------------------------------------------------------------


def test_hr_follows_the_alert_to_the_outcome(svc, fake_api, clock):
    say(svc, "zhangsan", "薪资能否再谈一下？")
    svc.outbox.dispatch()
    markdown = fake_api.sent("wecom", "webhook/send")[0].body["markdown"]["content"]
    cid = int(re.search(r"案例 #(\d+)", markdown).group(1))
    assert f"「已联系 {cid}」" in markdown and f"「结案 {cid} 留下」" in markdown
    clock.advance(minutes=45)
    assert_dialog(svc, [
        ("跟进", f"#{cid} 张三 · 犹豫 · 薪资待遇 · 45 分钟前 · 还没联系"),
        (f"已联系 {cid}", "预警后 45 分钟"),
        (f"结案 {cid} 留下", "已结案"),
        ("跟进", "没有待跟进的案例"),
    ], as_=HR)
    assert fetch(svc, cid).first_contact_at - fetch(svc, cid).opened_at == timedelta(minutes=45)


# --- the parser -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, command", [
    ("跟进", Command(LIST)),
    ("已联系 12", Command(CONTACT, 12)),
    ("已联系１２ 电话聊过，顾虑是薪资", Command(CONTACT, 12, note="电话聊过，顾虑是薪资")),
    ("已联系 abc", Command(CONTACT)),
    ("结案 12 留下", Command(CLOSE, 12, "stayed")),
    ("结案12已放弃，去了别家", Command(CLOSE, 12, "reneged", note="去了别家")),
    ("结案 #3 STAYED", Command(CLOSE, 3, "stayed")),
    ("结案 12 留下了", Command(CLOSE, 12, "stayed")),
    ("结案 12 留下来了", Command(CLOSE, 12, written_outcome="留下来了")),
    ("结案 12", Command(CLOSE, 12)),
    ("结案", Command(CLOSE)),
])
def test_parse(text, command):
    assert parse(text) == command


@pytest.mark.parametrize("text", ["已联系候选人了", "结案报告怎么写", "跟进 12", "帮助", "你好", ""])
def test_not_a_command(text):
    assert parse(text) is None
