"""`flask --app app simulate`: the real cadence planners and the real delivery policy over synthetic candidates, on
a simulated clock, in a throw-away SQLite database. Nothing is sent: a stand-in dispatcher asks the policy about every
due message exactly as the outbox does once wired (`decide(item, candidate, now, settings, history_for(...))`) and
a fake channel accepts whatever goes.

Each hour of simulated time: candidates act according to their behaviour profile (reply, do the weekly task, hand in
documents, switch on quiet mode, opt out, have their start date moved, renege), the stickiness of those who wrote is
recomputed (as on every inbound), every 6 hours everyone is rescored (the periodic tick), the cadence runner plans,
and the due messages are decided. The CSV has one row per planned message with its final status and reason: a
message cancelled by the planner (renege, start date moved, reason gone) is `suppressed` with that reason, one still
waiting for its time at the end is `held` with reason `not_due_yet`.

Simplified on purpose: no welcome pack (candidates who accept during the run are marked welcomed), no retries or
rate limits (the fake channel accepts everything), the worker ticks once per simulated hour.
"""

from __future__ import annotations

import csv
import heapq
import random
import shutil
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Mapping

from sqlmodel import Session, select

from bot.outbox import Outbox
from clock import FrozenClock
from content import shared
from engagement import stickiness as stickiness_mod
from engagement import tasks as tasks_mod
from engagement.policy import Action, PolicySettings, decide, history_for
from models import (
    Candidate,
    CandidateStatus,
    Category,
    Channel,
    Cohort,
    Company,
    DocumentItem,
    EngagementEvent,
    OutboxItem,
    OutboxStatus,
    create_all,
    make_engine,
)
from scheduler import cadence

PROFILES: dict[str, float] = {  # behaviour profile -> share of the population
    "responsive": 0.30, "slow": 0.20, "silent": 0.15, "quiet_mode": 0.10, "opts_out": 0.08, "start_moved": 0.09,
    "reneges": 0.08,
}
PROACTIVE = {Category.critical, Category.task, Category.engagement}
CSV_FIELDS = ["candidate_id", "tier", "quiet_mode", "holdout", "category", "dedupe_key", "planned_at", "decided_at",
              "status", "reason"]
DOCS = [("身份证复印件", False), ("学历学位证书", False), ("体检报告", True), ("离职证明", True), ("银行卡信息", False)]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂"


class AcceptAll:
    """The fake channel: every message is accepted."""

    def send(self, item) -> str | None:
        return None


@dataclass
class Person:
    id: int
    profile: str
    channel: Channel
    accepts_at: datetime | None = None  # offered now, accepts then (None: never)
    event_at: datetime | None = None  # opts out / start date moved / reneges at this time
    docs_by: dict[int, datetime] = field(default_factory=dict)  # document id -> when it is handed in


@dataclass
class Summary:
    candidates: int
    days: int
    rows: int
    sent: Counter  # (tier, category) -> messages sent
    tier_weeks: Mapping[str, float]  # tier -> candidate-weeks spent in it
    held: Counter  # reason -> messages held at least once for it
    suppressed: Counter  # reason -> messages suppressed (or cancelled) for it
    max_capped_7d: int  # most task+engagement messages any candidate got in a rolling 7 days
    max_proactive_7d: int
    holdout_sent: Counter  # category -> messages sent to the hold-out arm

    def per_week(self, tier: str, category: str) -> float:
        weeks = self.tier_weeks.get(tier, 0.0)
        return self.sent[(tier, category)] / weeks if weeks else 0.0


def _local(dt: datetime | None, tz) -> str:
    return "" if dt is None else dt.astimezone(tz).isoformat(timespec="seconds")


