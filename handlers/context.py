"""Ctx: the one narrow object a handler gets, built once per inbound message or per scheduled job."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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

    @property
    def state_key(self) -> tuple[Channel, str]:
        """Conversation state belongs to the person, whichever channel (or the dev chat) they write from."""
        if isinstance(self.person, Candidate):
            return Channel(self.person.channel), self.person.channel_user_id
        if isinstance(self.person, (Mentor, HRUser)):
            return Channel.wecom, self.person.wecom_userid
        return Channel(self.inbound.channel), self.inbound.user_id

    def set_state(self, flow: str, state: str, data: dict | None = None, ttl: timedelta = timedelta(days=7)) -> ConversationState:
        channel, user_id = self.state_key
        row = self.db.get(ConversationState, (channel, user_id)) or ConversationState(channel=channel, user_id=user_id, flow=flow, state=state)
        row.flow, row.state, row.data, row.expires_at = flow, str(state), dict(data or {}), self.now + ttl
        self.db.add(row)
        self.state = row
        return row

    def clear_state(self) -> None:
        row = self.db.get(ConversationState, self.state_key)
        if row is not None:
            self.db.delete(row)
        self.state = None

    @classmethod
    def _build(cls, services: "Services", db: Session, role: Role, person, inbound=None) -> "Ctx":
        now = services.clock.now()
        ctx = cls(now=now, today=now.astimezone(services.clock.tz).date(), db=db, role=role, person=person,
                  services=services, inbound=inbound)
        if person is not None or inbound is not None:
            state = db.get(ConversationState, ctx.state_key)
            ctx.state = state if state is None or state.expires_at is None or state.expires_at > now else None
        return ctx

    @classmethod
    def from_inbound(cls, inbound: "Inbound", services: "Services", db: Session) -> "Ctx":
        role, person = identify(db, inbound.channel, inbound.user_id)
        return cls._build(services, db, role, person, inbound)

    @classmethod
    def from_job(cls, candidate_id: int, services: "Services", db: Session) -> "Ctx":
        return cls._build(services, db, Role.CANDIDATE, db.get(Candidate, candidate_id))


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
