"""Inbound: the only shape a message has past the edge, whatever channel it came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models import Channel


@dataclass(frozen=True)
class Inbound:
    channel: Channel
    user_id: str
    kind: str  # text | event | image | voice | location | link | unknown
    text: str
    received_at: datetime
    msg_id: str | None = None
    event: str | None = None  # subscribe, enter_agent, click, ...
    event_key: str | None = None
    created_at: int | None = None  # platform CreateTime (epoch seconds), used for event dedupe
