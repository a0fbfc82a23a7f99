"""The delivery policy, pure, at its edges: quiet hours to the minute, Sunday night, holidays and do-not-disturb
dates, the Official Account's 48 h window, the day after the start date, quiet mode and hold-out for every category,
caps per tier over a rolling week, and the reasons every held or suppressed message carries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace as NS
from zoneinfo import ZoneInfo

import pytest

from engagement.policy import (
    Action,
    Cap,
    PolicySettings,
    decide,
    family,
    next_send_window,
    parse_caps,
)
from models import Candidate, CandidateStatus, Category, Channel

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 11, 23)
START = date(2026, 12, 14)
S = PolicySettings()  # 22:00-08:00, no holidays, default caps, no reply window
OA = PolicySettings(windowed=frozenset({Channel.wechat}))
ALL = list(Category)
PROACTIVE = [Category.critical, Category.task, Category.engagement]


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=TZ)


def cand(**kw) -> Candidate:
    base = dict(name="张三", channel=Channel.wecom, channel_user_id="zhangsan", status=CandidateStatus.accepted,
                start_date=START, tier="high")
    return Candidate(**{**base, **kw})


def sent(*times: datetime, category: Category = Category.task) -> list[tuple]:
    return [(t, category, f"k:{n}:x") for n, t in enumerate(times)]


# --- the send window ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("category", [Category.task, Category.engagement, Category.critical])
def test_21_59_goes_22_00_is_held_until_8(category):
    assert decide(category, cand(), at(MONDAY, 21, 59), S).action == Action.SEND
    d = decide(category, cand(), at(MONDAY, 22, 0), S)
    assert (d.action, d.reason, d.send_at) == (Action.HOLD, "quiet_hours", at(MONDAY + timedelta(days=1), 8, 0))


def test_07_59_is_held_a_minute_and_08_00_goes():
    d = decide(Category.task, cand(), at(MONDAY, 7, 59), S)
    assert (d.action, d.send_at) == (Action.HOLD, at(MONDAY, 8, 0))
    assert decide(Category.task, cand(), at(MONDAY, 8, 0), S).action == Action.SEND


def test_sunday_23_59_is_held_to_monday_morning():
    sunday = MONDAY + timedelta(days=6)
    d = decide(Category.engagement, cand(), at(sunday, 23, 59), S)
    assert (d.action, d.reason, d.send_at) == (Action.HOLD, "quiet_hours", at(sunday + timedelta(days=1), 8, 0))


def test_quiet_hours_that_do_not_cross_midnight():
    s = PolicySettings.parse("Asia/Shanghai", "12:00-14:00")
    assert decide(Category.task, cand(), at(MONDAY, 11, 59), s).action == Action.SEND
    assert decide(Category.task, cand(), at(MONDAY, 13, 0), s).send_at == at(MONDAY, 14, 0)
    assert decide(Category.task, cand(), at(MONDAY, 23, 0), s).action == Action.SEND


def test_a_holiday_holds_task_and_engagement_but_not_critical():
    s = PolicySettings.parse("Asia/Shanghai", "22:00-08:00", [MONDAY.isoformat(), "2026-11-24"])
    d = decide(Category.task, cand(), at(MONDAY, 10), s)
    assert (d.action, d.reason, d.send_at) == (Action.HOLD, "holiday", at(date(2026, 11, 25), 8, 0))
    assert decide(Category.critical, cand(), at(MONDAY, 10), s).action == Action.SEND
    # a holiday evening: quiet hours first, then the holiday, then the next morning
    assert decide(Category.task, cand(), at(MONDAY, 23), s).send_at == at(date(2026, 11, 25), 8, 0)


def test_the_candidates_do_not_disturb_dates_hold_like_a_holiday():
    c = cand(profile={"dnd_dates": ["2026-11-23", "not-a-date"]})
    d = decide(Category.engagement, c, at(MONDAY, 10), S)
    assert (d.action, d.reason, d.send_at) == (Action.HOLD, "dnd_date", at(MONDAY + timedelta(days=1), 8, 0))
    assert decide(Category.critical, c, at(MONDAY, 10), S).action == Action.SEND


def test_holds_are_never_drops():
    s = PolicySettings.parse("Asia/Shanghai", "22:00-08:00", [(MONDAY + timedelta(days=i)).isoformat() for i in range(10)])
    d = decide(Category.task, cand(), at(MONDAY, 23), s)
    assert d.action == Action.HOLD and d.send_at == at(MONDAY + timedelta(days=10), 8, 0)


def test_next_send_window_gives_up_after_a_year_of_holidays():
    s = PolicySettings(holidays=frozenset(MONDAY + timedelta(days=i) for i in range(400)))
    with pytest.raises(ValueError, match="within a year"):
        next_send_window(at(MONDAY, 10), s, skip_holidays=True)


# --- who gets nothing any more -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [CandidateStatus.reneged, CandidateStatus.withdrawn])
@pytest.mark.parametrize("category", PROACTIVE)
def test_reneged_and_withdrawn_get_nothing_proactive(status, category):
    d = decide(category, cand(status=status), at(MONDAY, 10), S)
    assert (d.action, d.reason) == (Action.SUPPRESS, f"candidate_{status.value}")


@pytest.mark.parametrize("category", PROACTIVE)
def test_opted_out_gets_nothing_proactive_not_even_critical(category):
    assert decide(category, cand(opted_out=True), at(MONDAY, 10), S) == decide(category, cand(opted_out=True), at(MONDAY, 23), S)
    assert decide(category, cand(opted_out=True), at(MONDAY, 10), S).reason == "opted_out"


@pytest.mark.parametrize("category", [Category.reply, Category.relay, Category.alert])
def test_replies_relays_and_hr_alerts_still_go_to_the_gone_and_opted_out(category):
    for c in (cand(status=CandidateStatus.reneged), cand(opted_out=True), cand(quiet_mode=True), cand(holdout=True)):
        assert decide(category, c, at(MONDAY, 23, 30), S).action == Action.SEND


def test_the_start_day_still_counts_the_day_after_does_not():
    c = cand(start_date=MONDAY)
    assert decide(Category.critical, c, at(MONDAY, 9), S).action == Action.SEND
    assert decide(Category.critical, c, at(MONDAY, 23, 59), S).reason == "quiet_hours"
    after = at(MONDAY + timedelta(days=1), 0, 0)
    for category in PROACTIVE:
        assert (decide(category, c, after, S).action, decide(category, c, after, S).reason) == (Action.SUPPRESS, "past_start_date")
    assert decide(Category.reply, c, after, S).action == Action.SEND


# --- quiet mode and the hold-out arm, for every category ---------------------------------------------------------


@pytest.mark.parametrize("category", ALL)
def test_quiet_mode_lets_through_only_critical_reply_relay_and_alerts(category):
    d = decide(category, cand(quiet_mode=True), at(MONDAY, 10), S)
    if category in (Category.critical, Category.reply, Category.relay, Category.alert):
        assert d.action == Action.SEND
    else:
        assert (d.action, d.reason) == (Action.SUPPRESS, "quiet_mode")


@pytest.mark.parametrize("category", ALL)
def test_the_holdout_arm_gets_only_critical_reply_relay(category):
    d = decide(category, cand(holdout=True), at(MONDAY, 10), S)
    if category in (Category.critical, Category.reply, Category.relay, Category.alert):
        assert d.action == Action.SEND
    else:
        assert (d.action, d.reason) == (Action.SUPPRESS, "holdout")


def test_no_candidate_means_no_one_to_protect():
    assert decide(Category.engagement, None, at(MONDAY, 23), S).action == Action.SEND


# --- the Official Account window ---------------------------------------------------------------------------------


def oa_item(category, kind="text", key="k:1"):
    return NS(category=category, channel=Channel.wechat, kind=kind, dedupe_key=key, payload={})


def test_the_48h_window_edge():
    now = at(MONDAY, 10)
    inside = cand(channel=Channel.wechat, last_inbound_at=now - timedelta(hours=47, minutes=59))
    edge = cand(channel=Channel.wechat, last_inbound_at=now - timedelta(hours=48))
    assert decide(oa_item(Category.task), inside, now, OA).action == Action.SEND
    d = decide(oa_item(Category.task), edge, now, OA)
    assert (d.action, d.reason) == (Action.HOLD, "outside_48h_window") and d.send_at > now


def test_outside_the_window_a_template_goes_and_text_waits():
    now = at(MONDAY, 10)
    never = cand(channel=Channel.wechat, last_inbound_at=None)
    assert decide(oa_item(Category.critical, kind="template"), never, now, OA).action == Action.SEND
    assert decide(oa_item(Category.critical), never, now, OA).reason == "outside_48h_window"
    assert decide(oa_item(Category.relay), never, now, OA).action == Action.HOLD
    assert decide(oa_item(Category.reply), never, now, OA).reason == "outside_48h_window"  # a late answer: dropped
    assert decide(oa_item(Category.reply), never, now, OA).action == Action.SUPPRESS
    # a template still waits for the morning
    assert decide(oa_item(Category.critical, kind="template"), never, at(MONDAY, 23), OA).reason == "quiet_hours"


def test_told_only_the_category_the_window_is_the_candidates_channel():
    never = cand(channel=Channel.wechat, last_inbound_at=None)
    assert decide(Category.task, never, at(MONDAY, 10), OA).reason == "outside_48h_window"
    assert decide(Category.relay, never, at(MONDAY, 10), OA).action == Action.SEND  # may be to the mentor on WeCom
    assert decide(Category.task, never, at(MONDAY, 10), S).action == Action.SEND  # no OA configured: no window


def test_wecom_has_no_window():
    item = NS(category=Category.task, channel=Channel.wecom, kind="text", dedupe_key="k", payload={})
    assert decide(item, cand(last_inbound_at=None), at(MONDAY, 10), OA).action == Action.SEND


# --- caps per tier over a rolling window -------------------------------------------------------------------------


@pytest.mark.parametrize("tier, allowed, window_days", [("high", 3, 7), ("medium", 1, 7), ("low", 1, 14)])
def test_caps_per_tier(tier, allowed, window_days):
    now = at(MONDAY, 10)
    c = cand(tier=tier)
    history = sent(*(now - timedelta(hours=n + 1) for n in range(allowed - 1)))
    assert decide(Category.task, c, now, S, history).action == Action.SEND
    full = history + sent(now - timedelta(days=window_days) + timedelta(minutes=1), category=Category.engagement)
    d = decide(Category.engagement, c, now, S, full)
    assert (d.action, d.reason) == (Action.HOLD, f"cap_{tier}")
    assert d.send_at == now + timedelta(minutes=1)  # when the oldest counted message leaves the rolling window


def test_the_week_is_rolling_not_calendar():
    monday_10 = at(MONDAY, 10)
    c = cand(tier="medium")
    history = sent(monday_10)
    sunday_2359 = at(MONDAY + timedelta(days=6), 23, 59)
    assert decide(Category.task, c, at(MONDAY + timedelta(days=6), 21), S, history).reason == "cap_medium"
    assert decide(Category.task, c, sunday_2359, S, history).reason == "cap_medium"
    next_monday = at(MONDAY + timedelta(days=7), 10)
    assert decide(Category.task, c, next_monday - timedelta(seconds=1), S, history).action == Action.HOLD
    assert decide(Category.task, c, next_monday, S, history).action == Action.SEND


def test_low_tier_is_one_in_two_weeks():
    c = cand(tier="low")
    history = sent(at(MONDAY, 10))
    assert decide(Category.task, c, at(MONDAY + timedelta(days=13), 10), S, history).reason == "cap_low"
    assert decide(Category.task, c, at(MONDAY + timedelta(days=14), 10), S, history).action == Action.SEND


def test_unscored_candidates_are_capped_as_medium():
    history = sent(at(MONDAY, 9))
    assert decide(Category.task, cand(tier=None), at(MONDAY, 10), S, history).reason == "cap_medium"


def test_never_more_than_three_proactive_in_seven_days_critical_included():
    now = at(MONDAY, 10)
    history = sent(now - timedelta(days=1), now - timedelta(days=2), category=Category.critical) + sent(now - timedelta(days=3))
    d = decide(Category.task, cand(tier="high"), now, S, history)  # only 1 task: the tier cap is fine, the total is not
    assert (d.action, d.reason) == (Action.HOLD, "cap_total")
    assert decide(Category.critical, cand(tier="high"), now, S, history + sent(now, category=Category.critical)).action == Action.SEND


def test_caps_count_only_task_and_engagement_for_the_tier():
    now = at(MONDAY, 10)
    history = sent(now - timedelta(hours=1), category=Category.critical) + sent(now - timedelta(hours=2), category=Category.reply)
    assert decide(Category.task, cand(tier="medium"), now, S, history).action == Action.SEND


def test_a_capped_hold_lands_in_the_send_window():
    sunday = MONDAY - timedelta(days=1)
    history = sent(at(sunday - timedelta(days=7), 23, 0))  # the slot frees on Sunday at 23:00: quiet hours
    d = decide(Category.task, cand(tier="medium"), at(sunday, 10), S, history)
    assert d.reason == "cap_medium" and d.send_at == at(MONDAY, 8, 0)


def test_parts_of_one_message_count_once_and_follow_each_other():
    now = at(MONDAY, 10)
    c = cand(tier="low")
    first_part = [(now - timedelta(seconds=5), Category.engagement, "welcome:7:1")]
    second = NS(category=Category.engagement, channel=Channel.wecom, kind="text", dedupe_key="welcome:7:2", payload={})
    assert decide(second, c, now, S, first_part).action == Action.SEND
    other = NS(category=Category.task, channel=Channel.wecom, kind="text", dedupe_key="weekly_task:7:1", payload={})
    both = first_part + [(now - timedelta(seconds=4), Category.engagement, "welcome:7:2")]
    assert decide(other, cand(tier="medium"), now + timedelta(days=1), S, both).reason == "cap_medium"
    assert decide(other, cand(tier="high"), now + timedelta(days=1), S, both + sent(now)).action == Action.SEND  # 2, not 3


def test_a_stale_message_is_dropped_with_its_reason():
    now = at(MONDAY, 10)
    item = NS(category=Category.task, channel=Channel.wecom, kind="text", dedupe_key="weekly_task:1:1",
              payload={"expires_at": now.isoformat()})
    assert (decide(item, cand(), now, S).action, decide(item, cand(), now, S).reason) == (Action.SUPPRESS, "expired")
    item.payload["expires_at"] = (now + timedelta(hours=3)).isoformat()
    d = decide(item, cand(tier="medium"), now, S, sent(now - timedelta(days=1)))
    assert (d.action, d.reason) == (Action.SUPPRESS, "cap_medium")  # the slot frees only after it is stale


# --- settings ----------------------------------------------------------------------------------------------------


def test_caps_parse_from_the_config_string():
    caps = parse_caps("high=2/7, low=1/21")
    assert caps["high"] == Cap(2, 7) and caps["low"] == Cap(1, 21) and caps["medium"] == Cap(1, 7)
    with pytest.raises(ValueError, match="CADENCE_CAPS"):
        parse_caps("high=3 per week")


def test_settings_from_config_know_the_oa_window_only_when_the_oa_is_configured():
    import config

    cfg = config.load({"CADENCE_CAPS": "medium=2/7"}, environ={})
    s = PolicySettings.from_config(cfg, ["2026-12-25"])
    assert s.windowed == frozenset() and s.caps["medium"] == Cap(2, 7) and date(2026, 12, 25) in s.holidays
    s = PolicySettings.from_config({**cfg, "WECHAT_APP_ID": "wx", "WECHAT_APP_SECRET": "s"})
    assert s.windowed == {Channel.wechat}


def test_family_of_a_key():
    assert family("welcome:7:2#3") == "welcome:7" == family("welcome:7:1")
    assert family("digest:7:2026-11-27") == "digest:7:2026-11-27" and family(None) is None
