"""The points ledger: every earn and spend is an immutable row with a reason and a source; the balance is derived.

Awards are idempotent through `source_key` (a task completed twice earns once); spending never takes the balance
below zero.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import Candidate, PointsEntry


class InsufficientPoints(Exception):
    def __init__(self, balance: int, needed: int):
        super().__init__(f"balance {balance} < {needed}")
        self.balance = balance
        self.needed = needed


def balance(db: Session, candidate_id: int) -> int:
    total = db.exec(select(func.coalesce(func.sum(PointsEntry.amount), 0)).where(PointsEntry.candidate_id == candidate_id)).one()
    return int(total)


def history(db: Session, candidate_id: int, limit: int = 10) -> list[PointsEntry]:
    return list(
        db.exec(
            select(PointsEntry)
            .where(PointsEntry.candidate_id == candidate_id)
            .order_by(PointsEntry.created_at.desc(), PointsEntry.id.desc())
            .limit(limit)
        )
    )


def award(db: Session, candidate_id: int, amount: int, *, reason: str, source: str, source_key: str, now: datetime) -> PointsEntry | None:
    """Add points once per `source_key`; returns None when this award was already made."""
    if amount <= 0:
        raise ValueError("an award must be positive")
    if db.exec(select(PointsEntry.id).where(PointsEntry.source_key == source_key)).first() is not None:
        return None
    entry = PointsEntry(candidate_id=candidate_id, amount=amount, reason=reason, source=source, source_key=source_key, created_at=now)
    try:
        with db.begin_nested():
            db.add(entry)
    except IntegrityError:
        return None
    return entry


def spend(db: Session, candidate_id: int, amount: int, *, reason: str, source: str, source_key: str, now: datetime) -> PointsEntry:
    """Take points, or raise InsufficientPoints. The candidate row is locked (PostgreSQL) so two spends serialise."""
    if amount <= 0:
        raise ValueError("a spend must be positive")
    db.exec(select(Candidate.id).where(Candidate.id == candidate_id).with_for_update())
    current = balance(db, candidate_id)
    if current < amount:
        raise InsufficientPoints(current, amount)
    entry = PointsEntry(candidate_id=candidate_id, amount=-amount, reason=reason, source=source, source_key=source_key, created_at=now)
    db.add(entry)
    db.flush()
    return entry
