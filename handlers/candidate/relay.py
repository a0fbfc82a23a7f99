"""Questions for people: "我想问导师 ..." and "找HR" become relay requests (answered by the relay work later).

State (flow "relay", state = target): the bot asked what the question is.
"""

from __future__ import annotations

import re
from datetime import timedelta

from handlers import flow
from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import ANY, Role, Router
from models import HRUser, Mentor, RelayRequest
from nlp.intents import Intent
from nlp.tokenize import normalize

router = Router("candidate.relay")
FLOW = "relay"
_TTL = timedelta(hours=2)
# The words that ask for the relay, so what follows them is the question itself.
_LEAD = re.compile(
    r"^(我想|我要|想|帮我|麻烦|能不能|可以)?(帮我)?(问问?|请教|咨询|转告|告诉)(一下|下)?(我的)?(导师|师傅|mentor)"
    r"(一下|下)?[,，:：\s]*"
)


def question_of(text: str) -> str:
    return _LEAD.sub("", normalize(text), count=1).strip(" ，,。:：?？")


def create(ctx: Ctx, target: str, question: str) -> list[Reply]:
    """Record the request and tell the candidate who will answer and when."""
    cand = ctx.candidate
    if target == "mentor":
        person = ctx.db.get(Mentor, cand.mentor_id) if cand.mentor_id else None
    else:
        person = ctx.db.get(HRUser, cand.hr_owner_id) if cand.hr_owner_id else None
    ctx.db.add(RelayRequest(candidate_id=cand.id, target=target, target_userid=person.wecom_userid if person else None,
                            question=question[:1000], created_at=ctx.now))
    return [Reply.of("relay_created", target=target, person=person)]


@router.on(role=Role.CANDIDATE, intent=Intent.ASK_MENTOR, help=True)
def on_ask_mentor(ctx: Ctx, msg):
    """When a candidate wants to ask their mentor something: relays the question (or asks what it is)."""
    question = question_of(msg.text)
    if len(question) < 2:
        ctx.set_state(FLOW, "mentor", ttl=_TTL)
        return Reply.of("relay_ask_question", target="mentor")
    return create(ctx, "mentor", question)


@router.on(role=Role.CANDIDATE, intent=Intent.ASK_HR, help=True)
def on_ask_hr(ctx: Ctx, msg):
    """When a candidate asks for a person in HR: asks what it is about, then hands it over."""
    ctx.set_state(FLOW, "hr", ttl=_TTL)
    return Reply.of("relay_ask_question", target="hr")


@router.on_state(FLOW, ANY)
def on_question(ctx: Ctx, msg):
    """After the bot asked what the question is: relays it."""
    target = ctx.state.state
    ctx.clear_state()
    if flow.is_cancel(msg.text):
        return Reply.of("relay_cancelled")
    return create(ctx, target, msg.text.strip())
