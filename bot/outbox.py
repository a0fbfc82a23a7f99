"""The outbox: the only code that sends. Rows go in with a dedupe key; a dispatcher claims due rows, asks the
delivery policy, respects the platforms' rate limits, sends, and records the answer.

Life of a row: pending -> sending (claimed) -> sent | failed, or back to pending with a later due_at (retry,
rate limit, held by the policy), or suppressed / cancelled. A dispatcher that dies mid-send leaves `sending`
rows behind; they are reclaimed after CLAIM_TIMEOUT so nothing is lost.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable, Literal, Protocol

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.api import SendError
from clock import Clock
from engagement.policy import Action, PolicySettings, decide, history_for
from models import Candidate, Category, Channel, Direction, Message, OutboxItem, OutboxStatus

log = logging.getLogger(__name__)

MAX_TEXT_BYTES = 2048  # WeCom text message limit
CLAIM_TIMEOUT = timedelta(minutes=5)
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=10)
BACKOFF_CAP = timedelta(hours=1)

# Per-recipient limits: (window, max messages). WeCom drops the excess silently, so we must not exceed them.
RATE_LIMITS: dict[Channel, tuple[tuple[timedelta, int], ...]] = {
    Channel.wecom: ((timedelta(minutes=1), 30), (timedelta(hours=1), 1000)),
    Channel.robot: ((timedelta(minutes=1), 20),),
}


class Sender(Protocol):
    def send(self, item: OutboxItem) -> str | None:
        """Deliver one item; return the platform's message id if any; raise SendError on failure."""
        ...


_SENTENCE_END = re.compile(r"(?<=[。！？!?；;…\n])")


def split_text(text: str, limit: int = MAX_TEXT_BYTES) -> list[str]:
    """Split text into parts of at most `limit` UTF-8 bytes, on sentence boundaries where possible."""
    if len(text.encode("utf-8")) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for sentence in (s for s in _SENTENCE_END.split(text) if s):
        while len(sentence.encode("utf-8")) > limit:  # one sentence longer than the limit: cut on characters
            cut = len(sentence.encode("utf-8")[:limit].decode("utf-8", "ignore"))
            if current:
                parts.append(current)
                current = ""
            parts.append(sentence[:cut])
            sentence = sentence[cut:]
        if len((current + sentence).encode("utf-8")) > limit:
            parts.append(current)
            current = sentence
        else:
            current += sentence
    if current:
        parts.append(current)
    return [p.strip() for p in parts if p.strip()]


Outcome = Literal["sent", "retried", "failed", "held", "suppressed"]  # the DispatchStats counters


@dataclass(frozen=True)
class Delivery:
    """What one attempt at a row did: its DispatchStats counter, and for a full rate window when it frees up."""
    outcome: Outcome
    free_at: datetime | None = None

    @property
    def sent(self) -> bool:
        return self.outcome == "sent"


@dataclass
class DispatchStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0
    suppressed: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.retried + self.failed + self.held + self.suppressed

    def count(self, delivery: Delivery) -> None:
        setattr(self, delivery.outcome, getattr(self, delivery.outcome) + 1)


