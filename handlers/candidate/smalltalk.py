"""Hello and thanks: short, warm, and a pointer to what the bot can do."""

from __future__ import annotations

from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import Role, Router
from nlp.intents import Intent

router = Router("candidate.smalltalk")


@router.on(role=Role.CANDIDATE, intent=Intent.GREETING)
def on_greeting(ctx: Ctx, msg) -> Reply:
    """When a candidate says hello: a greeting by name and a hint of what to ask."""
    return Reply.of("greeting", name=ctx.candidate.name, hour=ctx.now.astimezone(ctx.services.clock.tz).hour)


@router.on(role=Role.CANDIDATE, intent=Intent.THANKS)
def on_thanks(ctx: Ctx, msg) -> Reply:
    """When a candidate says thanks or ok: a short friendly acknowledgement."""
    return Reply.of("thanks", name=ctx.candidate.name)
