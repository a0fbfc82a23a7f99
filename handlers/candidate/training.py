"""Training and day one: days left, where and when to report, what to bring, the agenda of the first days."""

from __future__ import annotations

from engagement.onboarding import readiness, training_date
from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import Role, Router
from nlp.intents import Intent

router = Router("candidate.training")


def _training(ctx: Ctx) -> dict | None:
    day, cohort = training_date(ctx.db, ctx.candidate)
    if day is None:
        return None
    return {
        "days": (day - ctx.today).days,
        "cohort": cohort.name if cohort else "",
        "training_date": day,
        "report_time": cohort.report_time if cohort else "09:00",
        "place": cohort.place if cohort else "",
    }


@router.on(role=Role.CANDIDATE, intent=Intent.DAYS_UNTIL_TRAINING, help=True)
def on_days_until_training(ctx: Ctx, msg) -> Reply:
    """When a candidate asks how long until training: days left, date, reporting time and place."""
    info = _training(ctx)
    return Reply.of("days_until_training", **info) if info else Reply.of("no_training_date")


@router.on(role=Role.CANDIDATE, intent=Intent.REPORT_INFO, help=True)
def on_report_info(ctx: Ctx, msg) -> Reply:
    """When a candidate asks where and when to report on day one: date, time, address, what to bring."""
    info = _training(ctx)
    if not info:
        return Reply.of("no_training_date")
    return Reply.of("report_info", **info, bring=ctx.content.data["onboarding"]["bring"])


@router.on(role=Role.CANDIDATE, intent=Intent.WHAT_TO_BRING, help=True)
def on_what_to_bring(ctx: Ctx, msg) -> Reply:
    """When a candidate asks what to bring: the day-one list, plus documents not handed in yet."""
    onboarding = ctx.content.data["onboarding"]
    return Reply.of("what_to_bring", bring=onboarding["bring"], dress=onboarding.get("dress", ""),
                    missing=readiness(ctx.db, ctx.candidate.id).missing)


@router.on(role=Role.CANDIDATE, intent=Intent.TRAINING_AGENDA, help=True)
def on_training_agenda(ctx: Ctx, msg) -> Reply:
    """When a candidate asks about the training: the agenda of the first days."""
    info = _training(ctx)
    return Reply.of("training_agenda", days=ctx.content.data["agenda"]["days"],
                    training_date=info["training_date"] if info else None)
