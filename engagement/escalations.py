"""Escalations: an HR case opened by a hesitation alert, followed from first human contact to its outcome.

No more than one open alert per candidate per reason per day (the alert key), except withdrawal, which always
alerts. Time to first human contact is measured from opening to the first contact HR records.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from models import Candidate, CandidateStatus, Escalation, Message

CONTEXT_WINDOW = timedelta(days=7)  # weak signals this close together count as one stronger signal
WEAK = {"concern"}
ALERT = {"hesitation", "withdrawal"}


def alert_key(candidate_id: int, level: str, reason: str, local_day: str, message_key: str | None) -> str:
    if level == "withdrawal":
        return f"esc:{candidate_id}:withdrawal:{message_key or local_day}"
    return f"esc:{candidate_id}:{reason}:{local_day}"


def recent_signals(db: Session, candidate_id: int, now: datetime, exclude_id: int | None = None) -> list[Message]:
    """The candidate's earlier messages in the context window that carried a signal, newest first."""
    q = (
        select(Message)
        .where(Message.candidate_id == candidate_id, Message.direction == "in", Message.created_at >= now - CONTEXT_WINDOW,
               Message.signal_level.in_(["concern", "hesitation", "withdrawal"]))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(10)
    )
    return [m for m in db.exec(q) if m.id != exclude_id]


def combine_with_context(level: str, reason: str, score: float, recent: list[Message]) -> tuple[str, str, float, bool]:
    """Two weak signals in one conversation count more than one: a concern after an earlier concern or
    hesitation becomes a hesitation. Returns (level, reason, score, escalated_by_context)."""
    if level in WEAK and recent:
        earlier = recent[0]
        return "hesitation", reason if reason != "none" else (earlier.signal_reason or "undecided"), max(score, 0.6), True
    return level, reason, score, False


def open_escalation(db: Session, cand: Candidate, *, level: str, reason: str, text: str, score: float, key: str,
                    now: datetime) -> Escalation | None:
    """Open a case unless one with the same key exists (then None: no second alert)."""
    if db.exec(select(Escalation.id).where(Escalation.alert_key == key)).first() is not None:
        return None
    esc = Escalation(candidate_id=cand.id, level=level, reason=reason, text=text[:1000], score=score, alert_key=key,
                     opened_at=now)
    db.add(esc)
    db.flush()
    return esc


def mark_first_contact(db: Session, esc: Escalation, now: datetime) -> bool:
    """Record the first human contact (console, or an HR reply through the relay); later contacts change nothing."""
    if esc.first_contact_at is not None:
        return False
    esc.first_contact_at = now
    db.add(esc)
    return True


def close(db: Session, esc: Escalation, outcome: str, now: datetime, note: str = "") -> None:
    """Close a case as `stayed` or `reneged`; a renege also marks the candidate."""
    if outcome not in ("stayed", "reneged"):
        raise ValueError(f"outcome must be stayed or reneged, not {outcome!r}")
    esc.outcome, esc.outcome_note, esc.closed_at = outcome, note[:500], now
    if esc.first_contact_at is None:
        esc.first_contact_at = now
    db.add(esc)
    if outcome == "reneged":
        cand = db.get(Candidate, esc.candidate_id)
        cand.status = CandidateStatus.reneged
        cand.offer_declined_at = now
        db.add(cand)


def time_to_first_contact(esc: Escalation) -> timedelta | None:
    return None if esc.first_contact_at is None else esc.first_contact_at - esc.opened_at
