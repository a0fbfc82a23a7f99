"""Behaviour risk: the pure score, the features read from the database, and the hourly alert on a rising score."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from engagement.risk import THRESHOLD, Features, features, score
from models import Candidate, Escalation, OutboxItem
from scheduler.planners import plan_risk

CALM = Features(days_silent=1, days_to_start=20, unanswered=0, welcome_unanswered=False, stickiness_drop=0, delay_request=False)


def test_an_engaged_candidate_scores_zero():
    assert score(CALM).score == 0.0


def test_silence_weighs_more_close_to_day_one():
    far = score(Features(**{**CALM.__dict__, "days_silent": 7}))
    near = score(Features(**{**CALM.__dict__, "days_silent": 7, "days_to_start": 5}))
    assert 0 < far.score < near.score


def test_everything_at_once_is_the_maximum_and_names_its_reasons():
    worst = score(Features(days_silent=30, days_to_start=3, unanswered=5, welcome_unanswered=True, stickiness_drop=40,
                           delay_request=True))
    assert worst.score == 1.0
    assert worst.reasons[0] == "长时间没有回复" and "提过推迟入职" in worst.reasons


def test_features_from_the_database(svc, db, clock):
    cand = db.exec(select(Candidate).where(Candidate.channel_user_id == "zhangsan")).one()
    cand.last_inbound_at = clock.now() - timedelta(days=4)
    cand.welcome_sent_at = clock.now() - timedelta(days=5)
    db.add(cand)
    db.commit()
    f = features(db, cand, clock.now(), clock.tz)
    assert f.days_silent == 4 and f.days_to_start == 21
    assert f.welcome_unanswered is False  # they wrote after the welcome pack


def _silent(db, clock, uid="zhangsan", days=9):
    cand = db.exec(select(Candidate).where(Candidate.channel_user_id == uid)).one()
    cand.last_inbound_at = None
    cand.offer_accepted_at = clock.now() - timedelta(days=days)
    cand.welcome_sent_at = clock.now() - timedelta(days=days)
    db.add(cand)
    db.commit()
    return cand.id


def test_rising_risk_alerts_hr_once(svc, db, clock, fake_api):
    cid = _silent(db, clock)
    clock.advance(days=8)  # 13 days before start, 17 days of silence after the welcome pack
    assert plan_risk(svc) >= 1
    with Session(svc.engine) as s:
        [esc] = s.exec(select(Escalation).where(Escalation.candidate_id == cid)).all()
        assert (esc.level, esc.reason) == ("risk", "silence") and esc.score >= THRESHOLD
        assert s.get(Candidate, cid).risk >= THRESHOLD
    assert plan_risk(svc) == 0  # still high, not rising: no new alert
    svc.outbox.dispatch()
    texts = [r.body["markdown"]["content"] for r in fake_api.sent("wecom", "webhook/send")]
    assert any("张三" in t and "沉默风险" in t and "欢迎礼包后未回复" in t and f"案例 #{esc.id}" in t
               and f"「已联系 {esc.id}」" in t for t in texts)


def test_an_active_candidate_raises_nothing(svc, db, clock, fake_api):
    for cand in db.exec(select(Candidate)):
        cand.last_inbound_at = clock.now() - timedelta(hours=5)
        db.add(cand)
    db.commit()
    assert plan_risk(svc) == 0
    with Session(svc.engine) as s:
        assert s.exec(select(OutboxItem).where(OutboxItem.channel == "robot")).all() == []
