"""Mentors and HR writing to the bot. (The relay of candidates' questions is built on top of this.)"""

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
    """When an HR user writes something that is not a command: points to the console."""
    return Reply.of("hr_help", name=ctx.person.name, console_url=ctx.config.get("PUBLIC_URL", "") + "/dashboard/")
