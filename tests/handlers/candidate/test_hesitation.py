"""Hesitation in free chat: the warm answer, the HR alert through the fake group robot, dedupe, context."""

from __future__ import annotations

import pytest

from datetime import timedelta

from sqlmodel import Session, select

from engagement.escalations import combine_with_context
from handlers.candidate.hesitation import request_part
from models import Candidate, CandidateStatus, ConversationState, Escalation, Message, OutboxItem, OutboxStatus
from nlp.intents import Intent, classify
from tests.support.dialog import assert_dialog, say


pytestmark = pytest.mark.backends


def cand(db, uid="zhangsan") -> Candidate:
    return db.exec(select(Candidate).where(Candidate.channel_user_id == uid)).one()


def escalations(svc) -> list[Escalation]:
    with Session(svc.engine) as db:
        return list(db.exec(select(Escalation).order_by(Escalation.id)))


def test_hesitation_gets_a_warm_answer_and_hr_an_alert(svc, fake_api):
    answer = "\n".join(say(svc, "zhangsan", "我再考虑一下吧"))
    assert "HR" in answer and "没太看懂" not in answer  # answered warmly, not with the fallback
    [esc] = escalations(svc)
    assert (esc.level, esc.reason) == ("hesitation", "undecided")
    svc.outbox.dispatch()
    [call] = fake_api.sent("wecom", "webhook/send")
    markdown = call.body["markdown"]["content"]
    for part in ("张三", "犹豫", "还没想好", "我再考虑一下吧", "<@wangwu>", "2026 冬季新人营", f"（案例 #{esc.id}）",
                 f"「已联系 {esc.id}」", f"「结案 {esc.id} 留下」"):
        assert part in markdown, part
    assert len(markdown.encode()) <= 4096


def test_salary_alert_carries_the_salary_playbook(svc, fake_api):
    say(svc, "zhangsan", "薪资能否再谈一下？")
    svc.outbox.dispatch()
    markdown = fake_api.sent("wecom", "webhook/send")[0].body["markdown"]["content"]
    playbook = svc.content.playbooks["salary"]
    assert "薪资待遇" in markdown and playbook["title"] in markdown


def test_one_alert_per_candidate_per_reason_per_day(svc, fake_api, clock):
    say(svc, "zhangsan", "我再考虑一下吧")
    say(svc, "zhangsan", "还是想再考虑考虑")
    assert len(escalations(svc)) == 1
    clock.advance(days=1)
    say(svc, "zhangsan", "我再考虑一下吧")
    assert len(escalations(svc)) == 2


def test_withdrawal_always_alerts(svc, fake_api):
    say(svc, "zhangsan", "不好意思，我决定不去了")
    say(svc, "zhangsan", "真的不去了，抱歉")
    assert [e.level for e in escalations(svc)] == ["withdrawal", "withdrawal"]
    svc.outbox.dispatch()
    assert len(fake_api.sent("wecom", "webhook/send")) == 2


def test_ordinary_messages_raise_nothing(svc, fake_api, db):
    for text in ("培训几号开始", "谢谢！", "导师是谁呀", "好期待入职"):
        say(svc, "zhangsan", text)
    assert escalations(svc) == []
    assert db.exec(select(OutboxItem).where(OutboxItem.channel == "robot")).all() == []
    levels = {m.signal_level for m in db.exec(select(Message).where(Message.direction == "in"))}
    assert levels == {"none"}


def test_alert_is_not_lost_when_the_robot_fails(svc, fake_api, clock):
    fake_api.fail_once("wecom", "webhook/send", 45009)
    fake_api.drop_once("wecom", "webhook/send")
    say(svc, "zhangsan", "另一家给的多，我在犹豫要不要去你们那")
    for _ in range(3):
        svc.outbox.dispatch()
        clock.advance(minutes=2)
    with Session(svc.engine) as db:
        alert = db.exec(select(OutboxItem).where(OutboxItem.channel == "robot")).one()
    assert alert.status == OutboxStatus.sent and alert.attempts == 3


