"""The escalation lifecycle: opened once per key, first human contact measured, closed with an outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from engagement.escalations import alert_key, close, mark_first_contact, open_escalation, time_to_first_contact
from models import Candidate, CandidateStatus


@pytest.fixture
def cand(db):
    return db.exec(select(Candidate).where(Candidate.channel_user_id == "zhangsan")).one()


def test_alert_keys_dedupe_by_reason_and_day_but_not_withdrawal():
    assert alert_key(1, "hesitation", "salary", "2026-11-23", "m1") == alert_key(1, "hesitation", "salary", "2026-11-23", "m2")
    assert alert_key(1, "hesitation", "salary", "2026-11-23", "m1") != alert_key(1, "hesitation", "family", "2026-11-23", "m1")
    assert alert_key(1, "withdrawal", "salary", "2026-11-23", "m1") != alert_key(1, "withdrawal", "salary", "2026-11-23", "m2")


def test_open_twice_with_the_same_key_opens_once(db, cand, clock):
    kw = dict(level="hesitation", reason="salary", text="能再谈谈薪资吗", score=0.9, key="k", now=clock.now())
    assert open_escalation(db, cand, **kw) is not None
    assert open_escalation(db, cand, **kw) is None


def test_first_contact_is_measured_once(db, cand, clock):
    esc = open_escalation(db, cand, level="hesitation", reason="salary", text="t", score=0.9, key="k", now=clock.now())
    assert time_to_first_contact(esc) is None
    clock.advance(hours=3)
    assert mark_first_contact(db, esc, clock.now())
    clock.advance(hours=1)
    assert not mark_first_contact(db, esc, clock.now())
    assert time_to_first_contact(esc) == timedelta(hours=3)


def test_close_as_reneged_marks_the_candidate(db, cand, clock):
    esc = open_escalation(db, cand, level="withdrawal", reason="competing_offer", text="t", score=1, key="k", now=clock.now())
    clock.advance(days=1)
    close(db, esc, "reneged", clock.now(), note="去了另一家")
    assert esc.outcome == "reneged" and esc.closed_at == clock.now()
    assert cand.status == CandidateStatus.reneged
    with pytest.raises(ValueError):
        close(db, esc, "maybe", clock.now())
