"""`flask --app app simulate` on a small population: the CSV's shape, what the policy promises (quiet mode, hold-out,
never more than three task/engagement messages in any 7 days, a reason for everything not sent), the printed
summary, determinism by seed, and the app's own database left alone."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, func, select

from models import OutboxItem
from scheduler import simulate

CAPPED = {"task", "engagement"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One simulation shared by the module (30 candidates, 8 days), through the real CLI."""
    from app import create_app
    from clock import FrozenClock
    from tests.conftest import NOW, TEST_CONFIG

    path = tmp_path_factory.mktemp("sim")
    app = create_app({**TEST_CONFIG, "DATABASE_URL": f"sqlite:///{path / 'app.db'}"}, clock=FrozenClock(NOW))
    result = app.test_cli_runner().invoke(args=["simulate", "--candidates", "30", "--days", "8", "--seed", "7",
                                                "--out", str(path / "out.csv"), "--start", "2026-11-23"])
    with Session(app.extensions["bot"].engine) as db:
        app_rows = db.exec(select(func.count()).select_from(OutboxItem)).one()
    app.extensions["bot"].engine.dispose()
    with open(path / "out.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return result, rows, app_rows, path


def test_the_command_runs_and_prints_the_summary(run):
    result, rows, _, _ = run
    assert result.exit_code == 0, result.output
    out = result.output
    assert "30 candidates, 8 days" in out and f"wrote {len(rows)} rows" in out
    assert "messages sent per candidate per week" in out and "critical" in out and "engagement" in out
    assert "held at least once, by reason:" in out and "suppressed or cancelled, by reason:" in out


def test_the_apps_own_database_is_never_touched(run):
    assert run[2] == 0


def test_the_csv_has_one_row_per_planned_message_with_the_documented_columns(run):
    _, rows, _, path = run
    with open(path / "out.csv", encoding="utf-8") as fh:
        assert fh.readline().strip() == ",".join(simulate.CSV_FIELDS)
    assert len(rows) > 30
    assert len({r["dedupe_key"] for r in rows}) == len(rows)  # re-planning every hour never doubled a message
    assert not any("#" in r["dedupe_key"] for r in rows)
    for r in rows:
        assert r["status"] in ("sent", "held", "suppressed")
        assert (r["reason"] == "") == (r["status"] == "sent"), r
        assert r["quiet_mode"] in ("0", "1") and r["holdout"] in ("0", "1")
        planned = datetime.fromisoformat(r["planned_at"])
        assert planned.utcoffset() == timedelta(hours=8)
        if r["decided_at"]:
            assert datetime.fromisoformat(r["decided_at"]) >= planned
        elif r["status"] != "suppressed":  # never decided: still waiting for its time
            assert r["reason"] == "not_due_yet"


def test_quiet_mode_and_the_holdout_never_get_task_or_engagement(run):
    rows = run[1]
    quiet = [r for r in rows if r["quiet_mode"] == "1" and r["category"] in CAPPED]
    held_out = [r for r in rows if r["holdout"] == "1" and r["category"] in CAPPED]
    assert quiet and held_out
    assert all(r["status"] != "sent" for r in quiet + held_out)
    assert {r["reason"] for r in quiet if r["status"] == "suppressed"} >= {"quiet_mode"}
    assert "holdout" in {r["reason"] for r in held_out}
    assert any(r["status"] == "sent" and r["category"] == "critical" for r in rows if r["quiet_mode"] == "1" or r["holdout"] == "1")


def test_no_candidate_gets_more_than_three_task_or_engagement_in_any_7_days(run):
    sent = defaultdict(list)
    for r in run[1]:
        if r["status"] == "sent" and r["category"] in CAPPED:
            sent[r["candidate_id"]].append(datetime.fromisoformat(r["decided_at"]))
    assert sent
    for times in sent.values():
        times.sort()
        assert all(sum(1 for t in times[i:] if t - start < timedelta(days=7)) <= 3 for i, start in enumerate(times))


def test_the_policy_and_the_profiles_leave_their_reasons(run):
    reasons = {r["reason"] for r in run[1] if r["status"] != "sent"}
    assert {"quiet_mode", "holdout"} <= reasons
    assert reasons & {"outside_48h_window", "quiet_hours"}
    assert reasons & {"cap_high", "cap_medium", "cap_low", "cap_total"}
    sent_hours = [datetime.fromisoformat(r["decided_at"]).hour for r in run[1]
                  if r["status"] == "sent" and r["category"] != "alert"]
    assert sent_hours and all(8 <= h < 22 for h in sent_hours)  # quiet hours held every proactive message


def test_hr_gets_its_messages_in_the_simulation(run):
    hr = [r for r in run[1] if r["category"] == "alert"]
    assert any(r["dedupe_key"].startswith("hr_report:") for r in hr)
    assert all(r["candidate_id"] == "" or r["dedupe_key"].startswith(("offer_unconfirmed_hr:",)) for r in hr)


def test_the_same_seed_gives_the_same_run(tmp_path):
    from zoneinfo import ZoneInfo

    import config

    start = datetime(2026, 11, 23, tzinfo=ZoneInfo("Asia/Shanghai"))
    cfg = config.load({"TESTING": True}, environ={})
    outs = []
    for n in range(2):
        simulate.run(cfg, candidates=8, days=2, seed=5, out=tmp_path / f"{n}.csv", start=start, progress=False,
                     echo=lambda s: None)
        outs.append((tmp_path / f"{n}.csv").read_text(encoding="utf-8"))
    assert outs[0] == outs[1] and outs[0].count("\n") > 1
    simulate.run(cfg, candidates=8, days=2, seed=6, out=tmp_path / "other.csv", start=start, progress=False,
                 echo=lambda s: None)
    assert (tmp_path / "other.csv").read_text(encoding="utf-8") != outs[0]


def test_next_monday():
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    assert simulate.next_monday(datetime(2026, 11, 23, 10, tzinfo=tz), tz) == datetime(2026, 11, 30, tzinfo=tz)
    assert simulate.next_monday(datetime(2026, 11, 29, 23, tzinfo=tz), tz) == datetime(2026, 11, 30, tzinfo=tz)
