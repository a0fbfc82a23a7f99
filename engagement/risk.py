"""Behaviour risk: the signs of a candidate drifting away that no single message shows.

A pure score over features gathered by `features()`; weights sum to 1. A score that rises past the threshold
is itself an alert reason (沉默风险), handled by scheduler.planners.plan_risk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from models import Candidate, Category, Direction, Message, StickinessScore

THRESHOLD = 0.5
WEIGHTS = {
    "silence": 0.4,  # days without a word, scaled by how close the start date is
    "unanswered": 0.15,  # proactive messages since the candidate last wrote
    "welcome_unanswered": 0.2,  # the welcome pack went out and nothing came back
    "stickiness_drop": 0.15,  # stickiness fell by 15+ points within a week
    "delay_request": 0.1,  # asked to move the start date recently
}
LABELS = {"silence": "长时间没有回复", "unanswered": "多条提醒未回复", "welcome_unanswered": "欢迎礼包后未回复",
          "stickiness_drop": "粘性明显下降", "delay_request": "提过推迟入职"}


@dataclass(frozen=True)
class Features:
    days_silent: float
    days_to_start: float | None
    unanswered: int
    welcome_unanswered: bool
    stickiness_drop: float  # points lost over the last week (0 if none or rising)
    delay_request: bool


@dataclass(frozen=True)
class Risk:
    score: float
    parts: dict[str, float]

    @property
    def reasons(self) -> list[str]:
        return [LABELS[k] for k, v in sorted(self.parts.items(), key=lambda kv: -kv[1]) if v >= 0.5]


def score(f: Features) -> Risk:
    # Silence matters more as day one approaches: 5 quiet days a month out is normal, 5 days before start is not.
    urgency = 1.0 if f.days_to_start is None or f.days_to_start <= 10 else 0.8
    parts = {
        "silence": min(1.0, max(0.0, f.days_silent - 2) / 5) * urgency,
        "unanswered": min(1.0, f.unanswered / 3),
        "welcome_unanswered": 1.0 if f.welcome_unanswered else 0.0,
        "stickiness_drop": min(1.0, f.stickiness_drop / 15),
        "delay_request": 1.0 if f.delay_request else 0.0,
    }
    return Risk(round(sum(WEIGHTS[k] * v for k, v in parts.items()), 3), parts)


def features(db: Session, cand: Candidate, now: datetime, tz) -> Features:
    since = cand.last_inbound_at or cand.offer_accepted_at or cand.created_at or now
    unanswered = db.exec(
        select(func.count()).select_from(Message).where(
            Message.candidate_id == cand.id, Message.direction == Direction.outbound,
            Message.category.in_([Category.task, Category.engagement, Category.critical]), Message.created_at > since)
    ).one()
    welcome_unanswered = bool(cand.welcome_sent_at and (cand.last_inbound_at is None or cand.last_inbound_at < cand.welcome_sent_at)
                              and now - cand.welcome_sent_at > timedelta(days=3))
    scores = db.exec(select(StickinessScore.score).where(StickinessScore.candidate_id == cand.id,
                                                         StickinessScore.computed_at >= now - timedelta(days=7))
                     .order_by(StickinessScore.computed_at)).all()
    drop = max(0.0, max(scores) - scores[-1]) if scores else 0.0
    delay = db.exec(select(Message.id).where(
        Message.candidate_id == cand.id, Message.signal_reason == "start_date",
        Message.signal_level.in_(["hesitation", "withdrawal"]), Message.created_at >= now - timedelta(days=14))).first()
    today = now.astimezone(tz).date()
    return Features(
        days_silent=(now - since).total_seconds() / 86400,
        days_to_start=(cand.start_date - today).days if cand.start_date else None,
        unanswered=int(unanswered),
        welcome_unanswered=welcome_unanswered,
        stickiness_drop=float(drop),
        delay_request=delay is not None,
    )
