"""Dialog tables for the candidate's side, through the real pipeline, policy and outbox (dev channel)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from engagement import points
from models import (Candidate, CandidateStatus, ConversationState, DeletionRequest, DocumentItem, EngagementEvent,
                    Message, PointsEntry, Redemption, RelayRequest, TaskCompletion)
from tests.support.dialog import assert_dialog, say


pytestmark = pytest.mark.backends


def get(svc, uid="zhangsan") -> Candidate:
    with Session(svc.engine) as db:
        return db.exec(select(Candidate).where(Candidate.channel_user_id == uid)).one()


def update(svc, uid="zhangsan", **fields):
    with Session(svc.engine) as db:
        c = db.exec(select(Candidate).where(Candidate.channel_user_id == uid)).one()
        for k, v in fields.items():
            setattr(c, k, v)
        db.add(c)
        db.commit()


def give_points(svc, amount, uid="zhangsan"):
    with Session(svc.engine) as db:
        points.award(db, get(svc, uid).id, amount, reason="adjustment", source="test", source_key=f"t:{amount}:{uid}",
                     now=svc.clock.now())
        db.commit()


def rows(svc, model, **where):
    with Session(svc.engine) as db:
        q = select(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return list(db.exec(q))


# --- pre-onboarding information ------------------------------------------------------------------------------


def test_information_questions(svc):
    assert_dialog(svc, [
        ("在哪报到呀", ("12月14日", "09:00", "张江路 88 号", "身份证")),
        ("第一天要带什么东西", ("身份证原件", "商务休闲")),
        ("培训安排是怎样的", ("第1天", "欢迎来到星海", "第5天")),
        ("我的导师是谁", ("李四", "高级后端工程师")),
        ("负责我的HR是谁", ("王五", "找HR")),
        ("公司有宿舍吗", "住房补贴"),
        ("上班穿什么衣服", "商务休闲"),
    ], as_="zhangsan")


def test_readiness_lists_what_is_missing_with_deadlines(svc):
    answer = "\n".join(say(svc, "zhangsan", "我的入职材料还差什么"))
    with Session(svc.engine) as db:
        docs = db.exec(select(DocumentItem).where(DocumentItem.candidate_id == get(svc).id)).all()
    missing = [d.name for d in docs if d.received_at is None]
    assert missing and all(name in answer for name in missing)
    assert f"{round(100 * (len(docs) - len(missing)) / len(docs))}%" in answer
    assert "12月11日" in answer  # T-3 deadline of the demo cohort


def test_readiness_when_everything_is_in(svc):
    with Session(svc.engine) as db:
        for d in db.exec(select(DocumentItem).where(DocumentItem.candidate_id == get(svc).id)):
            d.received_at = svc.clock.now()
            db.add(d)
        db.commit()
    assert_dialog(svc, [("材料", "全部交齐")], as_="zhangsan")


def test_cohort_shows_only_consenting_accepted_mates(svc):
    update(svc, "liuyang", consent_at=None)
    answer = "\n".join(say(svc, "zhangsan", "同期都有谁"))
    assert "陈静（产品部）" in answer
    assert "刘洋" not in answer  # no consent recorded
    assert "冯宇" not in answer  # reneged
    assert "赵磊" not in answer  # still only offered
    assert "张三" not in answer


# --- offer, welcome pack, questionnaire ----------------------------------------------------------------------


def test_accepting_sends_the_welcome_pack_and_starts_the_questionnaire(svc):
    answers = say(svc, "zhaolei", "offer我接受了")
    text = "\n".join(answers)
    assert "隐私说明" in answers[0]  # first contact: the consent notice comes first
    assert "欢迎加入星海" in text and "接下来这段时间" in text
    assert "（1/4）" in text
    cand = get(svc, "zhaolei")
    assert cand.status == CandidateStatus.accepted and cand.offer_accepted_at == svc.clock.now()
    assert cand.welcome_sent_at == svc.clock.now() and cand.consent_at == svc.clock.now()
    assert_dialog(svc, [("确认入职", "已经确认过")], as_="zhaolei")


def test_questionnaire_one_question_at_a_time_with_skip_and_profile(svc):
    assert_dialog(svc, [
        ("问卷", ("（1/4）", "1. 参加同期茶话会")),
        ("1", "（2/4）"),
        ("技术 和 数据", "（3/4）"),
        ("跳过", "（4/4）"),
        ("晚上", ("谢谢您", "茶话会", "写给新同学的 Code Review 入门")),
    ], as_="zhangsan")
    cand = get(svc)
    assert cand.profile["social_style"] == "extrovert"
    assert cand.profile["interests"] == ["tech", "data"]
    assert "channel" not in cand.profile
    assert cand.preferred_time == "evening"
    assert rows(svc, ConversationState) == []


def test_questionnaire_interrupted_and_resumed(svc):
    assert_dialog(svc, [
        ("问卷", "（1/4）"),
        ("2", "（2/4）"),
        ("我的导师是谁", "李四"),  # another request: answered, the questionnaire keeps its place
        ("问卷", "（2/4）"),
        ("嗯？", "回复数字"),  # not an answer: asked again, nothing lost
        ("6", "（3/4）"),
    ], as_="zhangsan")
    assert rows(svc, ConversationState)[0].data["answers"] == {"social_style": "introvert", "interests": ["culture"]}


def test_questionnaire_introvert_gets_a_mentor_one_to_one(svc):
    answers = assert_dialog(svc, [("问卷", "（1/4）"), ("一对一", "（2/4）"), ("跳过", "（3/4）"), ("跳过", "（4/4）"),
                                  ("跳过", "一对一")], as_="zhangsan")
    assert "茶话会" not in answers[-1]


def test_welcome_pack_is_planned_for_offers_accepted_elsewhere(svc, fake_api):
    from scheduler.planners import plan_welcome

    update(svc, "zhaolei", status=CandidateStatus.accepted, offer_accepted_at=svc.clock.now())
    assert plan_welcome(svc) == 2
    assert plan_welcome(svc) == 0  # planned once
    svc.outbox.dispatch()
    sent = [r.text for r in fake_api.sent("wecom", "message/send") if r.body["touser"] == "zhaolei"]
    assert len(sent) == 2 and "欢迎加入星海" in sent[0] and "（1/4）" in sent[1]
    assert_dialog(svc, [("2", "（2/4）")], as_="zhaolei")  # the questionnaire was started by the plan


# --- weekly tasks, lessons and points ------------------------------------------------------------------------


def test_weekly_task_reflection_completes_and_shows_the_balance(svc):
    assert_dialog(svc, [
        ("本周任务", ("第1周任务", "看看星海的一天", "100 积分", "learn.example.com")),
        ("不错", "再多写几句"),
        ("视频里那个凌晨修线上问题的故事很打动我，团队氛围真好", ("收到您的感想", "+100 积分", "共有 100 积分")),
        ("本周任务", "已经完成"),
    ], as_="zhangsan")
    assert len(rows(svc, TaskCompletion)) == 1
    assert sum(e.amount for e in rows(svc, PointsEntry)) == 100


def test_week_three_task_relays_a_question_to_the_mentor(svc, clock):
    update(svc, offer_accepted_at=clock.now() - timedelta(days=15))
    assert_dialog(svc, [
        ("这周的任务是什么", "第3周任务"),
        ("团队平时用什么语言写后端？", ("转给导师", "+300 积分")),
    ], as_="zhangsan")
    [relay] = rows(svc, RelayRequest)
    assert relay.target == "mentor" and relay.target_userid == "lisi" and "后端" in relay.question


def test_task_before_acceptance(svc):
    assert_dialog(svc, [("本周任务", "确认 offer 之后")], as_="zhaolei")


def test_lesson_quiz_pass_earns_points_once(svc):
    update(svc, profile={"interests": ["data"]})
    answers = assert_dialog(svc, [
        ("课程", re.compile(r"1\. 用数据说话的第一步")),  # interests first
        ("1", ("用数据说话的第一步", "第1/2题")),
        ("B", ("答对了", "第2/2题")),
        ("a", ("通过啦", "+100 积分")),
        ("课程", "✅已通过"),
        ("1", "第1/2题"),
        ("B", "第2/2题"),
        ("A", "之前已经拿过积分"),
    ], as_="zhangsan")
    assert sum(e.amount for e in rows(svc, PointsEntry)) == 100


def test_lesson_quiz_fail_and_retry(svc):
    update(svc, profile={"interests": ["data"]})
    assert_dialog(svc, [
        ("课程", "用数据说话"),
        ("1", "第1/2题"),
        ("A", ("不对哦", "正确答案是 B")),
        ("C", ("答对 0/2", "重考")),
        ("重考", "第1/2题"),
        ("B", "答对了"),
        ("A", "+100 积分"),
    ], as_="zhangsan")


def test_points_balance_and_history(svc):
    assert_dialog(svc, [("积分", ("0 积分", "本周任务"))], as_="zhangsan")
    give_points(svc, 250)
    assert_dialog(svc, [("我有多少积分", ("250 积分", "+250"))], as_="zhangsan")


# --- redemption ----------------------------------------------------------------------------------------------


def test_redeem_with_mail_delivery(svc):
    give_points(svc, 320)
    assert_dialog(svc, [
        ("兑换", ("您有 320 积分", "1. 星海定制马克杯 · 100 积分", "还差")),
        ("4", ("星海卫衣", "剩 20 积分")),
        ("确认", ("1. 邮寄到家", "2. 入职第一天现场领取")),
        ("邮寄", "收件地址"),
        ("上海", "不太完整"),
        ("上海市徐汇区漕溪北路 100 号 张三 13900000000", ("兑换成功", "剩余 20 积分")),
        ("确认", "已经确认过"),  # a repeated confirmation after the flow ended redeems nothing
    ], as_="zhangsan")
    [r] = rows(svc, Redemption)
    assert (r.gift_key, r.delivery, r.points) == ("hoodie", "mail", 300) and "漕溪北路" in r.address
    assert points.balance(Session(svc.engine), get(svc).id) == 20


def test_redeem_pickup_only_gift_needs_no_address(svc):
    give_points(svc, 200)
    assert_dialog(svc, [("兑换", "桌面绿植"), ("桌面绿植", "确认用 200 积分"), ("确认", ("兑换成功", "入职第一天在前台领取"))],
                  as_="zhangsan")


def test_redeem_with_insufficient_points(svc):
    give_points(svc, 50)
    assert_dialog(svc, [("兑换", "50 积分"), ("1", ("需要 100 积分", "还差 50"))], as_="zhangsan")
    assert rows(svc, Redemption) == []


def test_redeem_can_be_cancelled_at_any_step(svc):
    give_points(svc, 500)
    assert_dialog(svc, [("兑换", "回复数字"), ("2", "确认用 150 积分"), ("取消", "已取消")], as_="zhangsan")
    assert rows(svc, Redemption) == [] and points.balance(Session(svc.engine), get(svc).id) == 500


def test_balance_never_goes_negative_even_if_points_were_spent_meanwhile(svc):
    give_points(svc, 100)
    assert_dialog(svc, [("兑换", "100 积分"), ("1", "确认用 100 积分")], as_="zhangsan")
    with Session(svc.engine) as db:  # spent elsewhere between the confirmation question and the answer
        points.spend(db, get(svc).id, 60, reason="adjustment", source="test", source_key="elsewhere", now=svc.clock.now())
        db.commit()
    assert_dialog(svc, [("确认", "1. 邮寄到家"), ("2", "还差 60")], as_="zhangsan")
    assert rows(svc, Redemption) == []


# --- quiet mode and control ----------------------------------------------------------------------------------


def test_quiet_mode_on_and_off(svc):
    assert_dialog(svc, [("别老给我发消息了", ("安静模式", "材料提醒", "恢复提醒"))], as_="zhangsan")
    assert get(svc).quiet_mode is True
    assert_dialog(svc, [("恢复提醒", "已恢复提醒")], as_="zhangsan")
    assert get(svc).quiet_mode is False


def test_unsubscribe_and_the_way_back(svc):
    assert_dialog(svc, [("退订", ("已退订", "恢复提醒"))], as_="zhangsan")
    assert get(svc).opted_out is True
    assert_dialog(svc, [("恢复提醒", "欢迎回来")], as_="zhangsan")
    assert get(svc).opted_out is False


def test_preferences_in_chat(svc):
    assert_dialog(svc, [("以后晚上再发消息给我吧", "晚上")], as_="zhangsan")
    assert get(svc).preferred_time == "evening"
    assert_dialog(svc, [("以后用企业微信联系我", "企业微信")], as_="zhangsan")
    assert get(svc).channel_pref == "wecom"


# --- privacy -------------------------------------------------------------------------------------------------


def test_first_contact_consent_notice_only_once(svc):
    first = say(svc, "zhaolei", "你好")
    assert "隐私说明" in first[0] and "https://xinghai.example.com/privacy" in first[0]
    assert not any("隐私说明" in t for t in say(svc, "zhaolei", "你好"))


def test_my_data_shows_what_is_stored(svc):
    answer = "\n".join(say(svc, "zhangsan", "我的数据"))
    for part in ("张三", "后端开发工程师", "研发中心", "2026 冬季新人营", "已接受", "聊天记录"):
        assert part in answer, part


def test_deletion_request_after_confirmation(svc):
    assert_dialog(svc, [("删除我的数据", "确认要删除"), ("算了", "没有删除")], as_="zhangsan")
    assert rows(svc, DeletionRequest) == []
    assert_dialog(svc, [("删除我的数据", "确认要删除"), ("确认", "删除申请已提交")], as_="zhangsan")
    assert_dialog(svc, [("删除我的数据", "确认要删除"), ("确认", "删除申请已提交")], as_="zhangsan")
    [req] = rows(svc, DeletionRequest)
    assert req.status == "pending" and req.candidate_name == "张三"


# --- talking to people ---------------------------------------------------------------------------------------


def test_ask_mentor_with_the_question_inline(svc):
    assert_dialog(svc, [("我想问导师，第一天需要带电脑吗", ("转给导师", "李四", "24 小时"))], as_="zhangsan")
    [r] = rows(svc, RelayRequest)
    assert r.question == "第一天需要带电脑吗" and r.target_userid == "lisi"


def test_ask_hr_asks_what_it_is_about(svc):
    assert_dialog(svc, [("找HR", "是什么事"), ("体检报告上传不了", ("转给 HR", "王五"))], as_="zhangsan")
    [r] = rows(svc, RelayRequest)
    assert (r.target, r.target_userid, r.question) == ("hr", "wangwu", "体检报告上传不了")


# --- records and signals -------------------------------------------------------------------------------------


def test_every_message_is_stored_and_engagement_signals_recorded(svc, fake_api, clock):
    from scheduler.planners import queue_for
    from handlers.reply import Reply
    from models import Category

    with Session(svc.engine) as db:
        queue_for(svc, db, get(svc), [Reply(text="本周任务来啦")], "push", Category.task)
        db.commit()
    svc.outbox.dispatch()
    clock.advance(minutes=30)
    say(svc, "zhangsan", "好的收到")
    with Session(svc.engine) as db:
        msgs = db.exec(select(Message).where(Message.user_id == "zhangsan").order_by(Message.id)).all()
        events = db.exec(select(EngagementEvent).order_by(EngagementEvent.id)).all()
    assert [m.direction.value for m in msgs] == ["out", "in", "out"]
    assert [(e.kind, e.value) for e in events] == [("inbound", None), ("reply", 1800.0)]
    assert get(svc).last_inbound_at == clock.now()


def test_ambiguous_message_gets_a_clarifying_question(svc, monkeypatch):
    from nlp.intents import Intent, IntentResult

    svc.pipeline.classify = lambda text: (IntentResult(Intent.POINTS, 0.3, (Intent.POINTS, Intent.REDEEM))
                                          if text == "积分那个" else IntentResult(Intent.UNKNOWN, 0.0))
    assert_dialog(svc, [("积分那个", ("1. 查积分", "2. 用积分兑换礼品")), ("2", "可以兑换")], as_="zhangsan")
