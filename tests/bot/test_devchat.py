"""The dev chat: the page, its JSON API (people, send, messages with paging), and proactive messages for
channels that are not configured showing up there instead of going nowhere."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

import demo
from app import create_app
from bot.devchat import MAX_TEXT
from models import Candidate, Category, Channel
from scheduler import ticks


def _messages(client, user: str, after: int | None = None) -> list[dict]:
    query = {"user": user} if after is None else {"user": user, "after": after}
    resp = client.get("/dev/chat/api/messages", query_string=query)
    assert resp.status_code == 200
    return resp.get_json()


def _send(client, user: str, text: str):
    return client.post("/dev/chat/api/send", json={"user": user, "text": text})


def test_the_page_is_served(client):
    resp = client.get("/dev/chat")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "<title>Dev chat" in page and "/dev/chat/api/" in page  # absolute API paths (see README)


def test_people_lists_the_demo_people_with_their_roles(client):
    people = {p["id"]: p for p in client.get("/dev/chat/api/people").get_json()}
    assert people["zhangsan"] == {"id": "zhangsan", "name": "张三", "role": "candidate", "status": "accepted"}
    assert people["lisi"] == {"id": "lisi", "name": "李四", "role": "mentor"}
    assert people["wangwu"] == {"id": "wangwu", "name": "王五", "role": "hr"}
    assert people["o_hexin_8Kq2"]["role"] == "candidate"  # Official Account candidates are listed too
    assert len([p for p in people.values() if p["role"] == "candidate"]) == len(demo.CANDIDATES)


def test_send_requires_user_and_text(client):
    bodies = [{}, {"user": "zhangsan"}, {"text": "帮助"}, {"user": "", "text": "帮助"}, {"user": "zhangsan", "text": "   "},
              {"user": "  ", "text": "帮助"}, {"user": "zhangsan", "text": None}]
    for body in bodies:
        resp = client.post("/dev/chat/api/send", json=body)
        assert resp.status_code == 400, body
        assert "required" in resp.get_json()["error"], body
    assert client.post("/dev/chat/api/send", data="user=zhangsan&text=hi").status_code == 400  # not JSON
    assert _messages(client, "zhangsan") == []


def test_send_over_2000_characters_is_413_and_nothing_is_recorded(client):
    assert MAX_TEXT == 2000
    resp = _send(client, "zhangsan", "好" * 2001)
    assert resp.status_code == 413
    assert "2000" in resp.get_json()["error"]
    assert _messages(client, "zhangsan") == []


def test_send_of_exactly_2000_characters_is_accepted(client):
    resp = _send(client, "zhangsan", "好" * 2000)
    assert resp.status_code == 200
    assert resp.get_json()["role"] == "candidate"


def test_a_send_then_messages_shows_the_exchange_in_order(client):
    resp = _send(client, "zhangsan", "帮助")
    assert resp.status_code == 200
    assert resp.get_json() == {"role": "candidate", "replies": 1}
    rows = _messages(client, "zhangsan")
    assert [(m["direction"], m["channel"]) for m in rows] == [("in", "dev"), ("out", "dev")]
    assert rows[0]["text"] == "帮助" and rows[0]["category"] is None
    assert "还有几天培训" in rows[1]["text"] and rows[1]["category"] == "reply"
    assert rows[0]["id"] < rows[1]["id"]
    assert rows[1]["at"] == "11-23 10:00"  # shown in the company's time zone, not UTC


def test_messages_after_pages_to_what_is_new(client, clock):
    _send(client, "zhangsan", "帮助")
    first = _messages(client, "zhangsan")
    last_id = first[-1]["id"]
    assert _messages(client, "zhangsan", after=last_id) == []
    clock.advance(minutes=5)
    _send(client, "zhangsan", "还有几天培训")
    new = _messages(client, "zhangsan", after=last_id)
    assert [m["direction"] for m in new] == ["in", "out"]
    assert new[0]["text"] == "还有几天培训" and "21 天" in new[1]["text"]
    assert new[1]["at"] == "11-23 10:05"
    assert _messages(client, "zhangsan") == first + new
    assert _messages(client, "zhangsan", after=new[0]["id"]) == new[1:]


def test_messages_are_per_person(client):
    _send(client, "zhangsan", "帮助")
    _send(client, "lisi", "帮助")
    lisi, zhangsan = _messages(client, "lisi"), _messages(client, "zhangsan")
    assert [m["direction"] for m in lisi] == ["in", "out"] and "导师" in lisi[1]["text"]
    assert [m["direction"] for m in zhangsan] == ["in", "out"] and "还有几天培训" in zhangsan[1]["text"]
    assert _messages(client, "wangwu") == []


def test_messages_requires_a_user(client):
    assert client.get("/dev/chat/api/messages").status_code == 400


def test_a_stranger_can_chat_and_is_told_to_contact_hr(client):
    resp = _send(client, "nobody", "你好")
    assert resp.get_json() == {"role": "stranger", "replies": 1}
    reply = _messages(client, "nobody")[-1]
    assert reply["direction"] == "out" and "HR" in reply["text"]


# --- proactive messages under `make run`: nothing configured but the dev channel -------------------------------


@pytest.fixture
def dev_only_app(tmp_path, clock, fake_api):
    app = create_app({"TESTING": True, "DEV_CHANNEL": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}"},
                     clock=clock)
    with Session(app.extensions["bot"].engine) as db:
        demo.seed(db, clock)
    yield app
    app.extensions["bot"].engine.dispose()


@pytest.mark.parametrize("user, channel", [("zhangsan", Channel.wecom), ("o_hexin_8Kq2", Channel.wechat)])
def test_proactive_messages_for_an_unconfigured_channel_appear_in_the_dev_chat(dev_only_app, fake_api, user, channel):
    svc = dev_only_app.extensions["bot"]
    assert not svc.clients  # no WeCom / Official Account configured
    with Session(svc.engine) as db:
        cand = db.exec(select(Candidate).where(Candidate.channel_user_id == user)).one()
        assert cand.channel == channel
        svc.outbox.enqueue(db, channel=channel, recipient=user, text="本周任务来啦：写一段自我介绍",
                           dedupe_key=f"weekly_task:{cand.id}:1", category=Category.task, candidate_id=cand.id)
        db.commit()
    info = ticks.dispatch_outbox(svc)
    assert info["active"] is True and info["sent"] == 1 and info["failed"] == 0
    (row,) = _messages(dev_only_app.test_client(), user)
    assert row == {**row, "direction": "out", "text": "本周任务来啦：写一段自我介绍", "category": "task",
                   "channel": channel.value}
    assert fake_api.requests == []  # nothing tried to reach a real platform
