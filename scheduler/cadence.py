"""The cadence: what each candidate receives and when, planned set-based from the database every few minutes.

Planners are pure: `plan(candidate, now, history, env) -> list[Planned]` over a snapshot of one candidate (no
database, no clock). A planner emits a message once its time has come (and not after it went stale), with a dedupe
key per logical message, so running it again — every tick, in a restarted worker — queues nothing new. Which
messages actually go, when, is the delivery policy's call at dispatch (engagement/policy.py): quiet mode, hold-out,
caps per tier, quiet hours, the Official Account's 48 h window.

What is planned (keys in brackets; {d} is the start date, so a moved start date re-plans those):
- the weekly task of the candidate's programme week, week 1 starting on acceptance [weekly_task:{c}:{week}];
  high and medium tier (low tier gets it in the fortnightly summary);
- mid-week (high tier): a nudge if the task is not done yet [task_nudge:{c}:{week}], else a lesson suggestion by
  the profile's interests [lesson:{c}:{week}];
- the Friday digest (high tier): the week, points, what's next; shorter when the candidate was active this week,
  skipped when they were active and did the task [digest:{c}:{friday}];
- low tier: one message a fortnight with only the key facts, merged [low_digest:{c}:{week}];
- offer sent and not confirmed after 24 h: reminder to the candidate (critical) [offer_unconfirmed:{c}] and an alert
  to HR [offer_unconfirmed_hr:{c}];
- documents missing at T-7 (long-lead items) and T-3 (all): reminder listing exactly what is missing (critical)
  [docs_t7:{c}:{d}, docs_t3:{c}:{d}], and one HR alert per start date [docs_hr:{d}:t7, docs_hr:{d}:t3];
- T-10: invitation to the cohort's online meetup [meetup:{c}:{d}];
- every HR_REPORT_EVERY_DAYS days: stickiness report to the HR group robot [hr_report:{first day}];
- a start date change cancels what was planned for the old date and tells the candidate [start_date_changed:{c}:{d}];
  a renege or withdrawal cancels everything pending for the candidate.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from bot.outbox import split_text
from engagement import holdout as holdout_mod
from engagement import stickiness as stickiness_mod
from engagement.onboarding import week_of
from engagement.policy import OA_WINDOW
from models import (
    CadenceState,
    Candidate,
    CandidateStatus,
    Category,
    Channel,
    Cohort,
    DocumentItem,
    OutboxItem,
    OutboxStatus,
    PointsEntry,
    StickinessScore,
    TaskCompletion,
)

log = logging.getLogger(__name__)

BATCH = 2000
BULK_FROM = 200  # more new messages than this in one batch: one multi-row INSERT instead of enqueue() per message
ROBOT_MAX_BYTES = 4096
OPEN = [OutboxStatus.pending, OutboxStatus.held]
PREFERRED = {"morning": time(9, 0), "noon": time(12, 15), "evening": time(19, 30)}
DEFAULT_TIME = time(10, 0)
DOCS_TIME = time(10, 0)
REPORT_TIME = time(9, 30)
OFFER_GRACE = timedelta(hours=24)
OFFER_GIVE_UP = timedelta(days=7)  # an offer unconfirmed this long is HR's phone call, not a bot reminder
MEETUP_DAYS = 10
SILENT_DAYS = 7  # the HR report lists candidates quiet for this long
LISTED = 10  # names per list in HR messages before "… and N more"
CATCH_UP = timedelta(days=1)  # a mid-week message planned late (worker down, candidate imported late) after this: skip


# --- what a planner sees -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    name: str
    long_lead: bool = False
    due_date: date | None = None


@dataclass(frozen=True)
class CohortView:
    id: int
    name: str
    training_date: date | None = None
    meetup_at: datetime | None = None
    meetup_url: str | None = None


@dataclass(frozen=True)
class CandidateView:
    """A snapshot of one candidate: everything the planners may know about them."""

    id: int
    name: str
    channel: Channel
    user_id: str
    status: CandidateStatus
    offer_sent_at: datetime | None = None
    offer_accepted_at: datetime | None = None
    start_date: date | None = None  # the candidate's start date, else the cohort's training date
    cohort: CohortView | None = None
    tier: str | None = None
    quiet_mode: bool = False
    opted_out: bool = False
    holdout: bool = False
    interests: tuple[str, ...] = ()
    preferred_time: str | None = None
    last_inbound_at: datetime | None = None
    missing_docs: tuple[Doc, ...] = ()


@dataclass(frozen=True)
class History:
    """What the candidate has done so far."""

    tasks_done: frozenset[str] = frozenset()
    lessons_done: frozenset[str] = frozenset()
    points: int = 0


@dataclass(frozen=True)
class Env:
    """What planners know besides the candidate: the time zone and the content."""

    tz: ZoneInfo
    tasks: Mapping[int, dict]  # programme week -> weekly task
    lessons: tuple[dict, ...] = ()
    hr_recipient: str | None = None  # the HR group robot; None = no HR messages (console only)
    report_every_days: int = 3


@dataclass(frozen=True)
class Planned:
    key: str
    category: Category
    due_at: datetime
    template: str
    vars: dict = field(default_factory=dict)
    expires_at: datetime | None = None
    to_hr: bool = False  # to the HR group robot (markdown) instead of the candidate
    summary: str = ""  # a 20-character gist, for an Official Account template message if one has to stand in


# --- time helpers ------------------------------------------------------------------------------------------------


def _at(day: date, t: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, t, tz)


@lru_cache(maxsize=64)
def _local_day(now: datetime, tz: ZoneInfo) -> date:
    """The local date of `now` (asked seven times per candidate per tick, for the same `now`)."""
    return now.astimezone(tz).date()


@lru_cache(maxsize=4096)
def send_time(c: CandidateView) -> time:
    return PREFERRED.get(c.preferred_time or "", DEFAULT_TIME)


def programme_week(c: CandidateView, today: date, tz: ZoneInfo) -> tuple[int, date] | None:
    """(week number, first day of that week); the one rule lives in engagement.onboarding.week_of."""
    return week_of(c.offer_accepted_at, today, tz)


def _due(when: datetime, now: datetime, expires: datetime | None) -> bool:
    """Its time has come and it is not stale yet."""
    return when <= now and (expires is None or now < expires)


# --- the planners (pure) -----------------------------------------------------------------------------------------


def _tier(c: CandidateView) -> str:
    return c.tier if c.tier in ("high", "medium", "low") else "medium"


def _upcoming_meetup(c: CandidateView, now: datetime, within: timedelta) -> CohortView | None:
    m = c.cohort
    if m is None or m.meetup_at is None or not m.meetup_url:
        return None
    return m if now < m.meetup_at <= now + within else None


def _common(c: CandidateView, today: date) -> dict:
    return {"name": c.name, "oa": c.channel == Channel.wechat,
            "days_left": (c.start_date - today).days if c.start_date else None}


def plan_weekly_task(c: CandidateView, now: datetime, history: History, env: Env) -> list[Planned]:
    """Start of each programme week (high and medium tier): that week's task, unless already done."""
    today = _local_day(now, env.tz)
    pw = programme_week(c, today, env.tz)
    if c.status != CandidateStatus.accepted or pw is None or _tier(c) == "low":
        return []
    week, first = pw
    task = env.tasks.get(week)
    if task is None or task["key"] in history.tasks_done:
        return []
    day = first + timedelta(days=1) if week == 1 else first  # week 1: the welcome pack had the acceptance day
    if c.start_date is not None and day >= c.start_date:
        return []
    when, expires = _at(day, send_time(c), env.tz), _at(first + timedelta(days=7), time(0), env.tz)
    if not _due(when, now, expires):
        return []
    meetup = _upcoming_meetup(c, now, timedelta(days=MEETUP_DAYS)) if _tier(c) == "medium" else None
    return [Planned(f"weekly_task:{c.id}:{week}", Category.task, when, "cadence_weekly_task",
                    {**_common(c, today), "week": week, "task": task, "meetup": _meetup_vars(meetup, env.tz)},
                    expires, summary=f"第{week}周任务：{task['title']}"[:20])]


