"""Conversations as dialog tables, through the real pipeline, outbox and dev sender, with the frozen clock.

The demo company is seeded on Monday 2026-11-23 10:00 (Shanghai); its cohort trains 21 days later, on Monday
2026-12-14.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from models import Candidate, CandidateStatus, Channel, Direction, Message
from tests.support.dialog import assert_dialog, say

HELP_LINES = yaml.safe_load((Path(__file__).parents[2] / "content" / "help.yaml").read_text(encoding="utf-8"))
TRAINING = ("21 天", "12月14日")


def test_help_for_a_candidate_lists_every_help_line(svc):
    (answer,) = assert_dialog(svc, [("帮助", ("张三", "还有几天培训"))], as_="zhangsan")
    missing = [f"{key}: {line}" for key, line in HELP_LINES.items() if line not in answer]
    assert not missing, "help lines not in the 帮助 reply:\n  " + "\n  ".join(missing) + f"\nreply:\n{answer}"


def test_help_for_a_candidate_does_not_show_the_staff_help(svc):
    (answer,) = assert_dialog(svc, [("帮助", "入职小助手")], as_="zhangsan")
    assert "控制台" not in answer and "您是新同学的导师" not in answer


@pytest.mark.parametrize(
    "user, expected",
    [
        ("lisi", ("李四", "导师", "转")),
        ("wangwu", ("王五", "控制台", "/dashboard/")),
    ],
    ids=["mentor", "hr"],
)
def test_help_for_staff_is_their_own(svc, user, expected):
    (answer,) = assert_dialog(svc, [("帮助", expected)], as_=user)
    assert "还有几天培训" not in answer  # the candidate's list is not theirs


def test_days_until_training_in_several_phrasings(svc):
    assert_dialog(
        svc,
        [
            ("还有几天培训", TRAINING),
            ("还有多少天入职", TRAINING),
            ("培训几号开始", TRAINING),
            ("哪天报到", TRAINING),
            ("离培训还有几天呀？", TRAINING),
        ],
        as_="zhangsan",
    )


def test_days_until_training_names_time_and_place(svc):
    assert_dialog(svc, [("还有几天培训", ("21 天", "12月14日（周一）", "09:00", "张江路 88 号"))], as_="zhangsan")


def test_the_count_goes_down_as_days_pass(svc, clock):
    clock.advance(days=1)
    assert_dialog(svc, [("还有几天培训", ("20 天", "12月14日"))], as_="zhangsan")


def test_on_the_training_day_it_is_today(svc, clock):
    clock.advance(days=21)
    (answer,) = assert_dialog(svc, [("还有几天培训", ("今天", "09:00"))], as_="zhangsan")
    assert not re.search(r"\d+ 天", answer)


def test_after_the_training_started(svc, clock):
    clock.advance(days=22)
    (answer,) = assert_dialog(svc, [("还有几天培训", ("已经", "12月14日", "开始"))], as_="zhangsan")
    assert "今天" not in answer and "-1" not in answer


def test_late_evening_in_shanghai_still_counts_shanghai_days(svc, clock):
    # 23:30 in Shanghai is 15:30 UTC the same day: the count must follow the local calendar.
    clock.advance(hours=13, minutes=30)
    assert_dialog(svc, [("还有几天培训", "21 天")], as_="zhangsan")
    clock.advance(hours=1)  # 00:30 the next day in Shanghai, still the 23rd in UTC
    assert_dialog(svc, [("还有几天培训", "20 天")], as_="zhangsan")


def test_a_candidate_without_cohort_or_start_date(svc, db, clock):
    db.add(Candidate(name="李雷", channel=Channel.wecom, channel_user_id="lilei", status=CandidateStatus.accepted,
                     offer_accepted_at=clock.now(), consent_at=clock.now()))
    db.commit()
    expected = svc.content.render("no_training_date")
    (answer,) = assert_dialog(svc, [("还有几天培训", "还在确定中")], as_="lilei")
    assert answer == expected


def test_a_start_date_without_cohort_counts_to_the_start_date(svc, db, clock):
    db.add(Candidate(name="韩梅梅", channel=Channel.wecom, channel_user_id="hanmeimei", status=CandidateStatus.accepted,
                     start_date=date(2026, 12, 3), consent_at=clock.now()))
    db.commit()
    assert_dialog(svc, [("还有几天培训", ("10 天", "12月3日"))], as_="hanmeimei")


def test_a_first_contact_gets_the_consent_notice_then_the_answer(svc):
    replies = say(svc, "zhaolei", "还有几天培训")  # offered, never wrote before: no consent recorded yet
    assert len(replies) == 2, replies
    assert "21 天" not in replies[0] and "21 天" in replies[1]


def test_an_unknown_user_is_told_to_contact_hr(svc):
    (answer,) = assert_dialog(svc, [("还有几天培训", ("没在系统里找到", "HR"))], as_="nobody")
    assert "21 天" not in answer  # nothing about the demo company leaks to a stranger


def test_help_from_a_stranger_is_the_not_registered_text(svc):
    (answer,) = assert_dialog(svc, [("帮助", ("没在系统里找到", "HR"))], as_="nobody")
    assert "还有几天培训" not in answer


def test_gibberish_gets_the_fallback_pointing_to_help(svc):
    fallback = re.compile(r"^张三，.*没太看懂.*「帮助」")
    assert_dialog(svc, [("qzxv blorp 7734", fallback), ("%%%###", fallback)], as_="zhangsan")


def test_an_empty_message_does_not_crash(svc):
    for blank in ("", "   ", "\n\t "):
        replies = say(svc, "zhangsan", blank)
        assert replies and "帮助" in replies[-1], f"{blank!r} got {replies}"


def test_a_conversation_of_several_turns(svc):
    assert_dialog(
        svc,
        [
            ("帮助", "还有几天培训"),
            ("还有几天培训", TRAINING),
            ("qzxv blorp", "帮助"),
            ("还有多少天入职", "21 天"),
        ],
        as_="zhangsan",
    )


def test_every_turn_is_recorded_once_in_and_out(svc, db):
    say(svc, "zhangsan", "还有几天培训")
    rows = db.exec(select(Message).where(Message.user_id == "zhangsan").order_by(Message.id)).all()
    assert [(m.direction, m.channel) for m in rows] == [(Direction.inbound, Channel.dev),
                                                        (Direction.outbound, Channel.dev)]
    assert rows[0].text == "还有几天培训"
    assert "21 天" in rows[1].text


def test_a_failing_dialog_shows_the_transcript(svc):
    with pytest.raises(AssertionError) as failure:
        assert_dialog(svc, [("帮助", "还有几天培训"), ("还有几天培训", re.compile(r"还有 99 天"))], as_="zhangsan")
    message = str(failure.value)
    assert "turn 2" in message and "/还有 99 天/" in message
    assert "zhangsan> 帮助" in message and "zhangsan> 还有几天培训" in message and "bot> " in message
