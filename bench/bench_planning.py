"""Benchmark of the cadence planning tick (scheduler/cadence.run) over a large population, against the design it
replaces: one APScheduler job per reminder, measured in the same run.

- ours, cold: the first tick over N candidates; every candidate has something due (weekly task, fortnightly summary,
  offer reminder), so the tick reads everyone, plans, renders and queues ~N outbox rows;
- ours, warm: the next tick, where everything is already queued (the steady state: re-planning is harmless);
- baseline: APScheduler 3 with a SQLAlchemy job store on SQLite (and the memory job store) adding one job per reminder
  for the same reminders. The SQLite job store is measured on a sample (default 5,000 jobs) and extrapolated
  linearly to the full count, which is said in the output; it only adds jobs, it decides nothing.

Run from the repo root: `.venv/bin/python bench/bench_planning.py [--candidates 100000] [--baseline 5000]`.
Prints only; no asserts. Uses temporary SQLite files, never the app's database.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # a Monday morning


def remind(candidate_id: int, key: str) -> None:
    """The baseline's job function (never runs: the scheduler is paused)."""


def build_population(engine, n: int, seed: int = 1) -> None:
    """n candidates accepted 1-25 days ago (or offered 1-2 days ago), spread over 8 cohorts, tiers mixed, with two
    documents each (some missing); inserted with multi-row INSERTs."""
    from sqlalchemy import insert

    from models import Candidate, CandidateStatus, Channel, Cohort, Company, DocumentItem

    rng = random.Random(seed)
    now_utc = NOW.astimezone(timezone.utc)
    today = NOW.date()
    with engine.begin() as conn:
        conn.execute(insert(Company.__table__), [{"id": 1, "name": "bench", "timezone": "Asia/Shanghai",
                                                  "quiet_hours": "22:00-08:00", "holidays": [], "settings": {}}])
        cohorts = []
        for k in range(8):
            training = today + timedelta(days=4 + 6 * k)
            cohorts.append({"id": k + 1, "name": f"批次{k + 1}", "training_date": training, "report_time": "09:00",
                            "place": "", "meetup_at": datetime.combine(training - timedelta(days=10),
                                                                       datetime.min.time(), TZ).replace(hour=19, minute=30),
                            "meetup_url": f"https://m.example.com/{k + 1}"})
        conn.execute(insert(Cohort.__table__), cohorts)
        rows, docs = [], []
        for i in range(1, n + 1):
            offered = rng.random() < 0.1
            sent = now_utc - timedelta(hours=rng.randint(25, 47)) if offered else now_utc - timedelta(days=rng.randint(2, 26))
            accepted = None if offered else sent + timedelta(hours=3)
            cohort = cohorts[i % 8]
            tier = rng.choice(["high", "high", "medium", "medium", "low"])
            rows.append({
                "id": i, "name": f"候选人{i}", "channel": Channel.wecom, "channel_user_id": f"u{i}",
                "status": CandidateStatus.offered if offered else CandidateStatus.accepted, "offer_sent_at": sent,
                "offer_accepted_at": accepted, "offer_declined_at": None, "start_date": cohort["training_date"],
                "cohort_id": cohort["id"], "mentor_id": None, "department_id": None, "hr_owner_id": None,
                "position": "", "profile": {"interests": ["tech"]}, "quiet_mode": False, "opted_out": False,
                "channel_pref": None, "consent_at": accepted, "last_inbound_at": accepted, "preferred_time": None,
                "welcome_sent_at": accepted, "holdout": False, "reneged_before": 0, "risk": None,
                "stickiness": {"high": 85.0, "medium": 70.0, "low": 30.0}[tier], "tier": tier, "created_at": sent,
            })
            for name, long_lead in (("体检报告", True), ("银行卡信息", False)):
                docs.append({"candidate_id": i, "name": name, "required": True, "long_lead": long_lead,
                             "due_date": cohort["training_date"], "received_at": None if rng.random() < 0.3 else sent})
            if len(rows) >= 5000:
                conn.execute(insert(Candidate.__table__), rows)
                conn.execute(insert(DocumentItem.__table__), docs)
                rows, docs = [], []
        if rows:
            conn.execute(insert(Candidate.__table__), rows)
            conn.execute(insert(DocumentItem.__table__), docs)


