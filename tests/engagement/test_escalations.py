"""The escalation lifecycle: opened once per key, first human contact measured, closed with an outcome; and the\npure math of the `flask escalations` summary (hours to first contact, median and p90, outcomes)."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from engagement.escalations import (
    add_note, alert_key, close, format_summary, format_table, hours_to_first_contact, mark_first_contact,
    open_escalation, quantile, report_rows, summarize, time_to_first_contact,
)
from models import Candidate, CandidateStatus, Escalation


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


def test_close_keeps_the_notes_already_on_the_case(db, cand, clock):
    esc = open_escalation(db, cand, level="hesitation", reason="salary", text="t", score=0.9, key="k", now=clock.now())
    add_note(esc, "  电话聊过 ")
    add_note(esc, "")
    close(db, esc, "stayed", clock.now(), note="放心了")
    assert esc.outcome_note == "电话聊过\n放心了"


# --- time to first contact: pure math over rows ------------------------------------------------------------------

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def _esc(n: int, contact_h: float | None, outcome: str | None = None) -> Escalation:
    return Escalation(id=n, candidate_id=1, level="hesitation", reason="salary", alert_key=f"k{n}", opened_at=T0,
                      first_contact_at=None if contact_h is None else T0 + timedelta(hours=contact_h),
                      outcome=outcome, closed_at=T0 + timedelta(days=1) if outcome else None)


def test_hours_to_first_contact():
    assert hours_to_first_contact(_esc(1, None)) is None
    assert hours_to_first_contact(_esc(1, 2.5)) == 2.5
    assert hours_to_first_contact(_esc(1, 0)) == 0.0


@pytest.mark.parametrize("values, q, expected", [
    ([], 0.5, None),
    ([4.0], 0.5, 4.0),
    ([4.0], 0.9, 4.0),
    ([1.0, 3.0], 0.5, 2.0),
    ([3.0, 1.0, 2.0], 0.5, 2.0),  # unsorted input
    ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9, 9.1),
    ([0.0, 10.0], 0.9, 9.0),
    ([1.0, 2.0, 3.0], 0.0, 1.0),
    ([1.0, 2.0, 3.0], 1.0, 3.0),
])
def test_quantile_interpolates_between_order_statistics(values, q, expected):
    got = quantile(values, q)
    assert got == expected if expected is None else got == pytest.approx(expected)


def test_quantile_agrees_with_the_statistics_median():
    values = [0.2, 7.5, 1.0, 30.0, 2.25, 4.0]
    assert quantile(values, 0.5) == pytest.approx(statistics.median(values))
    with pytest.raises(ValueError):
        quantile(values, 1.5)


def test_summary_of_contacted_open_and_closed_cases():
    rows = [_esc(1, 1.0, "stayed"), _esc(2, 3.0, "reneged"), _esc(3, 2.0), _esc(4, None), _esc(5, 20.0, "stayed")]
    s = summarize(rows)
    assert (s.count, s.open, s.contacted, s.stayed, s.reneged) == (5, 2, 4, 2, 1)
    assert s.contacted_share == pytest.approx(0.8)
    assert s.median_hours == pytest.approx(2.5)  # of 1, 2, 3, 20: the uncontacted case is not a zero
    assert s.p90_hours == pytest.approx(14.9)  # 3 + (20 - 3) * 0.7
    assert format_summary(s) == ("5 cases (2 open); contacted 4/5 (80%); hours to first contact: median 2.5 h, "
                                 "p90 14.9 h; outcomes: 2 stayed, 1 reneged")


def test_summary_of_nothing_and_of_no_contact():
    empty = summarize([])
    assert (empty.count, empty.contacted, empty.contacted_share, empty.median_hours, empty.p90_hours) == (0, 0, None, None, None)
    assert format_summary(empty) == ("0 cases (0 open); contacted 0/0 (-); hours to first contact: median -, p90 -; "
                                     "outcomes: 0 stayed, 0 reneged")
    s = summarize([_esc(1, None), _esc(2, None)])
    assert s.contacted_share == 0 and s.median_hours is None


def test_report_rows_in_local_time_and_a_table_that_lines_up_with_chinese_names():
    tz = ZoneInfo("Asia/Shanghai")
    pairs = [(_esc(12, 2.5), Candidate(name="欧阳娜娜")), (_esc(3, 1.0, "reneged"), Candidate(name="Li"))]
    pairs[1][0].outcome_note = "去了别家"
    rows = report_rows(pairs, tz)
    assert rows[0] == {"id": "12", "candidate": "欧阳娜娜", "level": "hesitation", "reason": "salary",
                       "opened": "2026-11-23 10:00", "first_contact": "2026-11-23 12:30", "hours_to_contact": "2.50",
                       "outcome": "open", "closed": "", "note": ""}
    assert (rows[1]["outcome"], rows[1]["closed"], rows[1]["note"]) == ("reneged", "2026-11-24 10:00", "去了别家")
    header, first, second = format_table(rows).splitlines()
    col = header.index("level")
    assert second.index("hesitation") == col
    assert first.index("hesitation") == col - 4  # 4 wide characters take 8 columns: 4 code points fewer
