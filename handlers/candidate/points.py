"""Points and gifts: the balance with its history, and redeeming a gift from content/gifts.yaml.

Redemption states (flow "redeem"): "choose" -> "confirm" -> "delivery" -> "address" -> END. 取消 leaves at any
step. The redemption row carries a key made when the flow started, so a repeated 确认 never redeems twice, and
the ledger refuses to go below zero.
"""

from __future__ import annotations

import uuid

from sqlmodel import select

from engagement import points
from handlers import flow
from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import Role, Router
from models import Redemption
from nlp.intents import Intent
from nlp.tokenize import normalize

router = Router("candidate.points")
FLOW = "redeem"
DELIVERY = {"mail": ("邮寄", "寄", "快递", "地址"), "pickup": ("领取", "自取", "现场", "入职", "当天", "到时候")}


def gifts(ctx: Ctx) -> list[dict]:
    return ctx.content.data["gifts"]["gifts"]


def gift(ctx: Ctx, key: str) -> dict:
    return next(g for g in gifts(ctx) if g["key"] == key)


@router.on(role=Role.CANDIDATE, intent=Intent.POINTS, help=True)
def on_points(ctx: Ctx, msg) -> Reply:
    """When a candidate asks about points: the balance and the latest earns and spends."""
    return Reply.of("points", balance=points.balance(ctx.db, ctx.candidate.id),
                    history=points.history(ctx.db, ctx.candidate.id, limit=5), tz=ctx.services.clock.tz)


@router.on(role=Role.CANDIDATE, intent=Intent.REDEEM, help=True)
def on_redeem(ctx: Ctx, msg) -> Reply:
    """When a candidate wants to redeem: the gift list with prices and their balance; a number picks one."""
    ctx.set_state(FLOW, "choose", {"nonce": uuid.uuid4().hex[:12]})
    return Reply.of("redeem_list", gifts=gifts(ctx), balance=points.balance(ctx.db, ctx.candidate.id))


def _cancelled(ctx: Ctx, msg) -> Reply | None:
    if flow.is_cancel(msg.text) or flow.is_no(msg.text):
        ctx.clear_state()
        return Reply.of("redeem_cancelled")
    return None


@router.on_state(FLOW, "choose")
def on_choose(ctx: Ctx, msg):
    """After the gift list: picks a gift by number or name and asks for confirmation."""
    if (r := _cancelled(ctx, msg)) is not None:
        return r
    items = gifts(ctx)
    k = flow.choice(msg.text, len(items))
    if k is None:
        clean = normalize(msg.text)
        k = next((i for i, g in enumerate(items) if normalize(g["name"]) in clean or clean in normalize(g["name"])), None)
    if k is None:
        return NotImplemented if flow.changes_subject(ctx, msg) else Reply.of("redeem_unclear", gifts=items)
    g = items[k]
    balance = points.balance(ctx.db, ctx.candidate.id)
    if balance < int(g["points"]):
        ctx.clear_state()
        return Reply.of("redeem_insufficient", gift=g, balance=balance, short=int(g["points"]) - balance)
    ctx.set_state(FLOW, "confirm", {**ctx.state.data, "gift": g["key"]})
    return Reply.of("redeem_confirm", gift=g, balance=balance)


@router.on_state(FLOW, "confirm")
def on_confirm(ctx: Ctx, msg):
    """At the confirmation: 确认 goes on to delivery (or redeems at once when only pick-up exists)."""
    if (r := _cancelled(ctx, msg)) is not None:
        return r
    if not flow.is_yes(msg.text):
        return NotImplemented if flow.changes_subject(ctx, msg) else Reply.of("redeem_confirm_again")
    g = gift(ctx, ctx.state.data["gift"])
    if g["delivery"] == ["pickup"]:
        return redeem(ctx, g, "pickup", "")
    ctx.set_state(FLOW, "delivery", ctx.state.data)
    return Reply.of("redeem_delivery", gift=g)


@router.on_state(FLOW, "delivery")
def on_delivery(ctx: Ctx, msg):
    """Mail or pick-up on day one: pick-up redeems now, mail asks for the address."""
    if (r := _cancelled(ctx, msg)) is not None:
        return r
    g = gift(ctx, ctx.state.data["gift"])
    clean = normalize(msg.text)
    options = [d for d in ("mail", "pickup") if d in g["delivery"]]
    k = flow.choice(msg.text, len(options))
    choice = options[k] if k is not None else next((d for d in options if any(w in clean for w in DELIVERY[d])), None)
    if choice is None:
        return Reply.of("redeem_delivery", gift=g)
    if choice == "pickup":
        return redeem(ctx, g, "pickup", "")
    ctx.set_state(FLOW, "address", ctx.state.data)
    return Reply.of("redeem_address")


@router.on_state(FLOW, "address")
def on_address(ctx: Ctx, msg):
    """The delivery address for a mailed gift; then the redemption is made."""
    if (r := _cancelled(ctx, msg)) is not None:
        return r
    address = (msg.text or "").strip()
    if len(address) < 8:
        return Reply.of("redeem_address_short")
    return redeem(ctx, gift(ctx, ctx.state.data["gift"]), "mail", address[:300])


def redeem(ctx: Ctx, g: dict, delivery: str, address: str) -> Reply:
    key = f"redeem:{ctx.candidate.id}:{ctx.state.data['nonce']}"
    ctx.clear_state()
    if ctx.db.exec(select(Redemption.id).where(Redemption.request_key == key)).first() is not None:
        return Reply.of("redeem_done_already")
    try:
        points.spend(ctx.db, ctx.candidate.id, int(g["points"]), reason="redemption", source=g["key"], source_key=key, now=ctx.now)
    except points.InsufficientPoints as exc:
        return Reply.of("redeem_insufficient", gift=g, balance=exc.balance, short=exc.needed - exc.balance)
    ctx.db.add(Redemption(candidate_id=ctx.candidate.id, gift_key=g["key"], gift_name=g["name"], points=int(g["points"]),
                          delivery=delivery, address=address, request_key=key, created_at=ctx.now))
    return Reply.of("redeem_done", gift=g, delivery=delivery, address=address,
                    balance=points.balance(ctx.db, ctx.candidate.id))