def plan_midweek(c: CandidateView, now: datetime, history: History, env: Env) -> list[Planned]:
    """Mid-week (high tier only): a nudge for an unfinished weekly task, else a lesson on the candidate's interests."""
    today = _local_day(now, env.tz)
    pw = programme_week(c, today, env.tz)
    if c.status != CandidateStatus.accepted or pw is None or _tier(c) != "high":
        return []
    week, first = pw
    day = first + timedelta(days=3)
    if c.start_date is not None and day >= c.start_date:
        return []
    when, expires = _at(day, send_time(c), env.tz), _at(first + timedelta(days=7), time(0), env.tz)
    if not _due(when, now, min(expires, when + CATCH_UP)):  # a day late at most: never right behind the task
        return []
    task = env.tasks.get(week)
    if task is not None and task["key"] not in history.tasks_done:
        return [Planned(f"task_nudge:{c.id}:{week}", Category.task, when, "cadence_task_nudge",
                        {**_common(c, today), "task": task}, expires, summary=f"本周任务：{task['title']}"[:20])]
    lesson = suggest_lesson(c.interests, history.lessons_done, env.lessons)
    if lesson is None:
        return []
    return [Planned(f"lesson:{c.id}:{week}", Category.task, when, "cadence_lesson",
                    {**_common(c, today), "lesson": lesson, "matched": lesson.get("topic") in c.interests,
                     "task_done": task is not None},
                    expires, summary=f"微课：{lesson['title']}"[:20])]


def suggest_lesson(interests: Sequence[str], done: Iterable[str], lessons: Sequence[dict]) -> dict | None:
    """The first lesson not passed yet, on the candidate's interests first (file order within each group)."""
    done = set(done)
    todo = [l for l in lessons if l["key"] not in done]
    return next((l for l in todo if l.get("topic") in interests), todo[0] if todo else None)


def plan_digest(c: CandidateView, now: datetime, history: History, env: Env) -> list[Planned]:
    """Friday (high tier): the week in short, points and what's next; shorter if the candidate was active this week,
    none if they were active and did the week's task."""
    local = now.astimezone(env.tz)
    today = local.date()
    if c.status != CandidateStatus.accepted or c.offer_accepted_at is None or _tier(c) != "high":
        return []
    monday = today - timedelta(days=today.weekday())
    friday = monday + timedelta(days=4)
    if c.start_date is not None and friday >= c.start_date:
        return []
    when = _at(friday, time(19, 30) if c.preferred_time == "evening" else time(17, 30), env.tz)
    expires = _at(monday + timedelta(days=7), time(0), env.tz)
    if not _due(when, now, expires) or c.offer_accepted_at > when:
        return []
    pw = programme_week(c, today, env.tz)
    week = pw[0] if pw else 1
    task, nxt = env.tasks.get(week), env.tasks.get(week + 1)
    task_done = task is not None and task["key"] in history.tasks_done
    active = c.last_inbound_at is not None and c.last_inbound_at >= _at(monday, time(0), env.tz)
    if active and (task_done or task is None):
        return []
    return [Planned(f"digest:{c.id}:{friday.isoformat()}", Category.engagement, when, "cadence_digest",
                    {**_common(c, today), "short": active, "week": week, "task": task, "task_done": task_done,
                     "next_task": nxt, "points": history.points, "docs_missing": [d.name for d in c.missing_docs],
                     "meetup": _meetup_vars(_upcoming_meetup(c, now, timedelta(days=14)), env.tz)},
                    expires, summary="本周小结")]