def test_without_a_robot_the_case_is_still_opened(app, config, clock, fake_api):
    from app import create_app

    bare = create_app({**config, "HR_ROBOT_WEBHOOK": None}, clock=clock).extensions["bot"]
    say(bare, "zhangsan", "我再考虑一下吧")
    assert len(escalations(bare)) == 1
    with Session(bare.engine) as db:
        assert db.exec(select(OutboxItem).where(OutboxItem.channel == "robot")).all() == []


def test_two_weak_signals_in_one_conversation_make_a_hesitation():
    earlier = Message(direction="in", channel="dev", user_id="u", text="公积金按什么交", signal_level="concern",
                      signal_reason="salary")
    assert combine_with_context("concern", "salary", 0.4, [earlier])[:2] == ("hesitation", "salary")
    assert combine_with_context("concern", "salary", 0.4, []) == ("concern", "salary", 0.4, False)
    assert combine_with_context("hesitation", "family", 0.9, [earlier]) == ("hesitation", "family", 0.9, False)


def test_context_escalation_through_the_pipeline(svc, fake_api, db, clock):
    c = cand(db)
    db.add(Message(direction="in", channel="dev", user_id="zhangsan", candidate_id=c.id, text="工资是税前还是税后",
                   signal_level="concern", signal_reason="salary", created_at=clock.now() - timedelta(hours=2)))
    db.commit()
    say(svc, "zhangsan", "听说你们那边加班特别多，是真的吗")
    [esc] = escalations(svc)
    assert esc.level == "hesitation"


# --- the warm reply is the answer; routing adds only what else the message asks (Pipeline.alongside_alert) ------


def warm(svc, esc: Escalation, name: str = "张三") -> str:
    return svc.content.render("hesitation_reply", level=esc.level, reason=esc.reason, name=name)


def test_withdrawal_after_accepting_gets_only_the_warm_reply_and_hr_the_alert(svc, fake_api, db):
    text = "这个offer我决定放弃了"
    assert classify(text).intent == Intent.ACCEPT_OFFER  # alone it would get "您之前已经确认过 offer 啦"
    (answer,) = assert_dialog(svc, [(text, "尊重您的选择")], as_="zhangsan")
    [esc] = escalations(svc)
    assert esc.level == "withdrawal" and answer == warm(svc, esc)
    assert cand(db).status == CandidateStatus.accepted  # the offer is HR's to talk about, not the bot's to change
    svc.outbox.dispatch()
    [call] = fake_api.sent("wecom", "webhook/send")
    assert "明确放弃" in call.body["markdown"]["content"] and text in call.body["markdown"]["content"]


def test_an_offered_candidate_wavering_about_the_offer_is_not_taken_as_accepting(svc, db):
    replies = say(svc, "zhaolei", "offer我先不接，再考虑考虑")
    [esc] = escalations(svc)
    assert "隐私说明" in replies[0]  # first contact: the consent notice, then only the warm reply
    assert replies[1:] == [warm(svc, esc, name="赵磊")]
    assert (cand(db, "zhaolei").status, cand(db, "zhaolei").welcome_sent_at) == (CandidateStatus.offered, None)


def test_an_offered_candidate_who_accepted_another_offer_is_not_taken_as_accepting_ours(svc, db):
    text = "我接受了别家的offer"
    assert classify(text).intent == Intent.ACCEPT_OFFER  # "接受…offer": alone it would confirm our offer
    replies = say(svc, "zhaolei", text)
    [esc] = escalations(svc)
    assert (esc.level, esc.reason) == ("withdrawal", "competing_offer")
    assert replies[1:] == [warm(svc, esc, name="赵磊")]
    assert (cand(db, "zhaolei").status, cand(db, "zhaolei").welcome_sent_at) == (CandidateStatus.offered, None)


def test_at_a_named_employer_its_own_name_is_our_offer(app, config, clock, fake_api):
    from app import create_app

    named = create_app({**config, "EMPLOYER_NAMES": "腾讯, 腾讯科技"}, clock=clock).extensions["bot"]
    say(named, "zhaolei", "我接受了腾讯的offer")
    assert escalations(named) == []
    with Session(named.engine) as db:
        assert cand(db, "zhaolei").status == CandidateStatus.accepted
    say(named, "zhangsan", "我接受了京东的offer")  # another named employer is still a withdrawal
    assert [(e.level, e.reason) for e in escalations(named)] == [("withdrawal", "competing_offer")]


