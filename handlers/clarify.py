"""When the classifier hesitates between two intents: ask which one was meant, then answer that one.

State (flow "clarify", state "choose", data: the two intents). 1/2 or words of an option pick it; anything else
is routed afresh.
"""

from __future__ import annotations

import dataclasses

from handlers import flow
from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import ANY, CLARIFY, Router
from nlp.intents import Intent
from nlp.tokenize import normalize

router = Router("clarify")
FLOW = "clarify"


@router.on(role=ANY, intent=CLARIFY)
def on_ambiguous(ctx: Ctx, msg) -> Reply:
    """When a message could mean two things: asks which of the two, numbered."""
    options = [str(i) for i in ctx.extra["intent"].alternatives[:2]]
    labels = ctx.content.data["intents"]
    ctx.set_state(FLOW, "choose", {"options": options, "text": msg.text})
    return Reply.of("clarify", options=[labels.get(o, o) for o in options])


@router.on_state(FLOW, "choose")
def on_choice(ctx: Ctx, msg):
    """After the clarifying question: answers the chosen intent for the original message."""
    options = ctx.state.data["options"]
    labels = ctx.content.data["intents"]
    k = flow.choice(msg.text, len(options))
    if k is None:
        clean = normalize(msg.text)
        k = next((i for i, o in enumerate(options) if normalize(labels.get(o, o)) in clean), None)
    original = ctx.state.data.get("text", "")
    ctx.clear_state()
    if k is None:
        return NotImplemented
    return ctx.services.pipeline.answer(ctx, dataclasses.replace(msg, text=original), Intent(options[k]))
