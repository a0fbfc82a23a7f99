"""Ctx: the one narrow object a handler gets, built once per inbound message or per scheduled job."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from handlers.router import Role
from models import Candidate, Channel, ConversationState, HRUser, Mentor

if TYPE_CHECKING:  # the services container is wired by app.py; the core only uses its attributes
    from services import Services
    from bot.inbound import Inbound


@dataclass
class Ctx:
    now: datetime
    today: date
    db: Session
    role: Role
    person: Candidate | Mentor | HRUser | None
    services: "Services"
    inbound: "Inbound | None" = None
    state: ConversationState | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def content(self):
        return self.services.content

    @property
    def config(self):
        return self.services.config

    @property
    def candidate(self) -> Candidate | None:
        return self.person if isinstance(self.person, Candidate) else None

    @classmethod
    def from_inbound(cls, inbound: "Inbound", services: "Services", db: Session) -> "Ctx":
        role, person = identify(db, inbound.channel, inbound.user_id)
        now = services.clock.now()
        state = db.get(ConversationState, (inbound.channel, inbound.user_id))
        if state is not None and state.expires_at is not None and state.expires_at <= now:
            state = None
        return cls(
            now=now,
            today=now.astimezone(services.clock.tz).date(),
            db=db,
            role=role,
            person=person,
            services=services,
            inbound=inbound,
            state=state,
        )

    @classmethod
    def from_job(cls, candidate_id: int, services: "Services", db: Session) -> "Ctx":
        now = services.clock.now()
        return cls(
            now=now,
            today=now.astimezone(services.clock.tz).date(),
            db=db,
            role=Role.CANDIDATE,
            person=db.get(Candidate, candidate_id),
            services=services,
        )


def identify(db: Session, channel: Channel | str, user_id: str) -> tuple[Role, Candidate | Mentor | HRUser | None]:
    """Who is writing. Candidates are found by (channel, user id); staff by WeCom userid on WeCom and dev."""
    channel = Channel(channel)
    if channel == Channel.dev:
        cand = db.exec(select(Candidate).where(Candidate.channel_user_id == user_id)).first()
    else:
        cand = db.exec(
            select(Candidate).where(Candidate.channel == channel, Candidate.channel_user_id == user_id)
        ).first()
    if cand is not None:
        return Role.CANDIDATE, cand
    if channel in (Channel.wecom, Channel.dev):
        hr = db.exec(select(HRUser).where(HRUser.wecom_userid == user_id)).first()
        if hr is not None:
            return Role.HR, hr
        mentor = db.exec(select(Mentor).where(Mentor.wecom_userid == user_id)).first()
        if mentor is not None:
            return Role.MENTOR, mentor
    return Role.STRANGER, None
