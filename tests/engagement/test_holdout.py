"""The hold-out arm: drawn deterministically from the id, close to the configured share, recorded once, and a
hand-made choice by HR respected."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlmodel import select

from engagement.holdout import assign_new, bucket, in_holdout
from models import CadenceState, Candidate, CandidateStatus, Channel


def test_the_arm_is_a_pure_function_of_the_id():
    first = [in_holdout(i, 0.10) for i in range(1, 2001)]
    assert first == [in_holdout(i, 0.10) for i in range(1, 2001)]
    # ... and does not depend on Python's per-process hash seed
    code = "from engagement.holdout import bucket; print([bucket(i) for i in (1, 2, 3, 99999)])"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "12345", "PYTHONPATH": "."}).stdout
    assert other == str([bucket(i) for i in (1, 2, 3, 99999)]) + "\n"


def test_close_to_ten_percent_over_ten_thousand_ids():
    share = sum(in_holdout(i, 0.10) for i in range(1, 10_001)) / 10_000
    assert 0.09 <= share <= 0.11
    assert sum(in_holdout(i, 0.25) for i in range(1, 10_001)) / 10_000 == pytest.approx(0.25, abs=0.015)


def test_the_share_is_monotonic_and_has_the_obvious_ends():
    assert not any(in_holdout(i, 0.0) for i in range(1, 1001))
    assert all(in_holdout(i, 1.0) for i in range(1, 1001))
    assert all(in_holdout(i, 0.2) for i in range(1, 1001) if in_holdout(i, 0.1))


def test_assignment_is_recorded_once(db, clock):
    first = assign_new(db, clock.now(), 0.10)
    db.commit()
    states = {s.candidate_id: s for s in db.exec(select(CadenceState))}
    cands = db.exec(select(Candidate)).all()
    assert first["assigned"] == len(cands) == len(states)
    for c in cands:
        assert c.holdout == states[c.id].holdout == in_holdout(c.id, 0.10)
        assert states[c.id].holdout_assigned_at == clock.now() and states[c.id].planned_start_date == c.start_date
    clock.advance(days=1)
    assert assign_new(db, clock.now(), 0.99)["assigned"] == 0  # a new share does not redraw anyone


def test_a_candidate_hr_put_in_the_holdout_stays_there(db, clock):
    c = Candidate(name="手动", channel=Channel.wecom, channel_user_id="manual", status=CandidateStatus.offered,
                  holdout=True)
    db.add(c)
    db.commit()
    assert not in_holdout(c.id, 0.0)
    assign_new(db, clock.now(), 0.0)
    db.commit()
    assert db.get(CadenceState, c.id).holdout is True and db.get(Candidate, c.id).holdout is True
