"""Training date and place: how many days until the cohort's training starts."""

from __future__ import annotations

from sqlmodel import Session

from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import Role, Router
from models import Cohort
from nlp.intents import Intent

router = Router("candidate.training")


@router.on(role=Role.CANDIDATE, intent=Intent.DAYS_UNTIL_TRAINING, help=True)
def on_days_until_training(ctx: Ctx, msg) -> Reply:
    """When a candidate asks how long until training: days left, date, reporting time and place."""
    cand = ctx.candidate
    cohort = ctx.db.get(Cohort, cand.cohort_id) if cand.cohort_id else None
    training_date = cohort.training_date if cohort else cand.start_date
    if training_date is None:
        return Reply.of("no_training_date")
    return Reply.of(
        "days_until_training",
        days=(training_date - ctx.today).days,
        cohort=cohort.name if cohort else "",
        training_date=training_date,
        report_time=cohort.report_time if cohort else "09:00",
        place=cohort.place if cohort else "",
    )