class Simulation:
    def __init__(self, base_config: Mapping[str, Any], *, candidates: int, days: int, seed: int, start: datetime,
                 workdir: Path):
        self.rng = random.Random(seed)
        self.n, self.days = candidates, days
        self.tz = start.tzinfo
        self.clock = FrozenClock(start, self.tz)
        self.engine = make_engine(f"sqlite:///{workdir / 'simulation.db'}")
        create_all(self.engine)
        cfg = {**base_config, "DATABASE_URL": f"sqlite:///{workdir / 'simulation.db'}"}
        # The simulated company has the Official Account configured, so its 48 h window applies.
        self.settings = replace(PolicySettings.from_config(cfg), windowed=frozenset({Channel.wechat}))
        self.stickiness = stickiness_mod.StickinessSettings.from_config(
            cfg, {int(t["week"]): t["key"] for t in shared().tasks})
        self.services = SimpleNamespace(
            config=cfg, engine=self.engine, clock=self.clock, content=shared(), owner="simulation",
            alert_recipient="robot:simulated-hr",
            outbox=Outbox(self.engine, self.clock, {ch: AcceptAll() for ch in Channel}, lambda: self.settings,
                          owner="simulation"),
        )
        self.sender = AcceptAll()
        self.people: dict[int, Person] = {}
        self.actions: list[tuple[datetime, int, int, str]] = []  # heap of (when, seq, candidate id, action)
        self.seq = 0
        self.decisions: dict[int, tuple[datetime, str | None, bool, bool]] = {}  # item -> (when, tier, quiet, holdout)
        self.held: set[tuple[int, str]] = set()
        self.sent_log: dict[int, list[tuple[datetime, Category]]] = defaultdict(list)
        self.tier_days: Counter = Counter()

    # --- the population ------------------------------------------------------------------------------------------

    def _schedule(self, when: datetime, cid: int, action: str) -> None:
        self.seq += 1
        heapq.heappush(self.actions, (when, self.seq, cid, action))

    def populate(self) -> None:
        rng, now = self.rng, self.clock.now()
        today = now.astimezone(self.tz).date()
        with Session(self.engine) as db:
            db.add(Company(id=1, name="模拟公司", timezone=str(self.tz)))
            cohorts = []
            for k in range(3):  # start dates spread over the simulated period and beyond
                training = today + timedelta(days=12 + k * max(7, self.days // 3))
                cohort = Cohort(name=f"模拟批次 {k + 1}", training_date=training,
                                meetup_at=datetime.combine(training - timedelta(days=10), time(19, 30), self.tz),
                                meetup_url=f"https://meeting.example.com/sim/{k + 1}")
                db.add(cohort)
                cohorts.append(cohort)
            db.flush()
            names = list(PROFILES)
            weights = list(PROFILES.values())
            for i in range(self.n):
                profile = rng.choices(names, weights)[0]
                cohort = rng.choice(cohorts)
                channel = Channel.wechat if rng.random() < 0.3 else Channel.wecom
                offered = rng.random() < 0.15
                sent_at = now - timedelta(hours=rng.randint(1, 40) if offered else rng.randint(24, 24 * 12))
                accepted_at = None if offered else sent_at + timedelta(hours=rng.randint(2, 20))
                interests = rng.sample(["tech", "product", "data", "career", "industry", "culture"], 2)
                c = Candidate(
                    name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), channel=channel,
                    channel_user_id=f"sim{i + 1:06d}", status=CandidateStatus.offered if offered else CandidateStatus.accepted,
                    offer_sent_at=sent_at, offer_accepted_at=accepted_at, start_date=cohort.training_date,
                    cohort_id=cohort.id, profile={"interests": interests},
                    preferred_time=rng.choice([None, None, "morning", "noon", "evening"]),
                    quiet_mode=profile == "quiet_mode", welcome_sent_at=accepted_at,
                    last_inbound_at=self._last_seen(profile, accepted_at or sent_at, now),
                    consent_at=accepted_at, created_at=sent_at)
                db.add(c)
                db.flush()
                if accepted_at is not None and now - accepted_at > timedelta(days=7) and self._task_delay(profile):
                    first = shared().task(1)  # the week-1 task of those accepted before the simulation began
                    tasks_mod.complete(db, c.id, task_key=first["key"], kind="task", points_worth=int(first["points"]),
                                       answer="（模拟）", now=accepted_at + timedelta(days=2))
                person = Person(c.id, profile, channel)
                if offered and profile in ("responsive", "slow", "quiet_mode", "start_moved", "opts_out"):
                    person.accepts_at = now + timedelta(hours=rng.randint(20, 60))
                    self._schedule(person.accepts_at, c.id, "accept")
                if profile in ("opts_out", "start_moved", "reneges"):
                    person.event_at = now + timedelta(hours=rng.randint(48, max(49, self.days * 24 * 2 // 3)))
                    self._schedule(person.event_at, c.id, profile)
                chance = {"responsive": 0.95, "slow": 0.7, "silent": 0.3}.get(profile, 0.8)
                for doc_name, long_lead in DOCS:
                    doc = DocumentItem(candidate_id=c.id, name=doc_name, long_lead=long_lead,
                                       due_date=cohort.training_date - timedelta(days=3))
                    db.add(doc)
                    db.flush()
                    if rng.random() < chance:
                        latest = max(1, (cohort.training_date - today).days - 1)
                        when = now + timedelta(days=rng.uniform(0, latest))
                        self._schedule(when, c.id, f"doc:{doc.id}")
                self.people[c.id] = person
            db.commit()

    def _last_seen(self, profile: str, since: datetime, now: datetime) -> datetime | None:
        """When a candidate accepted before the simulation last wrote, by profile."""
        if profile == "silent":
            return None
        days = {"responsive": 2, "slow": 6}.get(profile, 4)
        return max(since, now - timedelta(days=self.rng.uniform(0, days)))

    # --- behaviour -----------------------------------------------------------------------------------------------

    def _reply_delay(self, profile: str, category: Category) -> timedelta | None:
        rng = self.rng
        if profile in ("responsive", "opts_out", "start_moved"):
            return timedelta(minutes=rng.randint(5, 90)) if rng.random() < 0.85 else None
        if profile in ("slow", "reneges"):
            return timedelta(hours=rng.uniform(10, 40)) if rng.random() < 0.6 else None
        if profile == "quiet_mode":
            return timedelta(hours=rng.uniform(1, 12)) if category == Category.critical and rng.random() < 0.5 else None
        return None  # silent

    def _task_delay(self, profile: str) -> timedelta | None:
        rng = self.rng
        if profile in ("responsive", "opts_out", "start_moved"):
            return timedelta(hours=rng.uniform(2, 30)) if rng.random() < 0.8 else None
        if profile in ("slow", "reneges"):
            return timedelta(days=rng.uniform(1.5, 4)) if rng.random() < 0.45 else None
        return None

    def on_sent(self, item: OutboxItem, now: datetime) -> None:
        """A candidate got a message: maybe a reply later, maybe the weekly task done later."""
        person = self.people.get(item.candidate_id)
        if person is None:
            return
        delay = self._reply_delay(person.profile, Category(item.category))
        if delay is not None:
            self._schedule(now + delay, person.id, "reply")
        if item.dedupe_key.startswith(("weekly_task:", "task_nudge:", "low_digest:")):
            delay = self._task_delay(person.profile)
            if delay is not None:
                self._schedule(now + delay, person.id, "task")

    def act(self, now: datetime) -> None:
        """Everything the candidates do up to `now`."""
        touched = set()
        with Session(self.engine) as db:
            while self.actions and self.actions[0][0] <= now:
                when, _, cid, action = heapq.heappop(self.actions)
                c = db.get(Candidate, cid)
                if c.status in (CandidateStatus.reneged, CandidateStatus.withdrawn):
                    continue
                if action == "reply":
                    self._inbound(db, c, when)
                    touched.add(cid)
                elif action == "task":
                    self._do_task(db, c, when)
                    touched.add(cid)
                elif action == "accept":
                    c.status, c.offer_accepted_at, c.welcome_sent_at = CandidateStatus.accepted, when, when
                    self._inbound(db, c, when)
                    touched.add(cid)
                elif action.startswith("doc:"):
                    doc = db.get(DocumentItem, int(action[4:]))
                    doc.received_at = when
                    db.add(doc)
                elif action == "opts_out":
                    c.opted_out = True
                elif action == "start_moved":
                    if c.start_date is not None:
                        c.start_date = c.start_date + timedelta(days=self.rng.choice([7, 7, 14, -3]))
                        if c.start_date <= when.astimezone(self.tz).date():
                            c.start_date = when.astimezone(self.tz).date() + timedelta(days=5)
                elif action == "reneges":
                    c.status, c.offer_declined_at = CandidateStatus.reneged, when
                db.add(c)
            for cid in touched:  # what the lead wires on every inbound
                c = db.get(Candidate, cid)
                stickiness_mod.recompute(db, c, now, self.stickiness)
            db.commit()

    def _inbound(self, db: Session, c: Candidate, when: datetime) -> None:
        previous = c.last_inbound_at
        last_push = max((at for at, cat in self.sent_log.get(c.id, []) if cat in PROACTIVE), default=None)
        c.last_inbound_at = when
        db.add(EngagementEvent(candidate_id=c.id, kind="inbound", at=when))
        if last_push is not None and (previous is None or previous < last_push) and last_push <= when:
            db.add(EngagementEvent(candidate_id=c.id, kind="reply", at=when, value=(when - last_push).total_seconds()))

    def _do_task(self, db: Session, c: Candidate, when: datetime) -> None:
        week = cadence.programme_week(cadence.CandidateView(
            id=c.id, name=c.name, channel=c.channel, user_id=c.channel_user_id, status=c.status,
            offer_accepted_at=c.offer_accepted_at), when.astimezone(self.tz).date(), self.tz)
        task = shared().task(week[0]) if week else None
        if task is not None:
            tasks_mod.complete(db, c.id, task_key=task["key"], kind="task", points_worth=int(task["points"]),
                               answer="（模拟）", now=when)
            self._inbound(db, c, when)

    # --- the worker ----------------------------------------------------------------------------------------------

    def dispatch(self, now: datetime) -> None:
        """What the outbox does with each due row, with the policy wired (history included); nothing is sent."""
        with Session(self.engine, expire_on_commit=False) as db:
            due = db.exec(select(OutboxItem).where(OutboxItem.status.in_([OutboxStatus.pending, OutboxStatus.held]),
                                                   OutboxItem.due_at <= now)
                          .order_by(OutboxItem.due_at, OutboxItem.id)).all()
            for item in due:
                cand = db.get(Candidate, item.candidate_id) if item.candidate_id else None
                decision = decide(item, cand, now, self.settings, history_for(db, item.candidate_id, now))
                if cand is not None:
                    self.decisions[item.id] = (now, cand.tier, cand.quiet_mode, cand.holdout)
                else:
                    self.decisions[item.id] = (now, None, False, False)
                if decision.action == Action.SEND:
                    self.sender.send(item)
                    item.status, item.sent_at, item.reason, item.attempts = OutboxStatus.sent, now, None, 1
                    if item.candidate_id:
                        self.sent_log[item.candidate_id].append((now, Category(item.category)))
                        self.on_sent(item, now)
                elif decision.action == Action.HOLD:
                    item.status, item.due_at, item.reason = OutboxStatus.held, decision.send_at, decision.reason
                    self.held.add((item.id, decision.reason))
                else:
                    item.status, item.reason = OutboxStatus.suppressed, decision.reason
                db.add(item)
                db.commit()  # one row at a time, as the outbox does: the next decision sees this one in history

    def sample_tiers(self, now: datetime) -> None:
        today = now.astimezone(self.tz).date()
        with Session(self.engine) as db:
            for tier, holdout, start, status in db.exec(select(Candidate.tier, Candidate.holdout, Candidate.start_date,
                                                               Candidate.status)).all():
                if status in (CandidateStatus.offered, CandidateStatus.accepted) and (start is None or start >= today):
                    self.tier_days[tier or "unscored"] += 1
                    if holdout:
                        self.tier_days["holdout"] += 1

    def run(self, progress: bool = True) -> None:
        from tqdm import tqdm

        steps = self.days * 24
        bar = tqdm(total=steps, desc="simulating", unit="h", disable=not progress, leave=False)
        for step in range(steps + 1):
            now = self.clock.now()
            self.act(now)
            if step % 6 == 0:
                cadence.recompute_stickiness(self.services, now)
            cadence.run(self.services, now)
            self.dispatch(now)
            if now.astimezone(self.tz).hour == 12:
                self.sample_tiers(now)
            if step < steps:
                self.clock.advance(hours=1)
                bar.update(1)
        bar.close()

    # --- results -------------------------------------------------------------------------------------------------

    def write_csv(self, path: Path) -> int:
        end = self.clock.now()
        n = 0
        with Session(self.engine) as db, open(path, "w", newline="", encoding="utf-8") as fh:
            current = {c.id: (c.tier, c.quiet_mode, c.holdout) for c in db.exec(select(Candidate))}
            writer = csv.writer(fh)
            writer.writerow(CSV_FIELDS)
            for item in db.exec(select(OutboxItem).order_by(OutboxItem.created_at, OutboxItem.id)):
                if "#" in item.dedupe_key:
                    continue  # the 2nd, 3rd ... piece of a long message is the same planned message
                decided_at, tier, quiet, holdout = self.decisions.get(
                    item.id, (None, *current.get(item.candidate_id, (None, False, False))))
                status, reason = _final(item, end)
                writer.writerow([item.candidate_id or "", tier or "", int(bool(quiet)), int(bool(holdout)),
                                 Category(item.category).value, item.dedupe_key, _local(item.created_at, self.tz),
                                 _local(decided_at, self.tz), status, reason])
                n += 1
        return n

    def summary(self, rows: int) -> Summary:
        sent: Counter = Counter()
        holdout_sent: Counter = Counter()
        suppressed: Counter = Counter()
        end = self.clock.now()
        with Session(self.engine) as db:
            for item in db.exec(select(OutboxItem).where(OutboxItem.dedupe_key.not_like("%#%"))):
                status, reason = _final(item, end)
                if status == "suppressed":
                    suppressed[reason] += 1
                if status != "sent" or item.candidate_id is None:
                    continue
                _, tier, _, holdout = self.decisions[item.id]
                sent[(tier or "unscored", Category(item.category).value)] += 1
                if holdout:
                    holdout_sent[Category(item.category).value] += 1
        held = Counter(reason for _, reason in self.held)
        worst_capped = worst_all = 0
        for log in self.sent_log.values():
            for i, (at, _) in enumerate(log):
                window = [cat for t, cat in log[i:] if t < at + timedelta(days=7)]
                worst_capped = max(worst_capped, sum(cat in (Category.task, Category.engagement) for cat in window))
                worst_all = max(worst_all, sum(cat in PROACTIVE for cat in window))
        return Summary(self.n, self.days, rows, sent, {k: v / 7 for k, v in self.tier_days.items()}, held, suppressed,
                       worst_capped, worst_all, holdout_sent)


def _final(item: OutboxItem, end: datetime) -> tuple[str, str]:
    """The CSV's status (sent | held | suppressed) and reason of a row at the end of the simulation."""
    status = OutboxStatus(item.status)
    if status == OutboxStatus.sent:
        return "sent", ""
    if status in (OutboxStatus.suppressed, OutboxStatus.cancelled, OutboxStatus.failed):
        return "suppressed", item.reason or status.value
    return "held", item.reason or ("not_due_yet" if item.due_at > end else "pending")


def format_summary(s: Summary) -> str:
    """The printed summary: messages per candidate per week by tier and category, held and suppressed by reason."""
    cats = [c.value for c in (Category.critical, Category.task, Category.engagement)]
    lines = [f"{s.candidates} candidates, {s.days} days, {s.rows} planned messages", "",
             "messages sent per candidate per week (by tier at decision):",
             f"  {'tier':<10}{'cand-weeks':>11}" + "".join(f"{c:>12}" for c in cats) + f"{'all':>8}"]
    for tier in ("high", "medium", "low", "unscored"):
        weeks = s.tier_weeks.get(tier, 0.0)
        if not weeks and not any(s.sent[(tier, c)] for c in cats):
            continue
        per = [s.per_week(tier, c) for c in cats]
        lines.append(f"  {tier:<10}{weeks:>11.1f}" + "".join(f"{v:>12.2f}" for v in per) + f"{sum(per):>8.2f}")
    hw = s.tier_weeks.get("holdout", 0.0)
    if hw:
        per = [s.holdout_sent[c] / hw for c in cats]
        lines.append(f"  {'hold-out':<10}{hw:>11.1f}" + "".join(f"{v:>12.2f}" for v in per) + f"{sum(per):>8.2f}")
    lines += ["", f"most task+engagement messages to one candidate in any 7 days: {s.max_capped_7d}; "
                  f"most proactive (critical included): {s.max_proactive_7d}", "", "held at least once, by reason:"]
    lines += [f"  {reason:<24}{n:>7}" for reason, n in s.held.most_common()] or ["  (none)"]
    lines += ["", "suppressed or cancelled, by reason:"]
    lines += [f"  {reason:<24}{n:>7}" for reason, n in s.suppressed.most_common()] or ["  (none)"]
    return "\n".join(lines)


def next_monday(now: datetime, tz) -> datetime:
    local = now.astimezone(tz)
    monday = local.date() + timedelta(days=(7 - local.weekday()) % 7 or 7)
    return datetime.combine(monday, time(0, 0), tz)


def run(base_config: Mapping[str, Any], *, candidates: int, days: int, seed: int, out: str | Path,
        start: datetime, progress: bool = True, echo: Callable[[str], None] = print) -> Summary:
    """Simulate, write the CSV, print the summary; the temporary database is removed afterwards."""
    if candidates < 1 or days < 1:
        raise ValueError("--candidates and --days must be at least 1")
    workdir = Path(tempfile.mkdtemp(prefix="offerbot-simulate-"))
    try:
        sim = Simulation(base_config, candidates=candidates, days=days, seed=seed, start=start, workdir=workdir)
        sim.populate()
        sim.run(progress=progress)
        rows = sim.write_csv(Path(out))
        summary = sim.summary(rows)
        sim.engine.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    echo(format_summary(summary))
    echo(f"\nwrote {rows} rows to {out}")
    return summary
