"""Personal data (PIPL): the consent notice on first contact, what is stored, and a deletion request for HR.

Deletion flow (flow "delete_data", state "confirm"): 确认 creates a DeletionRequest that HR executes in the
console; anything else cancels.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from engagement import points
from engagement.onboarding import readiness
from handlers import flow
from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import Role, Router
from models import Cohort, DeletionRequest, Department, Message
from nlp.intents import Intent

router = Router("candidate.privacy")
FLOW = "delete_data"


def consent_notice(ctx: Ctx, msg) -> Reply | None:
    """Middleware, every inbound: on a candidate's first contact, record consent time and show the notice."""
    cand = ctx.candidate
    if cand is None or cand.consent_at is not None:
        return None
    cand.consent_at = ctx.now
    ctx.db.add(cand)
    privacy = ctx.content.data["privacy"]
    return Reply(text=ctx.content.from_string(privacy["consent_notice"], privacy_url=privacy["full_text_url"]))


@router.on(role=Role.CANDIDATE, intent=Intent.MY_DATA)
def on_my_data(ctx: Ctx, msg) -> Reply:
    """When a candidate asks what is stored about them: every stored field, in plain words."""
    cand = ctx.candidate
    cohort = ctx.db.get(Cohort, cand.cohort_id) if cand.cohort_id else None
    dept = ctx.db.get(Department, cand.department_id) if cand.department_id else None
    r = readiness(ctx.db, cand.id)
    messages = ctx.db.exec(select(func.count()).select_from(Message).where(Message.candidate_id == cand.id)).one()
    return Reply.of("my_data", labels=ctx.content.data["privacy"]["stored_fields"], cand=cand, cohort=cohort, dept=dept,
                    docs_done=r.done, docs_total=r.total, balance=points.balance(ctx.db, cand.id), messages=messages,
                    tz=ctx.services.clock.tz)


@router.on(role=Role.CANDIDATE, intent=Intent.DELETE_DATA)
def on_delete_data(ctx: Ctx, msg) -> Reply:
    """When a candidate asks for deletion: explains what happens and asks for confirmation."""
    ctx.set_state(FLOW, "confirm")
    return Reply.of("delete_confirm")


@router.on_state(FLOW, "confirm")
def on_delete_confirm(ctx: Ctx, msg) -> Reply:
    """At the deletion confirmation: 确认 hands a deletion request to HR; anything else cancels."""
    ctx.clear_state()
    if not flow.is_yes(msg.text):
        return Reply.of("delete_cancelled")
    pending = ctx.db.exec(select(DeletionRequest).where(DeletionRequest.candidate_id == ctx.candidate.id,
                                                        DeletionRequest.status == "pending")).first()
    if pending is None:
        ctx.db.add(DeletionRequest(candidate_id=ctx.candidate.id, candidate_name=ctx.candidate.name, requested_at=ctx.now))
    return Reply.of("delete_requested")
