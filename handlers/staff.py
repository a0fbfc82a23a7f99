"""Mentors and HR writing to the bot: their catch-alls and HR's help. (HR's case commands: handlers/hr_cases.py.)"""

from __future__ import annotations

from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import ANY, Role, Router

router = Router("staff")


@router.on(role=Role.MENTOR, intent=ANY)
def on_mentor_message(ctx: Ctx, msg) -> Reply:
    """When a mentor writes something that is not a command: explains how relayed questions work."""
    return Reply.of("mentor_help", name=ctx.person.name)


@router.on(role=Role.HR, intent=ANY)
def on_hr_message(ctx: Ctx, msg) -> Reply:
    """When an HR user writes something that is not a command: the HR commands and the console address."""
    return hr_help(ctx)


def hr_help(ctx: Ctx) -> Reply:
    """HR's 帮助: one line per HR handler flagged help=True (content/help_hr.yaml), then the console."""
    lines = ctx.content.data["help_hr"]
    entries = ctx.services.dispatcher.help_entries(Role.HR)
    return Reply.of("hr_help", name=ctx.person.name, lines=[lines[h.intent] for h in entries if h.intent in lines],
                    console_url=ctx.config.get("PUBLIC_URL", "") + "/dashboard/")
