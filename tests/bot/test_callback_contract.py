"""One contract for every inbound channel: the GET echo, signatures, replay window, hostile XML, body size,
platform retries, and a text message that gets an answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from models import Message, OutboxItem, OutboxStatus
from tests.support import signing
from tests.support.callbacks import WeChatPlainClient, WeChatSafeClient, WeComClient

FIXTURES = Path(__file__).parent.parent / "fixtures" / "inbound"
USERS = {"wecom": "zhangsan", "wechat_safe": "o_hexin_8Kq2", "wechat_plain": "o_hexin_8Kq2"}


pytestmark = pytest.mark.backends


@pytest.fixture(params=[WeComClient, WeChatSafeClient, WeChatPlainClient], ids=lambda c: c.name)
def channel(request, client, clock, config):
    return request.param(client, clock, config)


@pytest.fixture
def user(channel):
    return USERS[channel.name]


def test_get_echo_answers_the_plain_echostr(channel):
    resp = channel.verify("1616140317555161061")
    assert resp.status_code == 200
    assert resp.get_data(as_text=True) == "1616140317555161061"


def test_get_echo_with_bad_signature_is_403(channel):
    assert channel.verify("123", bad=True).status_code == 403


def test_get_echo_with_old_timestamp_is_403(channel):
    assert channel.verify("123", skew=-301).status_code == 403


def test_text_message_gets_a_passive_answer(channel, user):
    sent = channel.post_text(user, "还有几天培训")
    assert sent.status == 200
    assert sent.reply is not None and "21 天" in sent.reply


def test_bad_signature_is_403_and_nothing_is_handled(channel, user, db):
    sent = channel.post_text(user, "帮助", bad=True)
    assert sent.status == 403
    assert db.exec(select(Message)).all() == []


@pytest.mark.parametrize("skew", [-301, -3600, 400])
def test_replayed_or_future_timestamp_is_403(channel, user, skew, db):
    assert channel.post_text(user, "帮助", skew=skew).status == 403
    assert db.exec(select(Message)).all() == []


def test_timestamp_inside_the_window_is_accepted(channel, user):
    assert channel.post_text(user, "帮助", skew=-299).status == 200


@pytest.mark.parametrize("fixture", ["xxe.xml", "billion_laughs.xml"])
def test_doctype_and_entities_are_rejected_with_400(channel, fixture):
    assert channel.post_unparsed((FIXTURES / fixture).read_bytes()).status == 400


def test_malformed_xml_is_400(channel):
    assert channel.post_unparsed(b"<xml><Encrypt>oops</xml").status == 400


def test_body_over_64kb_is_413(channel, user):
    assert channel.post_text(user, "好" * 30000).status == 413  # 90 KB of UTF-8 before encryption


def test_same_msgid_three_times_is_handled_once_with_one_reply(channel, user, db):
    answers = [channel.post_text(user, "帮助", msg_id="777") for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 200]
    assert sum(a.reply is not None for a in answers) == 1
    assert [a.body for a in answers[1:]] == ["success", "success"]
    inbound = db.exec(select(Message).where(Message.direction == "in")).all()
    assert len(inbound) == 1
    assert len(db.exec(select(OutboxItem)).all()) == 1


def test_unknown_sender_gets_a_polite_not_registered_reply(channel):
    sent = channel.post_text("someone_new", "你好")
    assert sent.status == 200
    assert "HR" in sent.reply


def test_event_without_msgid_is_deduped_by_hash(channel, user, db):
    xml = signing.event_xml(to=channel.receiver, sender=user, event="subscribe",
                            create_time=int(channel.clock.now().timestamp()), agent_id=channel.agent_id)
    assert channel.post_xml(xml).status == 200
    assert channel.post_xml(xml).status == 200
    assert len(db.exec(select(Message).where(Message.direction == "in")).all()) == 1


def test_passive_reply_is_recorded_as_sent_through_the_outbox(channel, user, db):
    channel.post_text(user, "帮助")
    item = db.exec(select(OutboxItem)).one()
    assert item.status == OutboxStatus.sent
    assert db.exec(select(Message).where(Message.direction == "out")).one().text == item.text


def test_wrong_receiver_id_is_403(client, clock, config):
    wecom = WeComClient(client, clock, config)
    assert wecom.post_text("zhangsan", "帮助", receiver="ww_someone_else").status == 403


def test_hostile_xml_inside_the_encrypted_body_is_400(client, clock, config, db):
    wecom = WeComClient(client, clock, config)
    inner = '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x "boom">]><xml><MsgType>text</MsgType><Content>&x;</Content></xml>'
    assert wecom.post_xml(inner).status == 400
    assert db.exec(select(Message)).all() == []
