"""What both platform callbacks share: size cap, replay window, safe XML, one passive reply, the rest queued."""

from __future__ import annotations

import logging
from typing import Callable

from flask import Request, Response, abort, current_app
from wechatpy.messages import UnknownMessage

from bot import pipeline
from bot.inbound import Inbound
from bot.safexml import BadXML, parse
from models import Channel, OutboxItem

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
REPLAY_WINDOW = 300  # seconds


def services():
    return current_app.extensions["bot"]


def read_body(request: Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY:
        abort(413)
    body = request.stream.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        abort(413)
    return body


def check_timestamp(timestamp: str | None) -> None:
    """Refuse replays: a signed request older (or newer) than five minutes is not accepted."""
    try:
        ts = int(timestamp or "")
    except ValueError:
        abort(403)
    if abs(services().clock.now().timestamp() - ts) > REPLAY_WINDOW:
        abort(403)


def parse_xml(body: bytes | str) -> dict:
    try:
        return parse(body)
    except BadXML as exc:
        log.warning("rejected callback body: %s", exc)
        abort(400)


def message(xml: dict, message_types: dict, event_types: dict):
    """A parsed callback body to the platform's wechatpy message object (events by their Event)."""
    kind = (xml.get("MsgType") or "").lower()
    if kind == "event":
        return event_types.get((xml.get("Event") or "").lower(), UnknownMessage)(xml)
    return message_types.get(kind, UnknownMessage)(xml)


def to_inbound(channel: Channel, msg, received_at) -> Inbound:
    """A wechatpy message object to our Inbound."""
    kind = msg.type if msg.type in ("text", "event", "image", "voice", "location", "link", "video") else "unknown"
    event = getattr(msg, "event", None)
    key = getattr(msg, "key", None) or getattr(msg, "scene_id", None)
    create_time = getattr(msg, "create_time", None)
    return Inbound(
        channel=channel,
        user_id=msg.source,
        kind=kind,
        text=(msg.content or "").strip() if kind == "text" else "",
        received_at=received_at,
        msg_id=str(msg.id) if getattr(msg, "id", None) else None,
        event=event,
        event_key=str(key) if key else None,
        created_at=int(create_time.timestamp()) if create_time is not None else None,
    )


def respond(inbound: Inbound, render_passive: Callable[[str], str]) -> Response:
    """The HTTP answer to the platform: the passive reply XML, or a plain `success`."""
    answer = handle(inbound, render_passive)
    return Response(answer, mimetype="application/xml" if answer != "success" else "text/plain")


def handle(inbound: Inbound, render_passive: Callable[[str], str]) -> str:
    """Process the inbound and answer the platform: the first reply as a passive reply, the rest via the outbox."""
    svc = services()
    result = pipeline.process(svc, inbound)
    if result.duplicate or not result.reply_ids:
        return "success"
    passive: list[OutboxItem] = []

    def capture(item: OutboxItem) -> None:
        passive.append(item)
        return None

    svc.outbox.deliver_now(result.reply_ids[:1], transport=capture)
    if len(result.reply_ids) > 1:
        svc.kick()  # the rest go out through the API as soon as the dispatcher runs
    return render_passive(passive[0].text) if passive else "success"


def now_ts() -> str:
    return str(int(services().clock.now().timestamp()))
