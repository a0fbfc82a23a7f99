"""Accepting the offer, and the welcome pack that follows within 24 h (whoever marked the offer accepted)."""

from __future__ import annotations

from handlers.candidate import questionnaire
from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import Role, Router
from models import CandidateStatus, Category, Cohort, Mentor
from nlp.intents import Intent

router = Router("candidate.offer")


def welcome_pack(ctx: Ctx, category: Category = Category.reply) -> list[Reply]:
    """The welcome message with the onboarding guide, then the first questionnaire question."""
    cand = ctx.candidate
    cohort = ctx.db.get(Cohort, cand.cohort_id) if cand.cohort_id else None
    mentor = ctx.db.get(Mentor, cand.mentor_id) if cand.mentor_id else None
    cand.welcome_sent_at = ctx.now
    ctx.db.add(cand)
    welcome = Reply(template="welcome_pack", category=category, vars={
        "name": cand.name, "cohort": cohort, "mentor": mentor, "guide": ctx.content.data["onboarding"]["guide"]})
    first = questionnaire.start(ctx)
    return [welcome, Reply(template=first.template, vars=first.vars, category=category)]


@router.on(role=Role.CANDIDATE, intent=Intent.ACCEPT_OFFER)
def on_accept_offer(ctx: Ctx, msg) -> Reply | list[Reply]:
    """When a candidate says they accept the offer: marks it accepted and sends the welcome pack at once."""
    cand = ctx.candidate
    if cand.status in (CandidateStatus.reneged, CandidateStatus.withdrawn):
        return Reply.of("offer_closed", name=cand.name)
    if cand.status != CandidateStatus.offered:
        return Reply.of("offer_already_accepted", name=cand.name)
    cand.status = CandidateStatus.accepted
    cand.offer_accepted_at = ctx.now
    ctx.db.add(cand)
    return welcome_pack(ctx)
