"""Stickiness: how engaged a candidate is, 0-100, and the tier the delivery policy caps by (high / medium / low).

Four components, each 0..1 (None when there is nothing to judge yet; the others then share its weight):
- `open`: message opens and link clicks per proactive message (only where the channel reports them: a candidate
  with no open/click event ever is on a channel that does not);
- `tasks`: weekly tasks completed / tasks due so far (a task is due once its programme week is over);
- `reply`: median delay of the candidate's replies to proactive messages: 1 h or less = 1, 48 h or more = 0,
  log-scaled between; no reply at all to messages older than a day = 0;
- `recency`: days since the last activity (a message, a completed task, accepting the offer): 0 days = 1, 14 = 0.

`compute` is pure. `recompute(db, candidate, now, settings)` scores one candidate (call it on every inbound);
`recompute_all` scores everyone not yet started, set-based, for the periodic tick. Both cache the score and tier on
the candidate and add a StickinessScore history row when the score moved by a point or more or the tier changed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, func, insert, or_, update
from sqlmodel import Session, select

from engagement.onboarding import week_of
from models import (
    Candidate,
    CandidateStatus,
    Category,
    EngagementEvent,
    OutboxItem,
    OutboxStatus,
    StickinessScore,
    TaskCompletion,
)

COMPONENTS = ("open", "tasks", "reply", "recency")
DEFAULT_WEIGHTS = {"open": 0.15, "tasks": 0.35, "reply": 0.25, "recency": 0.25}
WINDOW = timedelta(days=14)  # opens, proactive messages and replies are counted over this window
REPLY_WINDOW = timedelta(days=30)
ANSWER_TIME = timedelta(hours=24)  # a proactive message younger than this may still be answered
RECENCY_DAYS = 14.0
REPLY_FAST = 3600.0
REPLY_SLOW = 48 * 3600.0
MOVE = 1.0  # a history row is written when the score moves by this much (or the tier changes)
PROACTIVE = [Category.critical, Category.task, Category.engagement]
BATCH = 2000


def parse_weights(text: str | Mapping[str, float] | None) -> dict[str, float]:
    """`open=0.15,tasks=0.35,reply=0.25,recency=0.25` -> weights (any scale; they are normalised)."""
    if not text:
        return dict(DEFAULT_WEIGHTS)
    if isinstance(text, Mapping):
        weights = {k: float(v) for k, v in text.items()}
    else:
        weights = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, _, value = part.partition("=")
            weights[name.strip()] = float(value)
    unknown = set(weights) - set(COMPONENTS)
    if unknown or any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise ValueError(f"STICKINESS_WEIGHTS: components are {', '.join(COMPONENTS)} with weights >= 0, got {text!r}")
    return {k: weights.get(k, 0.0) for k in COMPONENTS}


def _task_weeks() -> dict[int, str]:
    from content import shared

    return {int(t["week"]): t["key"] for t in shared().tasks}


@dataclass(frozen=True)
class StickinessSettings:
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    high: float = 80.0
    medium: float = 60.0
    task_weeks: Mapping[int, str] | None = None  # week -> weekly task key; None = from content/tasks
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))  # programme weeks are local dates

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], task_weeks: Mapping[int, str] | None = None) -> "StickinessSettings":
        return cls(weights=parse_weights(cfg.get("STICKINESS_WEIGHTS")), high=float(cfg.get("TIER_HIGH", 80.0)),
                   medium=float(cfg.get("TIER_MEDIUM", 60.0)), task_weeks=task_weeks,
                   tz=ZoneInfo(cfg.get("TIMEZONE") or "Asia/Shanghai"))

    def weeks(self) -> Mapping[int, str]:
        return self.task_weeks if self.task_weeks is not None else _task_weeks()


@dataclass(frozen=True)
class Signals:
    """The raw facts about one candidate that the score is computed from."""

    proactive_sent: int = 0  # proactive messages sent in the window
    proactive_answerable: int = 0  # ... of which old enough to have been answered
    opens: int | None = None  # open/click events in the window; None: the channel does not report them
    tasks_due: int = 0
    tasks_done: int = 0
    reply_seconds: tuple[float, ...] = ()
    last_active: datetime | None = None


def compute(sig: Signals, now: datetime) -> dict[str, float | None]:
    """The four components, each 0..1 or None (nothing to judge)."""
    comps: dict[str, float | None] = {}
    if sig.opens is None or (sig.proactive_sent == 0 and sig.opens == 0):
        comps["open"] = None
    else:
        comps["open"] = min(1.0, sig.opens / max(1, sig.proactive_sent))
    if sig.tasks_due > 0:
        comps["tasks"] = min(1.0, sig.tasks_done / sig.tasks_due)
    else:
        comps["tasks"] = 1.0 if sig.tasks_done > 0 else None
    if sig.reply_seconds:
        delay = max(median(sig.reply_seconds), 1.0)
        if delay <= REPLY_FAST:
            comps["reply"] = 1.0
        elif delay >= REPLY_SLOW:
            comps["reply"] = 0.0
        else:
            comps["reply"] = 1.0 - math.log(delay / REPLY_FAST) / math.log(REPLY_SLOW / REPLY_FAST)
    else:
        comps["reply"] = 0.0 if sig.proactive_answerable > 0 else None
    if sig.last_active is None:
        comps["recency"] = 0.0
    else:
        days = max(0.0, (now - sig.last_active).total_seconds() / 86400)
        comps["recency"] = max(0.0, 1.0 - days / RECENCY_DAYS)
    return {k: None if v is None else round(v, 4) for k, v in comps.items()}


def score(comps: Mapping[str, float | None], weights: Mapping[str, float]) -> float:
    """Weighted mean of the components that have a value, 0..100 (one decimal)."""
    present = [(weights.get(k, 0.0), v) for k, v in comps.items() if v is not None and weights.get(k, 0.0) > 0]
    total = sum(w for w, _ in present)
    if total <= 0:
        return 0.0
    return round(100.0 * sum(w * v for w, v in present) / total, 1)


def tier_for(value: float, settings: StickinessSettings) -> str:
    if value >= settings.high:
        return "high"
    if value >= settings.medium:
        return "medium"
    return "low"


# --- gathering the signals, set-based ----------------------------------------------------------------------------


def _programme_week(accepted_at: datetime | None, now: datetime, tz) -> int | None:
    found = week_of(accepted_at, now.astimezone(tz).date(), tz)
    return None if found is None else found[0]


def gather(db: Session, cands: list[Candidate], now: datetime, settings: StickinessSettings) -> dict[int, Signals]:
    """Signals for a batch of candidates, in a handful of grouped queries (not per candidate)."""
    tz = settings.tz
    ids = [c.id for c in cands]
    if not ids:
        return {}
    lo, hi = min(ids), max(ids)  # a batch is an id range: read it by range, not by a long IN list
    since = now - WINDOW
    weeks = settings.weeks()
    key_week = {key: week for week, key in weeks.items()}

    events = db.exec(
        select(EngagementEvent.candidate_id, EngagementEvent.kind, func.count(), func.max(EngagementEvent.at))
        .where(EngagementEvent.candidate_id.between(lo, hi), EngagementEvent.at > since, EngagementEvent.at <= now)
        .group_by(EngagementEvent.candidate_id, EngagementEvent.kind)
    ).all()
    opens: dict[int, int] = defaultdict(int)
    last_event: dict[int, datetime] = {}
    for cid, kind, n, at in events:
        if kind in ("open", "click"):
            opens[cid] += n
        at = at if at.tzinfo else at.replace(tzinfo=now.tzinfo)  # SQLite's MAX() drops the column type
        if kind != "open" and (cid not in last_event or at > last_event[cid]):  # an open is not activity
            last_event[cid] = at
    reporting = set(db.exec(select(EngagementEvent.candidate_id).distinct()
                            .where(EngagementEvent.candidate_id.between(lo, hi), EngagementEvent.kind.in_(["open", "click"]))
                            ).all())
    replies: dict[int, list[float]] = defaultdict(list)
    for cid, value in db.exec(select(EngagementEvent.candidate_id, EngagementEvent.value)
                              .where(EngagementEvent.candidate_id.between(lo, hi), EngagementEvent.kind == "reply",
                                     EngagementEvent.at > now - REPLY_WINDOW, EngagementEvent.at <= now,
                                     EngagementEvent.value.is_not(None))).all():
        replies[cid].append(float(value))
    sent = {cid: (int(total or 0), int(old or 0)) for cid, total, old in db.exec(
        select(OutboxItem.candidate_id, func.count(),
               func.sum(case((OutboxItem.sent_at <= now - ANSWER_TIME, 1), else_=0)))
        .where(OutboxItem.candidate_id.between(lo, hi), OutboxItem.status == OutboxStatus.sent,
               OutboxItem.category.in_(PROACTIVE), OutboxItem.sent_at > since, OutboxItem.sent_at <= now,
               OutboxItem.dedupe_key.not_like("%#%"))
        .group_by(OutboxItem.candidate_id)).all()}
    done: dict[int, set[str]] = defaultdict(set)
    for cid, key in db.exec(select(TaskCompletion.candidate_id, TaskCompletion.task_key)
                            .where(TaskCompletion.candidate_id.between(lo, hi), TaskCompletion.kind == "task",
                                   TaskCompletion.completed_at <= now)).all():
        done[cid].add(key)

    out: dict[int, Signals] = {}
    for c in cands:
        week = _programme_week(c.offer_accepted_at, now, tz)
        due = sum(1 for w in weeks if week is not None and w < week)
        completed = sum(1 for k in done[c.id] if k in key_week and week is not None and key_week[k] <= week)
        candidates_last = [t for t in (c.last_inbound_at, c.offer_accepted_at, last_event.get(c.id)) if t is not None]
        total, old = sent.get(c.id, (0, 0))
        out[c.id] = Signals(
            proactive_sent=total,
            proactive_answerable=old,
            opens=opens[c.id] if c.id in reporting else None,
            tasks_due=due,
            tasks_done=completed,
            reply_seconds=tuple(replies[c.id]),
            last_active=max(candidates_last) if candidates_last else None,
        )
    return out


def evaluate(sig: Signals, now: datetime, settings: StickinessSettings, cached_score: float | None,
             cached_tier: str | None) -> tuple[float, str, dict, bool]:
    """(score, tier, components, moved): moved = worth a history row (first score, a point or more, a new tier)."""
    comps = compute(sig, now)
    value = score(comps, settings.weights)
    tier = tier_for(value, settings)
    moved = cached_score is None or abs(value - cached_score) >= MOVE or tier != cached_tier
    return value, tier, comps, moved


def recompute(db: Session, candidate: Candidate, now: datetime, settings: StickinessSettings) -> float:
    """Score one candidate now (call it on every inbound); returns the score. The caller commits."""
    sig = gather(db, [candidate], now, settings)[candidate.id]
    value, tier, comps, moved = evaluate(sig, now, settings, candidate.stickiness, candidate.tier)
    if moved:
        db.add(StickinessScore(candidate_id=candidate.id, score=value, tier=tier, components=comps, computed_at=now))
        candidate.stickiness, candidate.tier = value, tier
        db.add(candidate)
    return candidate.stickiness if candidate.stickiness is not None else value


def recompute_all(db_factory, now: datetime, settings: StickinessSettings, batch: int = BATCH, *,
                  only_unscored: bool = False) -> dict[str, int]:
    """Every candidate who has not started yet (offered or accepted; with `only_unscored`, those never scored), in
    batches of `batch`, one transaction each: grouped reads, one UPDATE and one INSERT statement per batch.
    `db_factory()` opens a Session."""
    today = now.astimezone(settings.tz).date()
    last_id, scored, moved = 0, 0, 0
    cols = (Candidate.id, Candidate.offer_accepted_at, Candidate.last_inbound_at, Candidate.stickiness, Candidate.tier)
    while True:
        with db_factory() as db:
            q = (select(*cols)
                 .where(Candidate.id > last_id,
                        Candidate.status.in_([CandidateStatus.offered, CandidateStatus.accepted]),
                        or_(Candidate.start_date.is_(None), Candidate.start_date >= today)))
            if only_unscored:
                q = q.where(Candidate.stickiness.is_(None))
            cands = db.exec(q.order_by(Candidate.id).limit(batch)).all()
            if not cands:
                break
            signals = gather(db, cands, now, settings)
            updates, history = [], []
            for c in cands:
                value, tier, comps, changed = evaluate(signals[c.id], now, settings, c.stickiness, c.tier)
                if changed:
                    updates.append({"cid": c.id, "score": value, "tier": tier})
                    history.append({"candidate_id": c.id, "score": value, "tier": tier, "components": comps,
                                    "computed_at": now})
            if updates:
                db.execute(update(Candidate.__table__).where(Candidate.__table__.c.id == bindparam("cid"))
                           .values(stickiness=bindparam("score"), tier=bindparam("tier")), updates)
                db.execute(insert(StickinessScore.__table__), history)
            moved += len(updates)
            scored += len(cands)
            db.commit()
            last_id = cands[-1].id
    return {"scored": scored, "moved": moved}


def curve(db: Session, candidate_id: int, since: datetime | None = None) -> list[tuple[datetime, float, str]]:
    """The candidate's score history, oldest first: what the console plots."""
    q = select(StickinessScore.computed_at, StickinessScore.score, StickinessScore.tier).where(
        StickinessScore.candidate_id == candidate_id)
    if since is not None:
        q = q.where(StickinessScore.computed_at >= since)
    return [tuple(r) for r in db.exec(q.order_by(StickinessScore.computed_at, StickinessScore.id)).all()]
