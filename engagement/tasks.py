"""Completing weekly tasks and lessons: one completion row, one ledger award, both idempotent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from engagement import points
from models import EngagementEvent, TaskCompletion


def completed(db: Session, candidate_id: int, task_key: str) -> TaskCompletion | None:
    return db.exec(select(TaskCompletion).where(TaskCompletion.candidate_id == candidate_id,
                                                TaskCompletion.task_key == task_key)).first()


def complete(db: Session, candidate_id: int, *, task_key: str, kind: str, points_worth: int, answer: str = "",
             score: int | None = None, now: datetime) -> bool:
    """Record a completion and award its points; False if it was already completed (nothing changes)."""
    if completed(db, candidate_id, task_key) is not None:
        return False
    try:
        with db.begin_nested():
            db.add(TaskCompletion(candidate_id=candidate_id, task_key=task_key, kind=kind, answer=answer[:2000],
                                  score=score, completed_at=now))
    except IntegrityError:
        return False
    points.award(db, candidate_id, points_worth, reason=kind, source=task_key, source_key=f"{kind}:{task_key}:{candidate_id}", now=now)
    db.add(EngagementEvent(candidate_id=candidate_id, kind=f"{kind}_done", at=now))
    return True