def services_for(engine):
    import config
    from bot.outbox import Outbox
    from clock import FrozenClock
    from content import shared
    from engagement.policy import PolicySettings
    from models import Channel

    clock = FrozenClock(NOW, TZ)
    cfg = config.load({"TESTING": True}, environ={})
    settings = PolicySettings.from_config(cfg)
    return SimpleNamespace(config=cfg, engine=engine, clock=clock, content=shared(), owner="bench",
                           alert_recipient="robot:bench",
                           outbox=Outbox(engine, clock, {c: None for c in Channel}, lambda: settings, owner="bench"))


def baseline_jobs(reminders: list[tuple[int, str, datetime]], store: str, url: str | None = None) -> float:
    """Seconds to add one APScheduler job per reminder (scheduler started paused, so add_job writes the store)."""
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    jobstore = SQLAlchemyJobStore(url=url) if store == "sqlalchemy" else MemoryJobStore()
    sched = BackgroundScheduler(jobstores={"default": jobstore}, timezone=TZ)
    sched.start(paused=True)
    t0 = time.perf_counter()
    later = timedelta(days=365)  # what matters is the write; a run date in the past would make the job fire
    for cid, key, due in reminders:
        sched.add_job(remind, "date", run_date=due + later, args=[cid, key], id=key, replace_existing=True,
                      misfire_grace_time=3600)
    elapsed = time.perf_counter() - t0
    sched.shutdown(wait=True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=5_000, help="jobs added to the SQLite job store (sample)")
    args = parser.parse_args()

    import logging

    logging.disable(logging.WARNING)
    from sqlmodel import Session, func, select

    from models import OutboxItem, create_all, make_engine
    from scheduler import cadence

    work = Path(tempfile.mkdtemp(prefix="bench-planning-"))
    try:
        engine = make_engine(f"sqlite:///{work / 'plan.db'}")
        create_all(engine)
        t0 = time.perf_counter()
        build_population(engine, args.candidates)
        print(f"population: {args.candidates:,} candidates with documents, built in {time.perf_counter() - t0:.1f} s "
              f"(SQLite file, WAL)")
        svc = services_for(engine)
        cadence.assign_holdout(svc)  # as the `plan` tick does every minute, before the cadence tick

        t0 = time.perf_counter()
        cold = cadence.run(svc)
        cold_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = cadence.run(svc)
        warm_s = time.perf_counter() - t0
        with Session(engine) as db:
            rows = db.exec(select(OutboxItem.dedupe_key, OutboxItem.candidate_id, OutboxItem.due_at)
                           .where(OutboxItem.dedupe_key.not_like("%#%"))).all()
            parts = db.exec(select(func.count()).select_from(OutboxItem)).one()
        reminders = [(cid or 0, key, due) for key, cid, due in rows]
        print(f"ours, cold tick: {cold_s:6.2f} s  ({cold['candidates']:,} candidates read, {cold['queued']:,} messages "
              f"planned, {parts:,} outbox rows)")
        print(f"ours, warm tick: {warm_s:6.2f} s  ({warm['candidates']:,} candidates read, {warm['queued']} new)")

        t0 = time.perf_counter()
        stats = cadence.recompute_stickiness(svc)
        print(f"ours, stickiness tick (set-based rescore): {time.perf_counter() - t0:6.2f} s for {stats['scored']:,}")

        sample = reminders[: args.baseline]
        sql_s = baseline_jobs(sample, "sqlalchemy", f"sqlite:///{work / 'jobs.db'}")
        per_job = sql_s / max(1, len(sample))
        sql_full = per_job * len(reminders)
        mem_s = baseline_jobs(reminders, "memory")
        print(f"baseline, APScheduler SQLAlchemy job store (SQLite): {len(sample):,} jobs in {sql_s:.2f} s "
              f"({per_job * 1e3:.2f} ms/job) -> {len(reminders):,} jobs ≈ {sql_full:,.0f} s (extrapolated linearly "
              f"from the sample)")
        print(f"baseline, APScheduler memory job store: {len(reminders):,} jobs in {mem_s:.2f} s (lost on restart, "
              f"one process only)")
        print(f"ratio, SQLite job store (extrapolated) / our cold tick: {sql_full / cold_s:,.0f}x")
        print(f"ratio, memory job store / our cold tick: {mem_s / cold_s:.1f}x")
        print(f"ratio, SQLite job store (extrapolated) / our warm tick: {sql_full / warm_s:,.0f}x")
        engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
