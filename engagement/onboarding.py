"""Facts about a candidate's way to day one: training date, week of the programme, documents, cohort mates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from models import Candidate, CandidateStatus, Cohort, Department, DocumentItem


def training_date(db: Session, cand: Candidate) -> tuple[date | None, Cohort | None]:
    cohort = db.get(Cohort, cand.cohort_id) if cand.cohort_id else None
    return (cohort.training_date if cohort else cand.start_date), cohort


def week_of(accepted_at: datetime | None, today: date, tz) -> tuple[int, date] | None:
    """(week number, first day of that week) of the programme; week 1 starts on the day the offer was accepted,
    in the company's time zone. None before acceptance."""
    if accepted_at is None:
        return None
    first = accepted_at.astimezone(tz).date()
    week = max(0, (today - first).days) // 7 + 1
    return week, first + timedelta(days=7 * (week - 1))


def programme_week(cand: Candidate, today: date, tz) -> int | None:
    """The candidate's programme week (see week_of); None before acceptance."""
    found = week_of(cand.offer_accepted_at, today, tz)
    return None if found is None else found[0]


@dataclass(frozen=True)
class Readiness:
    total: int
    done: int
    missing: list[DocumentItem]

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else round(100 * self.done / self.total)


def readiness(db: Session, candidate_id: int) -> Readiness:
    docs = list(db.exec(select(DocumentItem).where(DocumentItem.candidate_id == candidate_id, DocumentItem.required)
                        .order_by(DocumentItem.due_date, DocumentItem.id)))
    missing = [d for d in docs if d.received_at is None]
    return Readiness(total=len(docs), done=len(docs) - len(missing), missing=missing)


def cohort_mates(db: Session, cand: Candidate) -> list[tuple[str, str]]:
    """(name, department) of the people starting with this candidate who consented to being shown."""
    if cand.cohort_id is None:
        return []
    rows = db.exec(
        select(Candidate, Department)
        .join(Department, Department.id == Candidate.department_id, isouter=True)
        .where(
            Candidate.cohort_id == cand.cohort_id,
            Candidate.id != cand.id,
            Candidate.status.in_([CandidateStatus.accepted, CandidateStatus.onboarded]),
            Candidate.consent_at.is_not(None),
        )
        .order_by(Candidate.id)
    ).all()
    return [(c.name, d.name if d else "") for c, d in rows if c.profile.get("show_in_cohort", True)]


def days_between(now: datetime, later: datetime) -> float:
    return (later - now).total_seconds() / 86400
