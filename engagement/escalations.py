"""Escalations: an HR case opened by a hesitation alert, followed from first human contact to its outcome.

No more than one open alert per candidate per reason per day (the alert key), except withdrawal, which always
alerts. Time to first human contact is measured from opening to the first contact HR records (已联系 in chat, or
closing the case, which is a contact too); `summarize` is the pure math behind `flask --app app escalations`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import func
from sqlmodel import Session, select

from models import Candidate, CandidateStatus, Escalation, Message

CONTEXT_WINDOW = timedelta(days=7)  # weak signals this close together count as one stronger signal
WEAK = {"concern"}
ALERT = {"hesitation", "withdrawal"}
OUTCOMES = ("stayed", "reneged")


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
    """Record the first human contact (HR's 已联系 in chat; the console later); later contacts change nothing."""
    if esc.first_contact_at is not None:
        return False
    esc.first_contact_at = now
    db.add(esc)
    return True


def close(db: Session, esc: Escalation, outcome: str, now: datetime, note: str = "") -> None:
    """Close a case as `stayed` or `reneged`; a renege also marks the candidate. Closing is a human contact too:
    a case closed before any contact was recorded gets its first contact at closing time. The note is added to
    the notes already on the case."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be stayed or reneged, not {outcome!r}")
    esc.outcome, esc.closed_at = outcome, now
    add_note(esc, note)
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


def is_open(esc: Escalation) -> bool:
    return esc.closed_at is None


def hours_to_first_contact(esc: Escalation) -> float | None:
    """Hours from opening to the first human contact; None while nobody has been in touch."""
    delta = time_to_first_contact(esc)
    return None if delta is None else delta.total_seconds() / 3600


def add_note(esc: Escalation, note: str) -> None:
    """Append HR's note to the case (the note given with 已联系 and the one given with 结案 sit one per line)."""
    note = note.strip()
    if note:
        esc.outcome_note = "\n".join(filter(None, [esc.outcome_note, note]))[:500]


def cases(db: Session, *, open_only: bool = False, limit: int | None = None) -> list[tuple[Escalation, Candidate]]:
    """Cases with their candidate, newest first."""
    q = select(Escalation, Candidate).join(Candidate, Candidate.id == Escalation.candidate_id)
    if open_only:
        q = q.where(Escalation.closed_at.is_(None))
    q = q.order_by(Escalation.opened_at.desc(), Escalation.id.desc())
    if limit is not None:
        q = q.limit(limit)
    return [(esc, cand) for esc, cand in db.exec(q)]


def count_open(db: Session) -> int:
    return db.exec(select(func.count()).select_from(Escalation).where(Escalation.closed_at.is_(None))).one()


# --- time to first human contact -------------------------------------------------------------------------------


def quantile(values: Iterable[float], q: float) -> float | None:
    """The q-quantile (0..1) by linear interpolation between order statistics (numpy's default, and
    statistics.median for q=0.5); None for no values."""
    xs = sorted(values)
    if not xs:
        return None
    if not 0 <= q <= 1:
        raise ValueError(f"q must be within 0..1, not {q!r}")
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@dataclass(frozen=True)
class Summary:
    count: int
    open: int
    contacted: int
    median_hours: float | None  # over the contacted cases only; `contacted` of `count` says how many that is
    p90_hours: float | None
    stayed: int
    reneged: int

    @property
    def contacted_share(self) -> float | None:
        return self.contacted / self.count if self.count else None


def summarize(cases: Iterable[Escalation]) -> Summary:
    """Count, contacted share, median and p90 hours to first contact, outcomes: a pure function of the rows."""
    rows = list(cases)
    hours = [h for h in (hours_to_first_contact(e) for e in rows) if h is not None]
    return Summary(
        count=len(rows),
        open=sum(1 for e in rows if is_open(e)),
        contacted=len(hours),
        median_hours=quantile(hours, 0.5),
        p90_hours=quantile(hours, 0.9),
        stayed=sum(1 for e in rows if e.outcome == "stayed"),
        reneged=sum(1 for e in rows if e.outcome == "reneged"),
    )


# --- the `flask escalations` report ----------------------------------------------------------------------------

REPORT_FIELDS = ["id", "candidate", "level", "reason", "opened", "first_contact", "hours_to_contact", "outcome",
                 "closed", "note"]
TABLE_FIELDS = REPORT_FIELDS[:8]


def report_rows(pairs: Iterable[tuple[Escalation, Candidate]], tz) -> list[dict[str, str]]:
    """One row per case for the table and the CSV: local times, hours to first contact with 2 decimals."""

    def local(at: datetime | None) -> str:
        return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else ""

    rows = []
    for esc, cand in pairs:
        hours = hours_to_first_contact(esc)
        rows.append({
            "id": str(esc.id), "candidate": cand.name, "level": esc.level, "reason": esc.reason,
            "opened": local(esc.opened_at), "first_contact": local(esc.first_contact_at),
            "hours_to_contact": "" if hours is None else f"{hours:.2f}",
            "outcome": esc.outcome or ("open" if is_open(esc) else ""), "closed": local(esc.closed_at),
            "note": esc.outcome_note or "",
        })
    return rows


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def format_table(rows: list[dict[str, str]], fields: list[str] = TABLE_FIELDS) -> str:
    """A plain-text table whose columns line up with Chinese names too (wide characters count twice)."""
    widths = {f: max([_width(f)] + [_width(r[f]) for r in rows]) for f in fields}
    lines = ["  ".join(f + " " * (widths[f] - _width(f)) for f in fields).rstrip()]
    for r in rows:
        lines.append("  ".join(r[f] + " " * (widths[f] - _width(r[f])) for f in fields).rstrip())
    return "\n".join(lines)


def format_summary(s: Summary) -> str:
    def hours(h: float | None) -> str:
        return "-" if h is None else f"{h:.1f} h"

    share = "-" if s.contacted_share is None else f"{s.contacted_share:.0%}"
    return (f"{s.count} cases ({s.open} open); contacted {s.contacted}/{s.count} ({share}); "
            f"hours to first contact: median {hours(s.median_hours)}, p90 {hours(s.p90_hours)}; "
            f"outcomes: {s.stayed} stayed, {s.reneged} reneged")
