"""One inbound message, start to finish: dedupe, record, route through the handlers, queue the replies.

Everything happens in one database transaction, so a crash leaves either nothing or the whole result; the
ProcessedCallback row commits with the replies, so a platform retry after a crash is handled afresh.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlmodel import Session

from bot import dedupe
from bot.inbound import Inbound
from handlers.context import Ctx
from models import Category, Channel, Direction, Message, OutboxItem

log = logging.getLogger(__name__)


@dataclass
class Processed:
    duplicate: bool = False
    reply_ids: list[int] = field(default_factory=list)
    role: str = ""


def process(services, inbound: Inbound) -> Processed:
    with Session(services.engine) as db:
        if not dedupe.claim(db, inbound):
            log.info("duplicate callback %s ignored", dedupe.callback_key(inbound))
            return Processed(duplicate=True)
        ctx = Ctx.from_inbound(inbound, services, db)
        cand = ctx.candidate
        ctx.extra["inbound_message"] = message = Message(
            direction=Direction.inbound,
            channel=inbound.channel,
            user_id=inbound.user_id,
            candidate_id=cand.id if cand else None,
            kind=inbound.kind,
            text=inbound.text if inbound.kind == "text" else (inbound.event or inbound.kind),
            dedupe_key=f"in:{dedupe.callback_key(inbound)}",
            created_at=inbound.received_at,
        )
        db.add(message)
        replies = services.pipeline.run(ctx, inbound)
        base = f"reply:{dedupe.callback_key(inbound)}"
        queued: list[OutboxItem] = []
        for n, reply in enumerate(replies, start=1):
            queued += services.outbox.enqueue(
                db,
                channel=inbound.channel,
                recipient=inbound.user_id,
                text=reply.render(services.content),
                dedupe_key=f"{base}:{n}",
                category=reply.category if reply.category != Category.alert else Category.reply,
                candidate_id=cand.id if cand else None,
            )
        db.flush()
        ids = [i.id for i in queued]
        db.commit()
        return Processed(reply_ids=ids, role=str(ctx.role))


__all__ = ["Processed", "process", "Channel"]
