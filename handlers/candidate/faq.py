"""Practical questions (dress code, housing, transport, canteen ...) answered from content/faq.yaml."""

from __future__ import annotations

from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import Role, Router
from nlp.intents import Intent
from nlp.tokenize import normalize

router = Router("candidate.faq")


def best_entry(entries: list[dict], text: str) -> dict | None:
    """The entry whose keywords cover most of the message (longest keyword wins a tie)."""
    clean = normalize(text)
    scored = []
    for entry in entries:
        hits = [k for k in entry["keywords"] if normalize(str(k)) in clean]
        if hits:
            scored.append((len(hits), max(len(h) for h in hits), entry))
    if not scored:
        return None
    return max(scored, key=lambda s: (s[0], s[1]))[2]


@router.on(role=Role.CANDIDATE, intent=Intent.FAQ, help=True)
def on_faq(ctx: Ctx, msg) -> Reply:
    """When a candidate asks a practical question: the matching FAQ answer, or the list of FAQ topics."""
    entries = ctx.content.data["faq"]["faq"]
    entry = best_entry(entries, msg.text)
    if entry is None:
        return Reply.of("faq_topics", entries=entries)
    return Reply.of("faq_answer", entry=entry)
