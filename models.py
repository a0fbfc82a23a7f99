"""Every table of the product (one file, as SQLModel's docs do), plus the engine and session helpers.

Datetimes are stored as naive UTC and come back timezone-aware (UTCDateTime), so code only ever handles aware
instants. Calendar dates (start date, training date) are plain local dates in the company's timezone.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy import JSON, Column, Index, UniqueConstraint, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, Session, SQLModel, create_engine


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, naive UTC on disk (SQLite has no time zones)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column; use the injected clock")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


def ts(**kw: Any) -> Any:
    """A timestamp column."""
    nullable = kw.pop("nullable", True)
    index = kw.pop("index", False)
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index), **kw)


def json_field(default_factory=dict) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


class CandidateStatus(str, enum.Enum):
    offered = "offered"
    accepted = "accepted"
    onboarded = "onboarded"
    reneged = "reneged"
    withdrawn = "withdrawn"


class Channel(str, enum.Enum):
    wecom = "wecom"  # WeCom self-built app (members, and candidates added as external members)
    wechat = "wechat"  # WeChat Official Account (external WeChat users)
    robot = "robot"  # WeCom group robot (HR alerts)
    dev = "dev"  # local dev chat


class Direction(str, enum.Enum):
    inbound = "in"
    outbound = "out"


class Category(str, enum.Enum):
    """Delivery categories the policy reasons about (see engagement/policy.py)."""

    critical = "critical"
    task = "task"
    engagement = "engagement"
    relay = "relay"
    reply = "reply"
    alert = "alert"  # HR-facing (robot); never goes to a candidate


class OutboxStatus(str, enum.Enum):
    pending = "pending"  # waiting for due_at
    sending = "sending"  # claimed by a dispatcher
    sent = "sent"
    failed = "failed"  # permanent error, or retries exhausted
    held = "held"  # the policy postponed it (reason stored); still pending, counted apart for reporting
    suppressed = "suppressed"  # the policy dropped it (reason stored)
    cancelled = "cancelled"  # re-planned away (renege, start date moved)


class Company(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str
    timezone: str = "Asia/Shanghai"
    quiet_hours: str = "22:00-08:00"
    holidays: list = json_field(list)  # ISO dates on which no proactive message goes out
    settings: dict = json_field()


class Department(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    contact_userid: Optional[str] = None  # WeCom userid that answers routed questions


class Mentor(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str
    wecom_userid: str = Field(unique=True, index=True)
    title: str = ""
    intro: str = ""
    department_id: Optional[int] = Field(default=None, foreign_key="department.id")


class HRUser(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str
    wecom_userid: str = Field(unique=True, index=True)
    mobile: Optional[str] = None  # for @mentions in the group robot
    email: Optional[str] = None
    password_hash: Optional[str] = None  # console login


class Cohort(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str
    training_date: date = Field(index=True)
    report_time: str = "09:00"
    place: str = ""
    meetup_at: Optional[datetime] = ts()
    meetup_url: Optional[str] = None


class Candidate(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("channel", "channel_user_id", name="uq_candidate_channel_user"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str
    channel: Channel = Field(default=Channel.wecom)
    channel_user_id: str
    status: CandidateStatus = Field(default=CandidateStatus.offered, index=True)
    offer_sent_at: Optional[datetime] = ts()
    offer_accepted_at: Optional[datetime] = ts()
    offer_declined_at: Optional[datetime] = ts()
    start_date: Optional[date] = Field(default=None, index=True)
    cohort_id: Optional[int] = Field(default=None, foreign_key="cohort.id", index=True)
    mentor_id: Optional[int] = Field(default=None, foreign_key="mentor.id")
    department_id: Optional[int] = Field(default=None, foreign_key="department.id")
    hr_owner_id: Optional[int] = Field(default=None, foreign_key="hruser.id")
    position: str = ""
    profile: dict = json_field()  # questionnaire answers (social style, interests, preferred time)
    quiet_mode: bool = False
    opted_out: bool = False
    channel_pref: Optional[str] = None
    consent_at: Optional[datetime] = ts()
    last_inbound_at: Optional[datetime] = ts()
    preferred_time: Optional[str] = None  # morning | noon | evening
    welcome_sent_at: Optional[datetime] = ts()
    holdout: bool = False  # hold-out arm: only critical, reply and relay messages
    reneged_before: int = 0  # earlier offers this person accepted and then reneged on (import / console)
    stickiness: Optional[float] = None  # latest score 0-100 (history in StickinessScore)
    tier: Optional[str] = None  # high | medium | low
    risk: Optional[float] = None  # behaviour risk 0..1 (engagement/risk.py), latest
    created_at: Optional[datetime] = ts()


class Message(SQLModel, table=True):
    """Every message in or out, on any channel: the conversation record HR sees."""

    __table_args__ = (Index("ix_message_person_time", "channel", "user_id", "created_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    direction: Direction
    channel: Channel
    user_id: str
    candidate_id: Optional[int] = Field(default=None, foreign_key="candidate.id", index=True)
    kind: str = "text"
    category: Optional[Category] = None
    text: str = ""
    status: str = "received"
    dedupe_key: Optional[str] = Field(default=None, unique=True)  # inbound: channel MsgId; outbound: outbox key
    signal_level: Optional[str] = None  # hesitation detector on inbound text: none | concern | hesitation | withdrawal
    signal_reason: Optional[str] = None
    signal_score: Optional[float] = None
    created_at: Optional[datetime] = ts(nullable=False)


class OutboxItem(SQLModel, table=True):
    """One logical message to send. The dedupe key makes a second send of the same message impossible."""

    __table_args__ = (Index("ix_outbox_due", "status", "due_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True)
    channel: Channel
    recipient: str  # channel user id, or the robot key
    candidate_id: Optional[int] = Field(default=None, foreign_key="candidate.id", index=True)
    category: Category = Category.reply
    kind: str = "text"  # text | markdown | template
    text: str = ""
    payload: dict = json_field()
    status: OutboxStatus = OutboxStatus.pending
    reason: Optional[str] = None  # why held / suppressed / failed
    attempts: int = 0
    due_at: Optional[datetime] = ts(nullable=False)
    claimed_by: Optional[str] = None
    claimed_at: Optional[datetime] = ts()
    sent_at: Optional[datetime] = ts(index=True)
    created_at: Optional[datetime] = ts(nullable=False)
    platform_msg_id: Optional[str] = None
    last_error: Optional[str] = None


class DocumentItem(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    name: str
    required: bool = True
    long_lead: bool = False  # takes weeks to obtain (e.g. 离职证明); reminded at T-7 too
    due_date: Optional[date] = None
    received_at: Optional[datetime] = ts()


class ConversationState(SQLModel, table=True):
    """Where a person stands in a multi-step flow (questionnaire, redemption, ...)."""

    channel: Channel = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    flow: str
    state: str
    data: dict = json_field()
    expires_at: Optional[datetime] = ts()


class AccessToken(SQLModel, table=True):
    """Platform access tokens, shared by every process; `lease_until` lets exactly one party refresh."""

    key: str = Field(primary_key=True)
    token: Optional[str] = None
    expires_at: Optional[datetime] = ts()
    lease_until: Optional[datetime] = ts()
    lease_owner: Optional[str] = None


class ProcessedCallback(SQLModel, table=True):
    """Idempotency of platform callbacks: the first insert of a key wins, retries see it and do nothing."""

    key: str = Field(primary_key=True)
    channel: Channel
    received_at: Optional[datetime] = ts(nullable=False, index=True)


class WorkerHeartbeat(SQLModel, table=True):
    """The scheduler lease: one active worker renews it; a second worker stands by until it expires."""

    name: str = Field(primary_key=True)
    owner: str
    beat_at: Optional[datetime] = ts(nullable=False)
    lease_until: Optional[datetime] = ts(nullable=False)
    info: dict = json_field()


class PointsEntry(SQLModel, table=True):
    """The points ledger: immutable rows, the balance is their sum. `source_key` makes an award idempotent."""

    id: Optional[int] = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    amount: int  # positive: earned; negative: spent
    reason: str  # task | lesson | redemption | adjustment
    source: str  # what it was for: task key, lesson key, gift key
    source_key: str = Field(unique=True)
    created_at: Optional[datetime] = ts(nullable=False)


class TaskCompletion(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("candidate_id", "task_key", name="uq_task_completion"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    task_key: str  # weekly task key or lesson:<key>
    kind: str = "task"  # task | lesson
    answer: str = ""
    score: Optional[int] = None  # quiz: correct answers
    completed_at: Optional[datetime] = ts(nullable=False)


class Redemption(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    gift_key: str
    gift_name: str
    points: int
    delivery: str  # mail | pickup
    address: str = ""
    status: str = "requested"  # requested | fulfilled | cancelled
    request_key: str = Field(unique=True)  # one confirmation, one redemption, however often it is repeated
    created_at: Optional[datetime] = ts(nullable=False)


class RelayRequest(SQLModel, table=True):
    """A question a candidate asked a person (mentor, HR, a department) through the bot."""

    __table_args__ = (Index("ix_relay_open", "status", "created_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    target: str  # mentor | hr | department
    target_userid: Optional[str] = None
    question: str
    status: str = "open"  # open | answered | escalated | closed
    created_at: Optional[datetime] = ts(nullable=False)
    reminded_at: Optional[datetime] = ts()
    escalated_at: Optional[datetime] = ts()
    answered_at: Optional[datetime] = ts()
    answer: Optional[str] = None


class DeletionRequest(SQLModel, table=True):
    """PIPL: a candidate asked for their data to be deleted; HR executes it from the console."""

    id: Optional[int] = Field(default=None, primary_key=True)
    candidate_id: Optional[int] = Field(default=None, foreign_key="candidate.id", index=True)
    candidate_name: str = ""
    requested_at: Optional[datetime] = ts(nullable=False)
    status: str = "pending"  # pending | done | rejected
    done_at: Optional[datetime] = ts()


class EngagementEvent(SQLModel, table=True):
    """Behaviour signals the stickiness score is computed from."""

    __table_args__ = (Index("ix_engagement_cand_time", "candidate_id", "at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id")
    kind: str  # inbound | reply | task_done | lesson_done | open | click
    at: Optional[datetime] = ts(nullable=False)
    value: Optional[float] = None  # reply: seconds since the bot's last proactive message


class StickinessScore(SQLModel, table=True):
    __table_args__ = (Index("ix_stickiness_cand_time", "candidate_id", "computed_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id")
    score: float
    tier: str
    components: dict = json_field()
    computed_at: Optional[datetime] = ts(nullable=False)


class Escalation(SQLModel, table=True):
    """An HR case opened by a hesitation alert (or behaviour risk), followed to its outcome."""

    __table_args__ = (Index("ix_escalation_open", "candidate_id", "reason", "opened_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id")
    level: str  # concern | hesitation | withdrawal | risk
    reason: str
    text: str = ""
    score: float = 0.0
    alert_key: str = Field(unique=True)  # one open alert per candidate per reason per day
    opened_at: Optional[datetime] = ts(nullable=False)
    first_contact_at: Optional[datetime] = ts()
    outcome: Optional[str] = None  # stayed | reneged
    outcome_note: Optional[str] = None
    closed_at: Optional[datetime] = ts()


# --- cadence ------------------------------------------------------------------------------------------------------


class CadenceState(SQLModel, table=True):
    """What the cadence planners remember per candidate: the hold-out assignment (made once, recorded) and the start
    date the current plan was made for (a different start date on the candidate means it moved: re-plan)."""

    candidate_id: int = Field(sa_column=Column(sa.Integer, sa.ForeignKey("candidate.id", ondelete="CASCADE"),
                                               primary_key=True))
    holdout: bool = False  # the arm drawn at assignment (Candidate.holdout carries it for the policy)
    holdout_assigned_at: Optional[datetime] = ts(nullable=False)
    planned_start_date: Optional[date] = None
    updated_at: Optional[datetime] = ts()


# history_for(): a candidate's sent messages over the last two weeks, at every dispatch
Index("ix_outbox_cand_sent", OutboxItem.candidate_id, OutboxItem.status, OutboxItem.sent_at)


# --- engine -------------------------------------------------------------------------------------------------------


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True)


def create_all(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine)


__all__ = [name for name in dir() if not name.startswith("_")] + ["Session"]
