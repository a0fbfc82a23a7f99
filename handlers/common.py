"""Handlers every registered person can use: 帮助."""

from __future__ import annotations

from handlers import staff
from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import ANY, Role, Router
from nlp.intents import Intent

router = Router("common")


@router.on(role=ANY, intent=Intent.HELP, help=True)
def on_help(ctx: Ctx, msg) -> Reply:
    """When someone writes 帮助: the list of what the bot can do for their role, built from the handler table."""
    if ctx.role == Role.MENTOR:
        return Reply.of("mentor_help", name=ctx.person.name)
    if ctx.role == Role.HR:
        return staff.hr_help(ctx)
    help_lines = ctx.content.data.get("help", {})
    entries = ctx.services.dispatcher.help_entries(str(ctx.role))
    lines = [help_lines[h.intent] for h in entries if h.intent in help_lines]
    return Reply.of("help", name=ctx.person.name if ctx.person else "", lines=lines)
