"""Stickiness: each component from its raw signal, the weighted score and tiers (boundaries configurable), and the
database side: one candidate on an inbound, everyone in a set-based pass, a history row only when the score moves."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from engagement.stickiness import (
    Signals,
    StickinessSettings,
    compute,
    curve,
    parse_weights,
    recompute,
    recompute_all,
    score,
    tier_for,
)
from models import (
    Candidate,
    CandidateStatus,
    Category,
    Channel,
    EngagementEvent,
    OutboxItem,
    OutboxStatus,
    StickinessScore,
    TaskCompletion,
)

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai
WEEKS = {1: "culture_video", 2: "first_month_goal", 3: "mentor_qa"}
SETTINGS = StickinessSettings(task_weeks=WEEKS)
W = parse_weights(None)


# --- components (pure) -------------------------------------------------------------------------------------------


def test_recency_falls_from_1_to_0_over_two_weeks():
    assert compute(Signals(last_active=NOW), NOW)["recency"] == 1.0
    assert compute(Signals(last_active=NOW - timedelta(days=7)), NOW)["recency"] == 0.5
    assert compute(Signals(last_active=NOW - timedelta(days=20)), NOW)["recency"] == 0.0
    assert compute(Signals(last_active=None), NOW)["recency"] == 0.0


@pytest.mark.parametrize("delays, expected", [((600.0,), 1.0), ((3600.0,), 1.0), ((48 * 3600.0,), 0.0),
                                               ((100 * 3600.0,), 0.0), ((60.0, 7 * 3600.0, 90 * 3600.0), 0.4973)])
def test_reply_speed_is_log_scaled_between_an_hour_and_two_days(delays, expected):
    assert compute(Signals(reply_seconds=delays), NOW)["reply"] == pytest.approx(expected, abs=1e-4)


def test_no_reply_counts_only_once_a_message_had_time_to_be_answered():
    assert compute(Signals(proactive_sent=2, proactive_answerable=0), NOW)["reply"] is None
    assert compute(Signals(proactive_sent=2, proactive_answerable=1), NOW)["reply"] == 0.0


def test_task_completion_rate_over_the_tasks_due_so_far():
    assert compute(Signals(tasks_due=2, tasks_done=1), NOW)["tasks"] == 0.5
    assert compute(Signals(tasks_due=2, tasks_done=3), NOW)["tasks"] == 1.0
    assert compute(Signals(tasks_due=0, tasks_done=0), NOW)["tasks"] is None  # nothing due yet: no judgement
    assert compute(Signals(tasks_due=0, tasks_done=1), NOW)["tasks"] == 1.0  # done before it was due


def test_opens_only_where_the_channel_reports_them():
    assert compute(Signals(opens=None, proactive_sent=4), NOW)["open"] is None
    assert compute(Signals(opens=2, proactive_sent=4), NOW)["open"] == 0.5
    assert compute(Signals(opens=9, proactive_sent=4), NOW)["open"] == 1.0
    assert compute(Signals(opens=0, proactive_sent=0), NOW)["open"] is None


def test_the_score_is_the_weighted_mean_of_what_is_known():
    comps = {"open": None, "tasks": 0.5, "reply": 1.0, "recency": 1.0}
    assert score(comps, W) == round(100 * (0.35 * 0.5 + 0.25 + 0.25) / 0.85, 1)
    assert score({"open": 1.0, "tasks": 1.0, "reply": 1.0, "recency": 1.0}, W) == 100.0
    assert score({"open": None, "tasks": None, "reply": None, "recency": 0.0}, W) == 0.0
    assert score({"open": 1.0, "tasks": 0.0, "reply": None, "recency": None}, {"open": 0, "tasks": 1}) == 0.0


@pytest.mark.parametrize("value, tier", [(100, "high"), (80, "high"), (79.9, "medium"), (60, "medium"),
                                         (59.9, "low"), (0, "low")])
def test_tiers_at_their_boundaries(value, tier):
    assert tier_for(value, SETTINGS) == tier


def test_tier_boundaries_and_weights_come_from_the_config():
    import config

    cfg = config.load({"TIER_HIGH": "90", "TIER_MEDIUM": "50", "STICKINESS_WEIGHTS": "tasks=1,recency=1"}, environ={})
    s = StickinessSettings.from_config(cfg, WEEKS)
    assert (tier_for(85, s), tier_for(50, s), tier_for(49, s)) == ("medium", "medium", "low")
    assert s.weights == {"open": 0.0, "tasks": 1.0, "reply": 0.0, "recency": 1.0}
    with pytest.raises(ValueError, match="STICKINESS_WEIGHTS"):
        parse_weights("likes=1")
    with pytest.raises(ValueError, match="tier boundaries"):
        config.load({"TIER_HIGH": "50", "TIER_MEDIUM": "60"}, environ={})


# --- in the database ---------------------------------------------------------------------------------------------


@pytest.fixture
def fresh(db, clock):
    """A candidate accepted 15 days ago (programme week 3) who did the week-1 task and replies within 30 minutes."""
    now = clock.now()
    c = Candidate(name="钱多多", channel=Channel.wecom, channel_user_id="qianduoduo", status=CandidateStatus.accepted,
                  offer_accepted_at=now - timedelta(days=15), start_date=(now + timedelta(days=20)).date(),
                  last_inbound_at=now - timedelta(days=1))
    db.add(c)
    db.flush()
    db.add(TaskCompletion(candidate_id=c.id, task_key="culture_video", completed_at=now - timedelta(days=12)))
    db.add(TaskCompletion(candidate_id=c.id, task_key="lesson:culture_values", kind="lesson", completed_at=now))
    for days, delay in ((3, 1800.0), (2, 1200.0), (1, 2400.0)):
        db.add(EngagementEvent(candidate_id=c.id, kind="reply", at=now - timedelta(days=days), value=delay))
    for n in range(2):
        db.add(OutboxItem(dedupe_key=f"t:{c.id}:{n}", channel=Channel.wecom, recipient="qianduoduo", candidate_id=c.id,
                          category=Category.task, status=OutboxStatus.sent, due_at=now, created_at=now,
                          sent_at=now - timedelta(days=3 + n)))
    db.commit()
    return c


def test_recompute_one_candidate_stores_score_tier_and_components(db, fresh, clock):
    value = recompute(db, fresh, clock.now(), SETTINGS)
    db.commit()
    expected = round(100 * (0.35 * 0.5 + 0.25 * 1.0 + 0.25 * (1 - 1 / 14)) / 0.85, 1)
    assert value == expected == fresh.stickiness and fresh.tier == "medium"
    (row,) = db.exec(select(StickinessScore).where(StickinessScore.candidate_id == fresh.id)).all()
    assert row.components == {"open": None, "tasks": 0.5, "reply": 1.0, "recency": pytest.approx(0.9286, abs=1e-4)}
    assert (row.score, row.tier, row.computed_at) == (expected, "medium", clock.now())


def test_a_history_row_only_when_the_score_moves(db, fresh, clock):
    recompute(db, fresh, clock.now(), SETTINGS)
    clock.advance(hours=1)
    recompute(db, fresh, clock.now(), SETTINGS)  # recency moved by 0.07 points: no new row
    clock.advance(days=2)
    recompute(db, fresh, clock.now(), SETTINGS)  # three days of silence: it moves
    db.commit()
    points = curve(db, fresh.id)
    assert len(points) == 2 and points[0][1] > points[1][1]
    assert points[-1][1] == fresh.stickiness


def test_open_events_make_the_open_component_count(db, fresh, clock):
    db.add(EngagementEvent(candidate_id=fresh.id, kind="open", at=clock.now() - timedelta(days=2)))
    db.commit()
    recompute(db, fresh, clock.now(), SETTINGS)
    row = db.exec(select(StickinessScore).where(StickinessScore.candidate_id == fresh.id)).one()
    assert row.components["open"] == 0.5  # one open for two messages


def test_recompute_all_scores_everyone_not_started_set_based(svc, clock):
    stats = recompute_all(lambda: Session(svc.engine), clock.now(), SETTINGS, batch=4)
    with Session(svc.engine) as db:
        cands = db.exec(select(Candidate)).all()
    active = [c for c in cands if c.status in (CandidateStatus.offered, CandidateStatus.accepted)]
    assert stats == {"scored": len(active), "moved": len(active)}
    assert all(c.tier in ("high", "medium", "low") and 0 <= c.stickiness <= 100 for c in active)
    assert all(c.tier is None for c in cands if c not in active)  # reneged / withdrawn: not scored
    again = recompute_all(lambda: Session(svc.engine), clock.now(), SETTINGS)
    assert again == {"scored": len(active), "moved": 0}
    unscored = recompute_all(lambda: Session(svc.engine), clock.now(), SETTINGS, only_unscored=True)
    assert unscored["scored"] == 0


def test_silent_after_the_welcome_pack_ranks_below_a_chatty_candidate(svc, clock):
    recompute_all(lambda: Session(svc.engine), clock.now(), SETTINGS)
    with Session(svc.engine) as db:
        by_uid = {c.channel_user_id: c for c in db.exec(select(Candidate))}
    assert by_uid["zhangsan"].last_inbound_at is not None
    silent = [c for c in by_uid.values() if c.status == CandidateStatus.accepted and c.last_inbound_at is None]
    assert silent and all(c.stickiness < by_uid["zhangsan"].stickiness for c in silent)
