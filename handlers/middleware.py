"""Cross-cutting rules that see every inbound message, whatever handler answers it."""

from __future__ import annotations

from sqlmodel import select

from engagement import stickiness
from handlers.context import Ctx
from models import Category, Direction, EngagementEvent, Message

PROACTIVE = [Category.critical, Category.task, Category.engagement, Category.relay]


def record_engagement(ctx: Ctx, msg) -> None:
    """Every candidate inbound: last seen, and the reply delay to the bot's last proactive message (stickiness)."""
    cand = ctx.candidate
    if cand is None:
        return None
    previous = cand.last_inbound_at
    cand.last_inbound_at = ctx.now
    ctx.db.add(cand)
    ctx.db.add(EngagementEvent(candidate_id=cand.id, kind="inbound", at=ctx.now))
    last_push = ctx.db.exec(
        select(Message.created_at)
        .where(Message.candidate_id == cand.id, Message.direction == Direction.outbound, Message.category.in_(PROACTIVE))
        .order_by(Message.created_at.desc())
        .limit(1)
    ).first()
    if last_push is not None and (previous is None or previous < last_push) and last_push <= ctx.now:
        ctx.db.add(EngagementEvent(candidate_id=cand.id, kind="reply", at=ctx.now,
                                   value=(ctx.now - last_push).total_seconds()))
    ctx.db.flush()
    stickiness.recompute(ctx.db, cand, ctx.now, stickiness.StickinessSettings.from_config(ctx.config))
    return None
