"""Idempotency of platform callbacks: WeCom/WeChat retry three times when slow, we handle each message once."""

from __future__ import annotations

import hashlib

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.inbound import Inbound
from models import ProcessedCallback


def callback_key(inbound: Inbound) -> str:
    """MsgId for messages; events have none, so hash FromUserName + CreateTime + Event + EventKey."""
    if inbound.msg_id:
        return f"{inbound.channel.value}:msg:{inbound.msg_id}"
    raw = "|".join([inbound.user_id, str(inbound.created_at or ""), inbound.event or "", inbound.event_key or ""])
    return f"{inbound.channel.value}:evt:{hashlib.sha1(raw.encode()).hexdigest()}"


def claim(db: Session, inbound: Inbound) -> bool:
    """True the first time this callback is seen (in this transaction's view), False for a platform retry."""
    key = callback_key(inbound)
    if db.get(ProcessedCallback, key) is not None:
        return False
    try:
        with db.begin_nested():
            db.add(ProcessedCallback(key=key, channel=inbound.channel, received_at=inbound.received_at))
    except IntegrityError:  # a concurrent retry inserted it first
        return False
    return True
