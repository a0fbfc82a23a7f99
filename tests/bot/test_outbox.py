"""The outbox against the fake platform: dedupe, retries with backoff, permanent errors, token refetch, rate
limits, splitting, crash recovery, and two dispatchers never sending the same row twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.outbox import MAX_ATTEMPTS, Outbox, split_text
from bot.robot import robot_recipient
from models import Candidate, Category, Channel, Message, OutboxItem, OutboxStatus
from tests.conftest import ROBOT_WEBHOOK

pytestmark = pytest.mark.backends


def queue(svc, text="你好", key="k1", channel=Channel.wecom, recipient="zhangsan", category=Category.reply, **kw):
    with Session(svc.engine) as db:
        items = svc.outbox.enqueue(db, channel=channel, recipient=recipient, text=text, dedupe_key=key,
                                   category=category, **kw)
        db.commit()
        return [i.id for i in items]


def row(svc, key="k1") -> OutboxItem:
    with Session(svc.engine) as db:
        return db.exec(select(OutboxItem).where(OutboxItem.dedupe_key == key)).one()


# --- splitting ----------------------------------------------------------------------------------------------


def test_short_text_is_one_part():
    assert split_text("你好。") == ["你好。"]


def test_long_text_splits_on_sentence_boundaries_under_the_byte_limit():
    sentence = "这是一个用于测试的完整句子，长度适中。"  # 57 bytes
    text = sentence * 100
    parts = split_text(text, limit=2048)
    assert len(parts) > 1
    assert all(len(p.encode()) <= 2048 for p in parts)
    assert all(p.endswith("。") for p in parts)
    assert "".join(parts) == text


def test_a_single_sentence_longer_than_the_limit_is_cut_without_breaking_characters():
    parts = split_text("长" * 1000, limit=2048)  # 3000 bytes, no boundary
    assert [len(p.encode()) for p in parts] == [2046, 954]
    assert "".join(parts) == "长" * 1000


def test_long_message_is_queued_as_ordered_parts(svc, fake_api):
    ids = queue(svc, text="第一句话很长很长。" * 200)
    assert len(ids) >= 2
    svc.outbox.dispatch()
    sent = [r.text for r in fake_api.sent("wecom", "message/send")]
    assert "".join(sent) == "第一句话很长很长。" * 200


# --- dedupe -------------------------------------------------------------------------------------------------


def test_same_dedupe_key_twice_sends_once(svc, fake_api):
    assert queue(svc, key="weekly_task:1:1")
    assert queue(svc, key="weekly_task:1:1") == []
    svc.outbox.dispatch()
    svc.outbox.dispatch()
    assert len(fake_api.sent("wecom", "message/send")) == 1


def test_sent_message_is_recorded_with_the_platform_answer(svc, fake_api, db):
    queue(svc, text="欢迎加入！")
    stats = svc.outbox.dispatch()
    assert stats.sent == 1
    item = row(svc)
    assert item.status == OutboxStatus.sent and item.platform_msg_id == "fake-msgid-1"
    body = fake_api.sent("wecom", "message/send")[0].body
    assert body == {"touser": "zhangsan", "agentid": 1000002, "safe": 0, "msgtype": "text", "text": {"content": "欢迎加入！"}}
    assert db.exec(select(Message).where(Message.direction == "out")).one().text == "欢迎加入！"


def test_nothing_is_sent_before_due_at(svc, fake_api, clock):
    queue(svc, due_at=clock.now() + timedelta(minutes=10))
    assert svc.outbox.dispatch().total == 0
    clock.advance(minutes=10)
    assert svc.outbox.dispatch().sent == 1


# --- errors and retries -------------------------------------------------------------------------------------


def test_rate_limit_45009_is_retried_with_backoff(svc, fake_api, clock):
    fake_api.fail_once("wecom", "message/send", 45009)
    queue(svc)
    stats = svc.outbox.dispatch()
    assert stats.retried == 1
    item = row(svc)
    assert item.status == OutboxStatus.pending and item.reason == "retry:45009"
    assert item.due_at == clock.now() + timedelta(seconds=10)
    assert svc.outbox.dispatch().total == 0  # not before the backoff
    clock.advance(seconds=10)
    assert svc.outbox.dispatch().sent == 1
    assert len(fake_api.sent("wecom", "message/send")) == 2


def test_network_error_is_retried_and_backoff_grows(svc, fake_api, clock):
    queue(svc)
    delays = []
    for _ in range(3):
        fake_api.drop_once("wecom", "message/send")
        before = clock.now()
        svc.outbox.dispatch()
        delays.append(row(svc).due_at - before)
        clock.set(row(svc).due_at)
    assert delays == [timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=40)]
    assert svc.outbox.dispatch().sent == 1


def test_retries_stop_after_max_attempts(svc, fake_api, clock):
    queue(svc)
    for _ in range(MAX_ATTEMPTS):
        fake_api.drop_once("wecom", "message/send")
        svc.outbox.dispatch()
        clock.advance(hours=2)
    item = row(svc)
    assert item.status == OutboxStatus.failed and item.attempts == MAX_ATTEMPTS


def test_permanent_error_is_never_retried(svc, fake_api, clock):
    fake_api.fail_once("wecom", "message/send", 60020, "not allow to access from your ip")
    queue(svc)
    assert svc.outbox.dispatch().failed == 1
    clock.advance(hours=5)
    assert svc.outbox.dispatch().total == 0
    item = row(svc)
    assert item.status == OutboxStatus.failed and item.reason == "error:60020"
    assert "60020" in item.last_error
    assert len(fake_api.sent("wecom", "message/send")) == 1


@pytest.mark.parametrize("code", [40014, 42001, 40001])
def test_invalid_token_is_refetched_once_and_the_call_repeated(svc, fake_api, code):
    queue(svc)
    fake_api.fail_once("wecom", "message/send", code)
    assert svc.outbox.dispatch().sent == 1
    assert len(fake_api.sent("wecom", "gettoken")) == 2
    calls = fake_api.sent("wecom", "message/send")
    assert [c.params["access_token"] for c in calls] == ["fake-wecom-token-1", "fake-wecom-token-2"]


def test_token_is_reused_across_sends(svc, fake_api):
    queue(svc, key="a")
    queue(svc, key="b")
    svc.outbox.dispatch()
    assert len(fake_api.sent("wecom", "gettoken")) == 1
    assert len(fake_api.sent("wecom", "message/send")) == 2


def test_unconfigured_channel_fails_permanently(app, config, clock, fake_api):
    from app import create_app

    bare = create_app({"TESTING": True, "DATABASE_URL": config["DATABASE_URL"]}, clock=clock).extensions["bot"]
    queue(bare, key="x")
    assert bare.outbox.dispatch().failed == 1
    assert row(bare, "x").reason == "error:channel_not_configured"


# --- rate limits --------------------------------------------------------------------------------------------


def test_wecom_30_per_minute_per_member(svc, fake_api, clock):
    for n in range(31):
        queue(svc, key=f"m{n}")
    stats = svc.outbox.dispatch()
    assert stats.sent == 30 and stats.held == 1
    held = row(svc, "m30")
    assert held.reason == "rate_limit" and held.due_at == clock.now() + timedelta(minutes=1)
    queue(svc, key="other", recipient="liuyang")  # another member is not affected
    assert svc.outbox.dispatch().sent == 1
    clock.advance(minutes=1)
    assert svc.outbox.dispatch().sent == 1


def test_a_full_window_holds_the_rest_of_the_batch_for_that_member_only(svc, fake_api, clock):
    for n in range(34):
        queue(svc, key=f"a{n}")
    queue(svc, key="b", recipient="liuyang")  # claimed after a member whose window is already full
    stats = svc.outbox.dispatch()
    assert stats.sent == 31 and stats.held == 4
    assert row(svc, "b").status == OutboxStatus.sent
    for key in ("a30", "a33"):
        held = row(svc, key)
        assert (held.status, held.reason, held.claimed_by) == (OutboxStatus.pending, "rate_limit", None)
        assert held.due_at == clock.now() + timedelta(minutes=1)
    assert svc.outbox.dispatch().total == 0  # nothing is due before the window frees
    clock.advance(minutes=1)
    assert svc.outbox.dispatch().sent == 4


def test_wecom_1000_per_hour_per_member(svc, fake_api, clock):
    for n in range(1001):
        queue(svc, key=f"h{n}")
    for _ in range(40):  # 30 a minute for 40 minutes
        svc.outbox.dispatch(limit=2000)
        clock.advance(minutes=1)
    assert len(fake_api.sent("wecom", "message/send")) == 1000
    assert row(svc, "h1000").status == OutboxStatus.pending


def test_robot_20_per_minute_per_key(svc, fake_api, clock):
    recipient = robot_recipient(ROBOT_WEBHOOK)
    for n in range(25):
        queue(svc, key=f"r{n}", channel=Channel.robot, recipient=recipient, category=Category.alert,
              kind="markdown", text=f"**预警** {n}")
    assert svc.outbox.dispatch().sent == 20
    robot_calls = fake_api.sent("wecom", "webhook/send")
    assert len(robot_calls) == 20
    assert robot_calls[0].body == {"msgtype": "markdown", "markdown": {"content": "**预警** 0"}}
    assert robot_calls[0].params == {"key": "test-robot-key"}
    clock.advance(minutes=1)
    assert svc.outbox.dispatch().sent == 5


def test_robot_failure_keeps_the_alert_until_it_goes_out(svc, fake_api, clock):
    recipient = robot_recipient(ROBOT_WEBHOOK)
    fake_api.fail_once("wecom", "webhook/send", 45009)
    fake_api.drop_once("wecom", "webhook/send")
    queue(svc, key="alert", channel=Channel.robot, recipient=recipient, category=Category.alert, kind="markdown")
    for _ in range(3):
        svc.outbox.dispatch()
        clock.advance(minutes=1)
    assert row(svc, "alert").status == OutboxStatus.sent


# --- crash recovery and concurrency -------------------------------------------------------------------------


def test_rows_claimed_by_a_dead_dispatcher_are_reclaimed(svc, fake_api, clock):
    queue(svc)
    claimed = svc.outbox._claim()  # a dispatcher claims and dies before sending
    assert len(claimed) == 1 and row(svc).status == OutboxStatus.sending
    assert svc.outbox.dispatch().total == 0
    clock.advance(minutes=6)
    assert svc.outbox.dispatch().sent == 1


def test_two_dispatchers_never_send_the_same_row(svc, fake_api):
    other = Outbox(svc.engine, svc.clock, svc.outbox.senders, svc.policy_settings, owner="second")
    for n in range(10):
        queue(svc, key=f"c{n}")
    first = svc.outbox._claim(limit=6)
    second = other._claim(limit=10)
    assert len(first) == 6 and len(second) == 4
    assert not {i.id for i in first} & {i.id for i in second}


# --- policy at the outbox -----------------------------------------------------------------------------------


def test_proactive_message_in_quiet_hours_is_held_until_morning(svc, fake_api, clock, db):
    clock.advance(hours=13)  # 23:00 Shanghai
    cand = db.exec(select(Candidate).where(Candidate.channel_user_id == "zhangsan")).one()
    queue(svc, key="task", category=Category.task, candidate_id=cand.id)
    stats = svc.outbox.dispatch()
    assert stats.held == 1
    item = row(svc, "task")
    assert item.status == OutboxStatus.held and item.reason == "quiet_hours"
    assert item.due_at.astimezone(clock.tz).strftime("%d %H:%M") == "24 08:00"
    clock.set(item.due_at)
    assert svc.outbox.dispatch().sent == 1


def test_reply_goes_out_even_in_quiet_hours_and_quiet_mode(svc, fake_api, clock, db):
    clock.advance(hours=13)
    cand = db.exec(select(Candidate).where(Candidate.channel_user_id == "zhangsan")).one()
    cand.quiet_mode = True
    db.add(cand)
    db.commit()
    queue(svc, key="r", category=Category.reply, candidate_id=cand.id)
    queue(svc, key="e", category=Category.engagement, candidate_id=cand.id)
    stats = svc.outbox.dispatch()
    assert stats.sent == 1 and stats.suppressed == 1
    assert row(svc, "e").reason == "quiet_mode"


def test_cancel_drops_pending_messages_of_a_candidate(svc, fake_api, db):
    cand = db.exec(select(Candidate).where(Candidate.channel_user_id == "zhangsan")).one()
    queue(svc, key="t1", category=Category.task, candidate_id=cand.id)
    with Session(svc.engine) as s:
        assert svc.outbox.cancel(s, candidate_id=cand.id, reason="reneged") == 1
        s.commit()
    assert svc.outbox.dispatch().total == 0
    assert row(svc, "t1").status == OutboxStatus.cancelled


# --- Official Account ---------------------------------------------------------------------------------------


def test_official_account_sends_customer_service_text(svc, fake_api):
    queue(svc, channel=Channel.wechat, recipient="o_hexin_8Kq2", text="您好")
    assert svc.outbox.dispatch().sent == 1
    call = fake_api.sent("wechat", "message/custom/send")[0]
    assert call.body == {"touser": "o_hexin_8Kq2", "msgtype": "text", "text": {"content": "您好"}}
    assert fake_api.sent("wechat", "token")[0].params["grant_type"] == "client_credential"


def test_official_account_outside_48h_window_is_a_permanent_failure(svc, fake_api):
    fake_api.fail_once("wechat", "message/custom/send", 45015, "response out of time limit")
    queue(svc, channel=Channel.wechat, recipient="o_hexin_8Kq2")
    assert svc.outbox.dispatch().failed == 1