class Outbox:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        senders: dict[Channel, Sender],
        policy: Callable[[], PolicySettings],
        owner: str | None = None,
    ):
        self.engine = engine
        self.clock = clock
        self.senders = senders
        self.policy = policy
        self.owner = owner or f"outbox-{uuid.uuid4().hex[:8]}"

    # --- putting messages in ------------------------------------------------------------------------------------

    def enqueue(
        self,
        db: Session,
        *,
        channel: Channel,
        recipient: str,
        text: str,
        dedupe_key: str,
        category: Category = Category.reply,
        candidate_id: int | None = None,
        kind: str = "text",
        payload: dict | None = None,
        due_at: datetime | None = None,
    ) -> list[OutboxItem]:
        """Queue one logical message (split into parts if long). A key seen before adds nothing and returns []."""
        now = self.clock.now()
        texts = split_text(text) if kind == "text" else [text]
        items = []
        for n, part in enumerate(texts, start=1):
            key = dedupe_key if n == 1 else f"{dedupe_key}#{n}"
            item = OutboxItem(
                dedupe_key=key,
                channel=channel,
                recipient=recipient,
                candidate_id=candidate_id,
                category=category,
                kind=kind,
                text=part,
                payload=payload or {},
                due_at=due_at or now,
                created_at=now,
            )
            if db.exec(select(OutboxItem.id).where(OutboxItem.dedupe_key == key)).first() is not None:
                continue
            try:
                with db.begin_nested():
                    db.add(item)
            except IntegrityError:  # a concurrent planner queued the same key first
                continue
            items.append(item)
        return items

    def cancel(self, db: Session, *, candidate_id: int, reason: str, categories: Iterable[Category] | None = None) -> int:
        """Cancel every pending message of a candidate (renege, start date moved), optionally only some categories."""
        cond = [OutboxItem.candidate_id == candidate_id, OutboxItem.status.in_([OutboxStatus.pending, OutboxStatus.held])]
        if categories is not None:
            cond.append(OutboxItem.category.in_(list(categories)))
        result = db.exec(update(OutboxItem).where(*cond).values(status=OutboxStatus.cancelled, reason=reason))
        return result.rowcount

    # --- sending ------------------------------------------------------------------------------------------------

    def deliver_now(self, item_ids: list[int], *, transport: Callable[[OutboxItem], str | None] | None = None) -> list[OutboxItem]:
        """Send these rows right away (a reply to a message that just came in), through `transport` if given
        (a passive callback reply, the dev page) or the channel's sender. Returns the rows that went out."""
        items = self._claim(ids=item_ids)
        settings = self.policy() if items else None
        return [item for item in items if self._deliver(item, transport, settings).sent]

    def dispatch(self, limit: int = 200) -> DispatchStats:
        """Claim and send what is due. Safe to run in several processes at once: a row is claimed by one."""
        stats = DispatchStats()
        self._reclaim_stale()
        items = self._claim(limit=limit)
        settings = self.policy() if items else None  # read once per batch, not once per row
        # Recipients whose rate window filled up in this batch, and until when: their other rows wait without a
        # check each (1,000 queued for one member would otherwise cost 1,000 checks a minute).
        full: dict[tuple[str, str], datetime] = {}
        waiting: dict[datetime, list[int]] = {}
        for item in items:
            until = full.get((item.channel, item.recipient))
            if until is not None:
                waiting.setdefault(until, []).append(item.id)
                stats.held += 1
                continue
            delivery = self._deliver(item, None, settings)
            stats.count(delivery)
            if delivery.free_at is not None:
                full[(item.channel, item.recipient)] = delivery.free_at
        if waiting:
            with Session(self.engine) as db:
                for until, ids in waiting.items():
                    db.exec(update(OutboxItem).where(OutboxItem.id.in_(ids))
                            .values(status=OutboxStatus.pending, reason="rate_limit", due_at=until, claimed_by=None))
                db.commit()
        return stats

    def _reclaim_stale(self) -> None:
        cutoff = self.clock.now() - CLAIM_TIMEOUT
        with Session(self.engine) as db:
            db.exec(
                update(OutboxItem)
                .where(OutboxItem.status == OutboxStatus.sending, OutboxItem.claimed_at < cutoff)
                .values(status=OutboxStatus.pending, claimed_by=None, reason="reclaimed_after_crash")
            )
            db.commit()

    def _claim(self, *, limit: int = 200, ids: list[int] | None = None) -> list[OutboxItem]:
        now = self.clock.now()
        token = f"{self.owner}:{uuid.uuid4().hex[:8]}"
        with Session(self.engine) as db:
            due = select(OutboxItem.id).where(OutboxItem.status.in_([OutboxStatus.pending, OutboxStatus.held]))
            if ids is not None:
                due = due.where(OutboxItem.id.in_(ids))
            else:
                due = due.where(OutboxItem.due_at <= now).order_by(OutboxItem.due_at).limit(limit)
            # PostgreSQL: concurrent dispatchers skip each other's rows. SQLite serialises writers, and the
            # status condition in the UPDATE below makes the claim exclusive there.
            chosen = list(db.exec(due.with_for_update(skip_locked=True)))
            if not chosen:
                return []
            db.exec(
                update(OutboxItem)
                .where(OutboxItem.id.in_(chosen), OutboxItem.status.in_([OutboxStatus.pending, OutboxStatus.held]))
                .values(status=OutboxStatus.sending, claimed_by=token, claimed_at=now)
            )
            db.commit()
            items = list(db.exec(select(OutboxItem).where(OutboxItem.claimed_by == token).order_by(OutboxItem.id)))
            for item in items:
                db.expunge(item)
            return items

    def _deliver(self, item: OutboxItem, transport, settings: PolicySettings) -> Delivery:
        now = self.clock.now()
        with Session(self.engine, expire_on_commit=False) as db:
            item = db.merge(item)
            candidate = db.get(Candidate, item.candidate_id) if item.candidate_id else None
            decision = decide(item, candidate, now, settings, history_for(db, item.candidate_id, now) if item.candidate_id else [])
            if decision.action == Action.SUPPRESS:
                self._finish(db, item, OutboxStatus.suppressed, decision.reason)
                return Delivery("suppressed")
            if decision.action == Action.HOLD:
                self._postpone(db, item, decision.send_at, decision.reason, status=OutboxStatus.held)
                return Delivery("held")
            free_at = self._rate_limited_until(db, item, now)
            if free_at is not None:
                self._postpone(db, item, free_at, "rate_limit")
                return Delivery("held", free_at)
            try:
                send = transport or self._sender(item.channel).send
                platform_id = send(item)
            except SendError as exc:
                item.attempts += 1
                item.last_error = str(exc)[:500]
                if exc.retryable and item.attempts < MAX_ATTEMPTS:
                    delay = min(BACKOFF_BASE * (2 ** (item.attempts - 1)), BACKOFF_CAP)
                    self._postpone(db, item, now + delay, f"retry:{exc.tag}")
                    log.warning("send %s failed (%s), retry %d in %s", item.dedupe_key, exc, item.attempts, delay)
                    return Delivery("retried")
                self._finish(db, item, OutboxStatus.failed, f"error:{exc.tag}")
                log.error("send %s failed for good: %s", item.dedupe_key, exc)
                return Delivery("failed")
            item.attempts += 1
            item.platform_msg_id = platform_id
            item.sent_at = now
            self._record(db, item, now)
            self._finish(db, item, OutboxStatus.sent, None)
            return Delivery("sent")

    def _sender(self, channel: Channel) -> Sender:
        try:
            return self.senders[Channel(channel)]
        except KeyError:
            raise SendError(f"channel {channel} is not configured", retryable=False, tag="channel_not_configured") from None

    def _rate_limited_until(self, db: Session, item: OutboxItem, now: datetime) -> datetime | None:
        for window, cap in RATE_LIMITS.get(Channel(item.channel), ()):
            # The cap-th most recent send in the window, if there is one: the window is full until it leaves.
            # One row per check (fetching all of them made a 1000/hour window cost 1000 rows a send).
            capth = db.exec(
                select(OutboxItem.sent_at)
                .where(
                    OutboxItem.channel == item.channel,
                    OutboxItem.recipient == item.recipient,
                    OutboxItem.status == OutboxStatus.sent,
                    OutboxItem.sent_at > now - window,
                )
                .order_by(OutboxItem.sent_at.desc())
                .offset(cap - 1)
                .limit(1)
            ).first()
            if capth is not None:
                return capth + window
        return None

    def _record(self, db: Session, item: OutboxItem, now: datetime) -> None:
        db.add(
            Message(
                direction=Direction.outbound,
                channel=item.channel,
                user_id=item.recipient,
                candidate_id=item.candidate_id,
                kind=item.kind,
                category=item.category,
                text=item.text,
                status="sent",
                dedupe_key=f"out:{item.dedupe_key}",
                created_at=now,
            )
        )

    @staticmethod
    def _finish(db: Session, item: OutboxItem, status: OutboxStatus, reason: str | None) -> None:
        item.status = status
        item.reason = reason
        item.claimed_by = None
        db.add(item)
        db.commit()

    @staticmethod
    def _postpone(db: Session, item: OutboxItem, at: datetime, reason: str, status=OutboxStatus.pending) -> None:
        item.status = status
        item.reason = reason
        item.due_at = at
        item.claimed_by = None
        db.add(item)
        db.commit()

    # --- reading ------------------------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        with Session(self.engine) as db:
            rows = db.exec(select(OutboxItem.status, func.count()).group_by(OutboxItem.status)).all()
        return {str(getattr(s, "value", s)): n for s, n in rows}
