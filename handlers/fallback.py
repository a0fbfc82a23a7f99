"""The last router: strangers and messages no other handler understood."""

from __future__ import annotations

from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import ANY, Role, Router

router = Router("fallback")


@router.on(role=Role.STRANGER, intent=ANY)
def on_stranger(ctx: Ctx, msg) -> Reply:
    """When someone not registered writes: a polite note to contact HR, nothing stored about them but the message."""
    return Reply.of("not_registered")


@router.on(role=ANY, intent=ANY)
def on_unknown(ctx: Ctx, msg) -> Reply:
    """When no handler understood the message: a friendly nudge towards 帮助."""
    return Reply.of("fallback", name=ctx.person.name if ctx.person else "")