def test_a_hesitation_the_classifier_finds_ambiguous_gets_no_clarifying_question(svc, db):
    text = "让我再斟酌斟酌吧"
    assert classify(text).ambiguous, "pick a sentence the intent classifier is torn about"
    (answer,) = assert_dialog(svc, [(text, "HR")], as_="zhangsan")
    [esc] = escalations(svc)
    assert esc.level == "hesitation" and answer == warm(svc, esc)
    assert db.exec(select(ConversationState)).all() == []  # no clarifying choice waiting for "1" or "2" either


@pytest.mark.parametrize("text", ["帮我开一下安静模式，我已经决定不去了", "安静模式吧，我已经决定不来了",
                                  "安静模式吧我已经决定不来了"])
def test_quiet_mode_asked_for_while_withdrawing_is_switched_on_and_answered_warmly(svc, db, text):
    (answer,) = assert_dialog(svc, [(text, ("已开启安静模式", "尊重您的选择"))], as_="zhangsan")
    [esc] = escalations(svc)
    assert answer == svc.content.render("quiet_on") + "\n" + warm(svc, esc)
    assert cand(db).quiet_mode is True


@pytest.mark.parametrize("text, rest", [
    ("静默模式吧，我不打算去了", "静默模式吧"),
    ("静默模式吧我不打算去了", "静默模式吧"),  # no punctuation: the words before the cue
    ("材料还差什么呀我在考虑要不要去", "材料还差什么呀"),
    ("我真的不打算去了", ""),  # the wavering is all there is
    ("我决定不去了", ""),
    ("另一家也给了offer我在纠结", ""),  # the words before the cue waver too
    ("这个offer我决定放弃了", ""),  # "这个" points at the cue's object
    ("静默模式吧这个offer我决定放弃了", "静默模式吧"),
    ("我再想想，还是算了吧", ""),
])
def test_request_part_is_what_the_message_asks_besides_wavering(text, rest):
    assert request_part(text) == rest


def test_a_question_asked_while_wavering_is_answered_too(svc):
    (answer,) = assert_dialog(svc, [("我的导师是谁？我还没想好去不去", ("李四", "HR"))], as_="zhangsan")
    [esc] = escalations(svc)
    assert answer.endswith(warm(svc, esc)) and "想确认一下" not in answer


def test_a_concern_gets_its_normal_answer_and_no_alert(svc, db):
    (answer,) = assert_dialog(svc, [("周末一般需要加班吗", "周末双休")], as_="zhangsan")
    assert escalations(svc) == [] and "HR 来跟您" not in answer
    levels = [m.signal_level for m in db.exec(select(Message).where(Message.direction == "in"))]
    assert levels == ["concern"]


def test_a_concern_the_conversation_turns_into_a_hesitation_keeps_its_answer(svc, db, clock):
    db.add(Message(direction="in", channel="dev", user_id="zhangsan", candidate_id=cand(db).id, text="试用期工资打几折",
                   signal_level="concern", signal_reason="salary", created_at=clock.now() - timedelta(hours=1)))
    db.commit()
    (answer,) = assert_dialog(svc, [("平时加班多不多", "周末双休")], as_="zhangsan")
    [esc] = escalations(svc)
    assert esc.level == "hesitation" and answer.endswith(warm(svc, esc))


def test_inside_the_questionnaire_an_answer_still_counts_and_mere_wavering_keeps_its_place(svc, db):
    answers = assert_dialog(svc, [
        ("问卷", "（1/4）"),
        ("我现在有点纠结要不要去", "HR"),  # not an answer: the warm reply only, the question waits
        ("一对一吧，不过说实话我还没想好去不去", ("（2/4）", "HR")),  # an answer: taken, and the warm reply
    ], as_="zhangsan")
    assert "（1/4）" not in answers[1] and "回复数字" not in answers[1]
    [state] = db.exec(select(ConversationState)).all()
    assert (state.flow, state.state, state.data["answers"]) == ("questionnaire", "1", {"social_style": "introvert"})
