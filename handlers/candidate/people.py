"""The people around a candidate: cohort mates (who consented), the mentor, the HR contact."""

from __future__ import annotations

from engagement.onboarding import cohort_mates
from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import Role, Router
from models import Cohort, HRUser, Mentor
from nlp.intents import Intent

router = Router("candidate.people")


@router.on(role=Role.CANDIDATE, intent=Intent.COHORT, help=True)
def on_cohort(ctx: Ctx, msg) -> Reply:
    """When a candidate asks who starts with them: names and departments of consenting cohort mates."""
    cohort = ctx.db.get(Cohort, ctx.candidate.cohort_id) if ctx.candidate.cohort_id else None
    return Reply.of("cohort", cohort=cohort.name if cohort else "", mates=cohort_mates(ctx.db, ctx.candidate))


@router.on(role=Role.CANDIDATE, intent=Intent.MENTOR, help=True)
def on_mentor(ctx: Ctx, msg) -> Reply:
    """When a candidate asks about their mentor: name, role and a short intro."""
    mentor = ctx.db.get(Mentor, ctx.candidate.mentor_id) if ctx.candidate.mentor_id else None
    return Reply.of("mentor", mentor=mentor)


@router.on(role=Role.CANDIDATE, intent=Intent.HR_CONTACT)
def on_hr_contact(ctx: Ctx, msg) -> Reply:
    """When a candidate asks who their HR is: the HR owner's name and how to reach them."""
    hr = ctx.db.get(HRUser, ctx.candidate.hr_owner_id) if ctx.candidate.hr_owner_id else None
    return Reply.of("hr_contact", hr=hr)
