"""The dev channel: /dev/chat, a local page to chat with the bot as any demo person, with no credentials.

It goes through the same pipeline, policy and outbox as the real channels; the dev sender just marks a row
sent, and the page reads the conversation back from the Message table (proactive messages show up too).
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from sqlmodel import Session, select

from bot import pipeline
from bot.inbound import Inbound
from models import Candidate, Channel, HRUser, Mentor, Message, OutboxItem

bp = Blueprint("devchat", __name__, template_folder="templates")

MAX_TEXT = 2000


class DevSender:
    """Delivery for the dev channel (and for real channels that are not configured under `make run`)."""

    def send(self, item: OutboxItem) -> str | None:
        return None


def _svc():
    return current_app.extensions["bot"]


@bp.get("/dev/chat")
def page():
    return render_template("devchat.html")


@bp.get("/dev/chat/api/people")
def people():
    with Session(_svc().engine) as db:
        out = [
            {"id": c.channel_user_id, "name": c.name, "role": "candidate", "status": c.status.value}
            for c in db.exec(select(Candidate).order_by(Candidate.id))
        ]
        out += [{"id": m.wecom_userid, "name": m.name, "role": "mentor"} for m in db.exec(select(Mentor))]
        out += [{"id": h.wecom_userid, "name": h.name, "role": "hr"} for h in db.exec(select(HRUser))]
    return jsonify(out)


@bp.post("/dev/chat/api/send")
def send():
    data = request.get_json(silent=True) or {}
    user, text = str(data.get("user") or "").strip(), str(data.get("text") or "").strip()
    if not user or not text:
        return jsonify(error="user and text are required"), 400
    if len(text) > MAX_TEXT:
        return jsonify(error=f"text longer than {MAX_TEXT} characters"), 413
    svc = _svc()
    inbound = Inbound(
        channel=Channel.dev, user_id=user, kind="text", text=text, received_at=svc.clock.now(), msg_id=uuid.uuid4().hex
    )
    result = pipeline.process(svc, inbound)
    svc.outbox.deliver_now(result.reply_ids)
    return jsonify(role=result.role, replies=len(result.reply_ids))


@bp.get("/dev/chat/api/messages")
def messages():
    user = request.args.get("user") or abort(400)
    after = request.args.get("after", default=0, type=int)
    with Session(_svc().engine) as db:
        rows = db.exec(
            select(Message).where(Message.user_id == user, Message.id > after).order_by(Message.id).limit(200)
        ).all()
        return jsonify(
            [
                {
                    "id": m.id,
                    "direction": m.direction.value,
                    "text": m.text,
                    "category": m.category.value if m.category else None,
                    "channel": m.channel.value,
                    "at": m.created_at.astimezone(_svc().clock.tz).strftime("%m-%d %H:%M"),
                }
                for m in rows
            ]
        )
