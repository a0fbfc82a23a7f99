"""Readiness: how much of the onboarding checklist is done, and what is still missing by when."""

from __future__ import annotations

from engagement.onboarding import readiness
from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import Role, Router
from nlp.intents import Intent

router = Router("candidate.readiness")


@router.on(role=Role.CANDIDATE, intent=Intent.READINESS, help=True)
def on_readiness(ctx: Ctx, msg) -> Reply:
    """When a candidate asks about their documents: percent done and each missing item with its deadline."""
    r = readiness(ctx.db, ctx.candidate.id)
    return Reply.of("readiness", percent=r.percent, done=r.done, total=r.total, missing=r.missing, today=ctx.today)
