"""The hold-out arm: a share of new candidates who get only critical messages, replies and relays, so the company
can measure what the bot's cadence changes (the console reports renege rate by arm).

The arm is drawn once per candidate, deterministically from the id (the same id always lands in the same arm, on
any machine, with any Python hash seed), and recorded: Candidate.holdout for the policy, CadenceState for the
date and the arm drawn. Changing HOLDOUT_SHARE later only affects candidates not assigned yet.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from models import Candidate, CadenceState

SALT = "holdout-v1"  # a new salt would redraw everyone: never change it for a running programme
BUCKETS = 10_000


def bucket(candidate_id: int) -> int:
    """0..9999, uniform and stable for an id."""
    digest = hashlib.sha256(f"{SALT}:{candidate_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def in_holdout(candidate_id: int, share: float) -> bool:
    return bucket(candidate_id) < round(share * BUCKETS)


def assign_new(db: Session, now: datetime, share: float, limit: int = 5000) -> dict[str, int]:
    """Draw the arm of every candidate without a CadenceState row yet (set-based). A candidate HR already put in the
    hold-out by hand stays there. The caller commits."""
    ids = db.exec(
        select(Candidate.id, Candidate.holdout, Candidate.start_date)
        .outerjoin(CadenceState, CadenceState.candidate_id == Candidate.id)
        .where(CadenceState.candidate_id.is_(None))
        .order_by(Candidate.id)
        .limit(limit)
    ).all()
    if not ids:
        return {"assigned": 0, "holdout": 0}
    rows, held = [], []
    for cid, already, start in ids:
        arm = bool(already) or in_holdout(cid, share)
        rows.append(CadenceState(candidate_id=cid, holdout=arm, holdout_assigned_at=now, planned_start_date=start,
                                 updated_at=now))
        if arm and not already:
            held.append(cid)
    db.add_all(rows)
    if held:
        db.exec(update(Candidate).where(Candidate.id.in_(held)).values(holdout=True))
    db.flush()
    return {"assigned": len(rows), "holdout": sum(r.holdout for r in rows)}