def plan_low_digest(c: CandidateView, now: datetime, history: History, env: Env) -> list[Planned]:
    """Every other programme week (low tier): one message with only the key facts, merged."""
    today = _local_day(now, env.tz)
    pw = programme_week(c, today, env.tz)
    if c.status != CandidateStatus.accepted or pw is None or _tier(c) != "low":
        return []
    week, first = pw
    if week % 2 == 0:
        return []
    day = first + timedelta(days=1)
    if c.start_date is not None and day >= c.start_date:
        return []
    when, expires = _at(day, send_time(c), env.tz), _at(first + timedelta(days=7), time(0), env.tz)
    if not _due(when, now, expires):
        return []
    task = env.tasks.get(week)
    return [Planned(f"low_digest:{c.id}:{week}", Category.engagement, when, "cadence_low_digest",
                    {**_common(c, today), "task": task if task and task["key"] not in history.tasks_done else None,
                     "docs_missing": [d.name for d in c.missing_docs], "points": history.points,
                     "meetup": _meetup_vars(_upcoming_meetup(c, now, timedelta(days=14)), env.tz)},
                    expires, summary="入职前要点")]


def plan_offer_unconfirmed(c: CandidateView, now: datetime, history: History, env: Env) -> list[Planned]:
    """24 h after the offer went out, not confirmed yet: a reminder to the candidate (critical) and an HR alert."""
    if c.status != CandidateStatus.offered or c.offer_sent_at is None:
        return []
    when = c.offer_sent_at + OFFER_GRACE
    if not _due(when, now, c.offer_sent_at + OFFER_GIVE_UP):
        return []
    today = _local_day(now, env.tz)
    out = [Planned(f"offer_unconfirmed:{c.id}", Category.critical, when, "cadence_offer_reminder",
                   {**_common(c, today), "start_date": c.start_date}, summary="offer 待确认")]
    if env.hr_recipient:
        hours = int((now - c.offer_sent_at).total_seconds() // 3600)
        out.append(Planned(f"offer_unconfirmed_hr:{c.id}", Category.alert, when, "cadence_offer_hr",
                           {"name": c.name, "hours": hours, "sent_at": c.offer_sent_at.astimezone(env.tz),
                            "start_date": c.start_date, "cohort": c.cohort.name if c.cohort else None}, to_hr=True))
    return out


def docs_milestone(c: CandidateView, now: datetime, env: Env) -> tuple[str, list[Doc]] | None:
    """("t7" | "t3", the documents to remind about) when a documents reminder is due now, else None."""
    if c.status != CandidateStatus.accepted or c.start_date is None or not c.missing_docs:
        return None
    today = _local_day(now, env.tz)
    days = (c.start_date - today).days
    if 0 < days <= 3 and now >= _at(max(today, c.start_date - timedelta(days=3)), DOCS_TIME, env.tz):
        return "t3", list(c.missing_docs)
    long_lead = [d for d in c.missing_docs if d.long_lead]
    if 3 < days <= 7 and long_lead and now >= _at(max(today, c.start_date - timedelta(days=7)), DOCS_TIME, env.tz):
        return "t7", long_lead
    return None


def plan_documents(c: CandidateView, now: datetime, history: History, env: Env) -> list[Planned]:
    """T-7 (long-lead items) and T-3 (everything): the documents still missing, by name (critical)."""
    found = docs_milestone(c, now, env)
    if found is None:
        return []
    milestone, docs = found
    today = _local_day(now, env.tz)
    return [Planned(f"docs_{milestone}:{c.id}:{c.start_date.isoformat()}", Category.critical, now,
                    "cadence_docs_reminder",
                    {**_common(c, today), "missing": [d.name for d in docs], "start_date": c.start_date,
                     "long_lead": milestone == "t7"},
                    _at(c.start_date + timedelta(days=1), time(0), env.tz),
                    summary=("待交：" + "、".join(d.name for d in docs))[:20])]


def _meetup_vars(m: CohortView | None, tz: ZoneInfo) -> dict | None:
    if m is None:
        return None
    at = m.meetup_at.astimezone(tz)
    return {"cohort": m.name, "date": at.date(), "time": at.strftime("%H:%M"), "url": m.meetup_url}


def plan_meetup(c: CandidateView, now: datetime, history: History, env: Env) -> list[Planned]:
    """T-10: the invitation to the cohort's online meetup (time and link)."""
    m = c.cohort
    if (c.status != CandidateStatus.accepted or c.start_date is None or m is None or m.meetup_at is None
            or not m.meetup_url):
        return []
    today = _local_day(now, env.tz)
    day = c.start_date - timedelta(days=MEETUP_DAYS)
    when = min(_at(day, send_time(c), env.tz), m.meetup_at - timedelta(hours=2))
    if not _due(when, now, m.meetup_at - timedelta(minutes=30)):
        return []
    return [Planned(f"meetup:{c.id}:{c.start_date.isoformat()}", Category.engagement, when, "cadence_meetup",
                    {**_common(c, today), "meetup": _meetup_vars(m, env.tz)}, m.meetup_at - timedelta(minutes=30),
                    summary="同期线上见面会")]


PLANNERS: tuple[Callable[[CandidateView, datetime, History, Env], list[Planned]], ...] = (
    plan_offer_unconfirmed, plan_documents, plan_weekly_task, plan_midweek, plan_digest, plan_low_digest, plan_meetup,
)


def plan(c: CandidateView, now: datetime, history: History, env: Env) -> list[Planned]:
    """Everything due for one candidate now."""
    out: list[Planned] = []
    for planner in PLANNERS:
        out += planner(c, now, history, env)
    return out


# --- HR messages over many candidates (pure) ---------------------------------------------------------------------


def fit_markdown(render: Callable[[int], str], limit: int = ROBOT_MAX_BYTES) -> str:
    """Render with at most n names per list, shrinking n until the markdown fits the robot's byte limit."""
    for n in (LISTED, 8, 5, 3, 1, 0):
        text = render(n)
        if len(text.encode("utf-8")) <= limit:
            return text
    data = text.encode("utf-8")
    return data[: limit - 8].decode("utf-8", "ignore").rstrip() + "\n…"


def plan_docs_hr(entries: Sequence[tuple[CandidateView, str, list[Doc]]], now: datetime, env: Env,
                 render: Callable[..., str]) -> list[Planned]:
    """One HR alert per start date and milestone: who still misses what."""
    if not env.hr_recipient:
        return []
    groups: dict[tuple[date, str], list[tuple[CandidateView, list[Doc]]]] = defaultdict(list)
    for c, milestone, docs in entries:
        groups[(c.start_date, milestone)].append((c, docs))
    out = []
    for (start, milestone), rows in sorted(groups.items()):
        rows.sort(key=lambda r: (r[0].cohort.name if r[0].cohort else "", r[0].id))
        people = [{"name": c.name, "cohort": c.cohort.name if c.cohort else "", "missing": [d.name for d in docs]}
                  for c, docs in rows]
        text = fit_markdown(lambda n: render("cadence_docs_hr", start_date=start, milestone=milestone,
                                             people=people[:n], more=max(0, len(people) - n), total=len(people)))
        out.append(Planned(f"docs_hr:{start.isoformat()}:{milestone}", Category.alert, now, "", {"text": text},
                           to_hr=True))
    return out


@dataclass(frozen=True)
class ReportData:
    tiers: Mapping[str, Mapping[str, int]]  # cohort name -> tier (high/medium/low/unscored) -> count
    movers_up: Sequence[tuple[str, str, str, float]]  # (name, from tier, to tier, score change)
    movers_down: Sequence[tuple[str, str, str, float]]
    silent: Sequence[tuple[str, int]]  # (name, days without activity)


def report_period(now: datetime, env: Env) -> date | None:
    """The first day of the current report period, if the report is due now (at REPORT_TIME on that day)."""
    local = now.astimezone(env.tz)
    day = local.date()
    first = date.fromordinal(day.toordinal() - day.toordinal() % max(1, env.report_every_days))
    return first if local >= _at(first, REPORT_TIME, env.tz) else None


def plan_hr_report(data: ReportData, first_day: date, now: datetime, env: Env,
                   render: Callable[..., str]) -> list[Planned]:
    """Every few days: tier distribution per cohort, who moved between tiers, who went silent (markdown)."""
    if not env.hr_recipient:
        return []
    totals = Counter()
    for counts in data.tiers.values():
        totals.update(counts)
    text = fit_markdown(lambda n: render(
        "cadence_hr_report", first_day=first_day, days=env.report_every_days, tiers=data.tiers, totals=totals,
        up=data.movers_up[:n], down=data.movers_down[:n], silent=data.silent[:n],
        more_up=max(0, len(data.movers_up) - n), more_down=max(0, len(data.movers_down) - n),
        more_silent=max(0, len(data.silent) - n), silent_days=SILENT_DAYS))
    return [Planned(f"hr_report:{first_day.isoformat()}", Category.alert, now, "", {"text": text}, to_hr=True)]


# --- loading snapshots, set-based --------------------------------------------------------------------------------


def env_for(services) -> Env:
    content = services.content
    return Env(tz=services.clock.tz, tasks={int(t["week"]): t for t in content.tasks},
               lessons=tuple(content.lessons.values()), hr_recipient=services.alert_recipient,
               report_every_days=int(services.config.get("HR_REPORT_EVERY_DAYS") or 3))


def _cohorts(db: Session) -> dict[int, CohortView]:
    return {c.id: CohortView(c.id, c.name, c.training_date, c.meetup_at, c.meetup_url) for c in db.exec(select(Cohort))}


COLUMNS = (Candidate.id, Candidate.name, Candidate.channel, Candidate.channel_user_id, Candidate.status,
           Candidate.offer_sent_at, Candidate.offer_accepted_at, Candidate.start_date, Candidate.cohort_id,
           Candidate.tier, Candidate.quiet_mode, Candidate.opted_out, Candidate.holdout, Candidate.profile,
           Candidate.preferred_time, Candidate.last_inbound_at)


def load_batch(db: Session, after_id: int, today: date, cohorts: Mapping[int, CohortView],
               limit: int = BATCH) -> tuple[list[tuple[CandidateView, History]], int | None]:
    """The next `limit` offered or accepted candidates (those not started yet kept), with their history, and the
    last id read (None: no more candidates)."""
    core = db.connection()  # plain rows: no ORM bookkeeping for 100,000 tuples
    rows = core.execute(
        select(*COLUMNS)
        .where(Candidate.id > after_id, Candidate.status.in_([CandidateStatus.offered, CandidateStatus.accepted]))
        .order_by(Candidate.id).limit(limit)
    ).all()
    if not rows:
        return [], None
    # The batch is an id range (ids in order): its other rows are read by range, not by a long IN list.
    lo, hi = rows[0][0], rows[-1][0]
    docs: dict[int, list[Doc]] = defaultdict(list)
    for cid, name, long_lead, due in core.execute(
            select(DocumentItem.candidate_id, DocumentItem.name, DocumentItem.long_lead, DocumentItem.due_date)
            .where(DocumentItem.candidate_id.between(lo, hi), DocumentItem.required, DocumentItem.received_at.is_(None))
            .order_by(DocumentItem.candidate_id, DocumentItem.due_date, DocumentItem.id)).all():
        docs[cid].append(Doc(name, bool(long_lead), due))
    done: dict[int, set[str]] = defaultdict(set)
    lessons: dict[int, set[str]] = defaultdict(set)
    for cid, key, kind in core.execute(select(TaskCompletion.candidate_id, TaskCompletion.task_key, TaskCompletion.kind)
                                  .where(TaskCompletion.candidate_id.between(lo, hi))).all():
        if kind == "lesson" or key.startswith("lesson:"):
            lessons[cid].add(key.removeprefix("lesson:"))
        else:
            done[cid].add(key)
    points = dict(core.execute(select(PointsEntry.candidate_id, func.sum(PointsEntry.amount))
                          .where(PointsEntry.candidate_id.between(lo, hi)).group_by(PointsEntry.candidate_id)).all())
    out = []
    for (cid, name, channel, uid, status, sent, accepted, start, cohort_id, tier, quiet, opted, hold, profile,
         pref, last_in) in rows:
        cohort = cohorts.get(cohort_id) if cohort_id else None
        start = start or (cohort.training_date if cohort else None)
        if start is not None and start < today:
            continue
        interests = (profile or {}).get("interests") or ()
        view = CandidateView(
            id=cid, name=name, channel=channel if isinstance(channel, Channel) else Channel(channel), user_id=uid,
            status=status if isinstance(status, CandidateStatus) else CandidateStatus(status),
            offer_sent_at=sent, offer_accepted_at=accepted, start_date=start, cohort=cohort, tier=tier,
            quiet_mode=bool(quiet), opted_out=bool(opted), holdout=bool(hold),
            interests=tuple(interests) if isinstance(interests, (list, tuple)) else (str(interests),),
            preferred_time=pref, last_inbound_at=last_in, missing_docs=tuple(docs.get(cid, ())))
        out.append((view, History(frozenset(done[cid]), frozenset(lessons[cid]), int(points.get(cid) or 0))))
    return out, hi


# --- queueing ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """A planned message made concrete: rendered, addressed."""

    key: str
    channel: Channel
    recipient: str
    candidate_id: int | None
    category: Category
    kind: str
    text: str
    payload: dict
    due_at: datetime


_COMPILED: dict[tuple[int, str], Any] = {}


def _from_string(content, source: str, **vars: Any) -> str:
    """content.from_string, compiled once per text (a tick renders the same task intro for thousands)."""
    key = (id(content.env), source)
    if key not in _COMPILED:
        _COMPILED[key] = content.env.from_string(source)
    return _COMPILED[key].render(**vars).strip()


def concretise(p: Planned, c: CandidateView | None, env: Env, content) -> Outgoing:
    """Render and address a planned message (a weekly task's intro greets the candidate by name)."""
    vars = p.vars
    task = vars.get("task")
    if c is not None and isinstance(task, dict) and task.get("intro"):
        vars = {**vars, "intro": _from_string(content, task["intro"], name=c.name)}
    text = vars["text"] if not p.template else content.render(p.template, **vars)
    payload: dict[str, Any] = {}
    if p.expires_at is not None:
        payload["expires_at"] = p.expires_at.astimezone(timezone.utc).isoformat()
    if p.summary:
        payload["summary"] = p.summary
    if p.to_hr:
        return Outgoing(p.key, Channel.robot, env.hr_recipient or "", c.id if c else None, Category.alert, "markdown",
                        text, payload, p.due_at)
    return Outgoing(p.key, c.channel, c.user_id, c.id, p.category, "text", text, payload, p.due_at)


def existing_keys(db: Session, keys: Sequence[str]) -> set[str]:
    """Which of these dedupe keys are in the outbox already. One bound array on SQLite (json_each) and PostgreSQL
    (= ANY): an IN list of thousands of parameters costs more to compile than to run."""
    keys = list(keys)
    if not keys:
        return set()
    name = db.get_bind().dialect.name
    found: set[str] = set()
    for i in range(0, len(keys), 20_000):
        chunk = keys[i:i + 20_000]
        if name == "sqlite":
            rows = db.execute(text("SELECT dedupe_key FROM outboxitem WHERE dedupe_key IN "
                                   "(SELECT value FROM json_each(:keys))"), {"keys": json.dumps(chunk)})
        elif name == "postgresql":
            rows = db.execute(text("SELECT dedupe_key FROM outboxitem WHERE dedupe_key = ANY(:keys)"), {"keys": chunk})
        else:
            rows = db.execute(select(OutboxItem.dedupe_key).where(OutboxItem.dedupe_key.in_(chunk)))
        found.update(r[0] for r in rows)
    return found


def _rows(o: Outgoing, now: datetime) -> list[dict]:
    """The outbox rows Outbox.enqueue would create for this message (same split, same keys)."""
    texts = split_text(o.text) if o.kind == "text" else [o.text]
    return [dict(dedupe_key=o.key if n == 1 else f"{o.key}#{n}", channel=o.channel, recipient=o.recipient,
                 candidate_id=o.candidate_id, category=o.category, kind=o.kind, text=part, payload=o.payload,
                 status=OutboxStatus.pending, reason=None, attempts=0, due_at=o.due_at, claimed_by=None,
                 claimed_at=None, sent_at=None, created_at=now, platform_msg_id=None, last_error=None)
            for n, part in enumerate(texts, start=1)]


def bulk_insert(db: Session, rows: list[dict]) -> None:
    """One multi-row INSERT; a key queued meanwhile by someone else is skipped, as enqueue() would."""
    if not rows:
        return
    name = db.get_bind().dialect.name
    table = OutboxItem.__table__
    stmt = (sqlite.insert(table) if name == "sqlite" else postgresql.insert(table)).on_conflict_do_nothing(
        index_elements=["dedupe_key"])
    for i in range(0, len(rows), 1000):
        db.execute(stmt, rows[i:i + 1000])


def queue_planned(services, db: Session, planned: Sequence[tuple[Planned, CandidateView | None]], env: Env) -> int:
    """Queue what the planners returned: keys already in the outbox are dropped before anything is rendered (the
    steady state: almost everything a tick plans was queued by an earlier tick)."""
    if not planned:
        return 0
    have = existing_keys(db, [p.key for p, _ in planned])
    return queue(services, db, [concretise(p, c, env, services.content) for p, c in planned if p.key not in have],
                 known_new=True)


def queue(services, db: Session, items: Sequence[Outgoing], known_new: bool = False) -> int:
    """Queue new messages (keys already in the outbox are skipped). Few: through services.outbox.enqueue; many (the
    first tick over a large population): one bulk INSERT that writes the very same rows."""
    if not items:
        return 0
    have = set() if known_new else existing_keys(db, [o.key for o in items])
    fresh = {o.key: o for o in items if o.key not in have}
    if not fresh:
        return 0
    bulk = len(fresh) > BULK_FROM and db.get_bind().dialect.name in ("sqlite", "postgresql")
    if bulk:
        now = services.clock.now()
        bulk_insert(db, [row for o in fresh.values() for row in _rows(o, now)])
        return len(fresh)
    n = 0
    for o in fresh.values():
        n += bool(services.outbox.enqueue(db, channel=o.channel, recipient=o.recipient, text=o.text, dedupe_key=o.key,
                                          category=o.category, candidate_id=o.candidate_id, kind=o.kind,
                                          payload=o.payload, due_at=o.due_at))
    return n


# --- keeping the plan true: renege, start date moved, stale messages, the OA window -------------------------------


def _cancel(db: Session, reason: str, *where) -> int:
    result = db.exec(update(OutboxItem).where(OutboxItem.status.in_(OPEN), *where)
                     .values(status=OutboxStatus.cancelled, reason=reason).execution_options(synchronize_session=False))
    return result.rowcount or 0


def cancel_gone(db: Session) -> int:
    """A renege or withdrawal cancels everything pending for the candidate (HR alerts still go)."""
    n = 0
    for status in (CandidateStatus.reneged, CandidateStatus.withdrawn):
        gone = select(Candidate.id).where(Candidate.status == status)
        n += _cancel(db, f"candidate_{status.value}", OutboxItem.candidate_id.in_(gone),
                     OutboxItem.category != Category.alert)
    return n


def moved_start_dates(db: Session, today: date, cohorts: Mapping[int, CohortView]) -> list[tuple[CandidateView, date | None]]:
    """Candidates whose start date differs from the one their plan was made for: (candidate, old date)."""
    rows = db.exec(
        select(*COLUMNS, CadenceState.planned_start_date)
        .join(CadenceState, CadenceState.candidate_id == Candidate.id)
        .where(or_(Candidate.start_date != CadenceState.planned_start_date,
                   and_(Candidate.start_date.is_(None), CadenceState.planned_start_date.is_not(None)),
                   and_(Candidate.start_date.is_not(None), CadenceState.planned_start_date.is_(None))))
    ).all()
    out = []
    for (cid, name, channel, uid, status, sent, accepted, start, cohort_id, tier, quiet, opted, hold, profile, pref,
         last_in, old) in rows:
        out.append((CandidateView(id=cid, name=name, channel=Channel(channel), user_id=uid,
                                  status=CandidateStatus(status), offer_sent_at=sent, offer_accepted_at=accepted,
                                  start_date=start, cohort=cohorts.get(cohort_id) if cohort_id else None, tier=tier,
                                  quiet_mode=bool(quiet), opted_out=bool(opted), holdout=bool(hold),
                                  preferred_time=pref, last_inbound_at=last_in), old))
    return out


def replan_moved(services, db: Session, now: datetime, env: Env, cohorts: Mapping[int, CohortView]) -> tuple[int, int]:
    """Cancel what was planned for the old start date (its keys embed it), tell the candidate the new date, and
    remember it; the planners then plan for the new date. Returns (candidates, messages cancelled)."""
    today = _local_day(now, env.tz)
    moved = moved_start_dates(db, today, cohorts)
    cancelled = 0
    notices = []
    for c, old in moved:
        if old is not None:
            cancelled += _cancel(db, "start_date_moved", OutboxItem.candidate_id == c.id,
                                 OutboxItem.category.in_([Category.critical, Category.task, Category.engagement]),
                                 OutboxItem.dedupe_key.contains(old.isoformat()))
        if (old is not None and c.start_date is not None and c.start_date >= today
                and c.status in (CandidateStatus.offered, CandidateStatus.accepted)):
            notices.append(concretise(Planned(
                f"start_date_changed:{c.id}:{c.start_date.isoformat()}", Category.critical, now,
                "cadence_start_date_changed",
                {"name": c.name, "old": old, "new": c.start_date, "oa": c.channel == Channel.wechat},
                _at(c.start_date + timedelta(days=1), time(0), env.tz), summary="入职日期有变"), c, env,
                services.content))
        db.exec(update(CadenceState).where(CadenceState.candidate_id == c.id)
                .values(planned_start_date=c.start_date, updated_at=now))
    queue(services, db, notices)
    return len(moved), cancelled


def cancel_obsolete(db: Session) -> int:
    """Messages whose reason went away before they went out: an offer since answered, a nudge for a task since done,
    a documents reminder for documents since all received."""
    n = _cancel(db, "offer_answered", OutboxItem.dedupe_key.like("offer_unconfirmed:%"),
                OutboxItem.candidate_id.in_(select(Candidate.id).where(Candidate.status != CandidateStatus.offered)))
    done = select(TaskCompletion.candidate_id).where(TaskCompletion.kind == "task")
    latest = (select(func.max(TaskCompletion.completed_at))
              .where(TaskCompletion.candidate_id == OutboxItem.candidate_id, TaskCompletion.kind == "task")
              .scalar_subquery())
    n += _cancel(db, "task_done", OutboxItem.dedupe_key.like("task_nudge:%"), OutboxItem.candidate_id.in_(done),
                 OutboxItem.created_at <= latest)
    missing = select(DocumentItem.candidate_id).where(DocumentItem.required, DocumentItem.received_at.is_(None))
    n += _cancel(db, "documents_received", or_(OutboxItem.dedupe_key.like("docs_t3:%"),
                                               OutboxItem.dedupe_key.like("docs_t7:%")),
                 OutboxItem.candidate_id.not_in(missing))
    return n


def release_window(db: Session, now: datetime) -> int:
    """Messages held for the Official Account's 48 h window go at once when the candidate has written since."""
    recent = select(Candidate.id).where(Candidate.last_inbound_at > now - OA_WINDOW)
    result = db.exec(update(OutboxItem)
                     .where(OutboxItem.status == OutboxStatus.held, OutboxItem.reason == "outside_48h_window",
                            OutboxItem.due_at > now, OutboxItem.candidate_id.in_(recent))
                     .values(due_at=now).execution_options(synchronize_session=False))
    return result.rowcount or 0


def template_stand_ins(services, db: Session, now: datetime, template_id: str | None, env: Env) -> int:
    """A critical message (or a mentor's answer) held outside the 48 h window goes as the configured OA template
    message instead; without a template it stays held until the candidate writes."""
    if not template_id:
        return 0
    held = db.exec(select(OutboxItem).where(
        OutboxItem.status == OutboxStatus.held, OutboxItem.reason == "outside_48h_window",
        OutboxItem.channel == Channel.wechat, OutboxItem.kind == "text",
        OutboxItem.category.in_([Category.critical, Category.relay]),
        OutboxItem.dedupe_key.not_like("%#%")).limit(BATCH)).all()
    texts = services.content.data.get("cadence", {})
    made = []
    for item in held:
        summary = item.payload.get("summary") or item.text.strip().splitlines()[0][:20]
        data = {"first": {"value": texts.get("template_first", "入职提醒")},
                "keyword1": {"value": summary[:20]},
                "keyword2": {"value": now.astimezone(env.tz).strftime("%Y-%m-%d %H:%M")},
                "remark": {"value": texts.get("template_remark", "回复任意消息查看详情")}}
        made.append(Outgoing(f"{item.dedupe_key}:tpl", Channel.wechat, item.recipient, item.candidate_id,
                             Category(item.category), "template", summary, {"template_id": template_id, "data": data},
                             now))
        _cancel(db, "sent_as_template", OutboxItem.candidate_id == item.candidate_id,
                or_(OutboxItem.dedupe_key == item.dedupe_key, OutboxItem.dedupe_key.like(f"{item.dedupe_key}#%")))
    return queue(services, db, made)


# --- the HR report data ------------------------------------------------------------------------------------------


def report_data(db: Session, now: datetime, env: Env, since: datetime) -> ReportData:
    today = _local_day(now, env.tz)
    active = [CandidateStatus.offered, CandidateStatus.accepted]
    cohort_names = {c.id: c.name for c in db.exec(select(Cohort))}
    tiers: dict[str, Counter] = defaultdict(Counter)
    for cohort_id, tier, n in db.exec(
            select(Candidate.cohort_id, Candidate.tier, func.count())
            .where(Candidate.status.in_(active), or_(Candidate.start_date.is_(None), Candidate.start_date >= today))
            .group_by(Candidate.cohort_id, Candidate.tier)).all():
        tiers[cohort_names.get(cohort_id, "未分批次")][tier or "unscored"] += n
    baseline = select(func.max(StickinessScore.id)).where(StickinessScore.computed_at <= since).group_by(
        StickinessScore.candidate_id)
    before = {cid: (tier, score) for cid, tier, score in db.exec(
        select(StickinessScore.candidate_id, StickinessScore.tier, StickinessScore.score)
        .where(StickinessScore.id.in_(baseline))).all()}
    rank = {"low": 0, "medium": 1, "high": 2}
    up, down = [], []
    if before:
        for cid, name, tier, score in db.exec(
                select(Candidate.id, Candidate.name, Candidate.tier, Candidate.stickiness)
                .where(Candidate.id.in_(list(before)), Candidate.status.in_(active))).all():
            old_tier, old_score = before[cid]
            if tier in rank and old_tier in rank and tier != old_tier:
                entry = (name, old_tier, tier, round((score or 0) - old_score, 1))
                (up if rank[tier] > rank[old_tier] else down).append(entry)
    up.sort(key=lambda e: -e[3])
    down.sort(key=lambda e: e[3])
    silent = []
    cutoff = now - timedelta(days=SILENT_DAYS)
    for name, last_in, accepted in db.exec(
            select(Candidate.name, Candidate.last_inbound_at, Candidate.offer_accepted_at)
            .where(Candidate.status == CandidateStatus.accepted,
                   or_(Candidate.start_date.is_(None), Candidate.start_date >= today),
                   func.coalesce(Candidate.last_inbound_at, Candidate.offer_accepted_at) < cutoff)).all():
        last = max(t for t in (last_in, accepted) if t is not None)
        silent.append((name, int((now - last).total_seconds() // 86400)))
    silent.sort(key=lambda e: -e[1])
    return ReportData({k: dict(v) for k, v in sorted(tiers.items())}, up, down, silent)


# --- the runner: one pass, set-based -----------------------------------------------------------------------------


def run(services, now: datetime | None = None) -> dict[str, int]:
    """One cadence pass over every candidate not started yet. Returns counts for the worker's heartbeat."""
    now = now or services.clock.now()
    env = env_for(services)
    content = services.content
    today = _local_day(now, env.tz)
    stats: Counter = Counter()
    stats["holdout_assigned"] = assign_holdout(services, now)
    stats["scored"] = recompute_stickiness(services, now, only_unscored=True)["scored"]  # new candidates get a tier
    with Session(services.engine) as db:
        stats["cancelled"] += cancel_gone(db)
        cohorts = _cohorts(db)
        moved, cancelled = replan_moved(services, db, now, env, cohorts)
        stats["start_date_moved"], stats["cancelled"] = moved, stats["cancelled"] + cancelled
        stats["cancelled"] += cancel_obsolete(db)
        stats["released"] = release_window(db, now)
        stats["templates"] = template_stand_ins(services, db, now, services.config.get("WECHAT_TEMPLATE_ID"), env)
        db.commit()

    docs_entries: list[tuple[CandidateView, str, list[Doc]]] = []
    last_id: int | None = 0
    while True:
        with Session(services.engine) as db:
            batch, last_id = load_batch(db, last_id, today, cohorts)
            if last_id is None:
                break
            planned = []
            for c, history in batch:
                stats["candidates"] += 1
                planned += [(p, c) for p in plan(c, now, history, env)]
                found = docs_milestone(c, now, env)
                if found is not None:
                    docs_entries.append((c, found[0], found[1]))
            stats["queued"] += queue_planned(services, db, planned, env)
            db.commit()

    with Session(services.engine) as db:
        hr = plan_docs_hr(docs_entries, now, env, content.render)
        first = report_period(now, env)
        if first is not None and env.hr_recipient and not existing_keys(db, [f"hr_report:{first.isoformat()}"]):
            since = _at(first - timedelta(days=env.report_every_days), REPORT_TIME, env.tz)
            hr += plan_hr_report(report_data(db, now, env, since), first, now, env, content.render)
        stats["queued"] += queue_planned(services, db, [(p, None) for p in hr], env)
        db.commit()
    return dict(stats)


def recompute_stickiness(services, now: datetime | None = None, *, only_unscored: bool = False) -> dict[str, int]:
    """Score everyone not started yet (set-based); stickiness.recompute scores one candidate on an inbound."""
    now = now or services.clock.now()
    settings = stickiness_mod.StickinessSettings.from_config(
        services.config, {int(t["week"]): t["key"] for t in services.content.tasks})
    return stickiness_mod.recompute_all(lambda: Session(services.engine), now, settings, only_unscored=only_unscored)


def assign_holdout(services, now: datetime | None = None) -> int:
    """Draw the arm of every new candidate before anything is planned for them; returns how many were drawn."""
    now = now or services.clock.now()
    share = float(services.config.get("HOLDOUT_SHARE", 0.1))
    total = 0
    while True:
        with Session(services.engine) as db:
            n = holdout_mod.assign_new(db, now, share, limit=BATCH)["assigned"]
            db.commit()
        total += n
        if n < BATCH:
            return total
