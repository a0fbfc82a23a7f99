"""Planners: set-based passes over the database that queue proactive messages with dedupe keys, so running one
twice (or in a restarted worker) queues nothing new."""

from __future__ import annotations

import logging
from typing import Iterable

from sqlmodel import Session, or_, select

from handlers.context import Ctx
from handlers.reply import Reply
from models import Candidate, CandidateStatus, Category, Channel

log = logging.getLogger(__name__)

BATCH = 500


def queue_for(services, db: Session, cand: Candidate, replies: Iterable[Reply], key: str, category: Category) -> int:
    """Render replies for a candidate and put them in the outbox under `key:1`, `key:2`, ..."""
    n = 0
    for i, reply in enumerate(replies, start=1):
        n += len(services.outbox.enqueue(db, channel=cand.channel, recipient=cand.channel_user_id,
                                         text=reply.render(services.content), dedupe_key=f"{key}:{i}",
                                         category=category, candidate_id=cand.id))
    return n


def plan_welcome(services) -> int:
    """Every minute: the welcome pack (guide + first questionnaire question) to newly accepted candidates."""
    from handlers.candidate.offer import welcome_pack

    now = services.clock.now()
    today = now.astimezone(services.clock.tz).date()
    queued = 0
    with Session(services.engine) as db:
        ids = db.exec(
            select(Candidate.id)
            .where(
                Candidate.status == CandidateStatus.accepted,
                Candidate.offer_accepted_at.is_not(None),
                Candidate.welcome_sent_at.is_(None),
                Candidate.holdout.is_(False),  # the hold-out arm gets no welcome pack (nor the questionnaire it starts)
                or_(Candidate.start_date.is_(None), Candidate.start_date >= today),
            )
            .limit(BATCH)
        ).all()
        for cid in ids:
            ctx = Ctx.from_job(cid, services, db)
            queued += queue_for(services, db, ctx.candidate, welcome_pack(ctx, Category.engagement),
                                f"welcome:{cid}", Category.engagement)
        db.commit()
    if queued:
        log.info("welcome packs queued: %d messages for %d candidates", queued, len(ids))
    return queued


def plan_risk(services) -> int:
    """Every hour: behaviour risk of accepted candidates not started yet; a score rising past the threshold opens
    a 沉默风险 case and alerts HR (once per candidate per week)."""
    from engagement import risk
    from engagement.escalations import open_escalation
    from handlers.candidate.hesitation import hr_alert

    now = services.clock.now()
    tz = services.clock.tz
    today = now.astimezone(tz).date()
    alerts = 0
    last_id = 0
    while True:
        with Session(services.engine) as db:
            batch = db.exec(
                select(Candidate)
                .where(Candidate.status == CandidateStatus.accepted, Candidate.id > last_id,
                       or_(Candidate.start_date.is_(None), Candidate.start_date >= today))
                .order_by(Candidate.id)
                .limit(BATCH)
            ).all()
            if not batch:
                return alerts
            for cand in batch:
                result = risk.score(risk.features(db, cand, now, tz))
                previous, cand.risk = cand.risk, result.score
                db.add(cand)
                if result.score < risk.THRESHOLD or (previous is not None and previous >= risk.THRESHOLD):
                    continue
                year, week, _ = today.isocalendar()
                key = f"esc:{cand.id}:silence:{year}-W{week:02d}"
                text = "、".join(result.reasons) or "行为风险上升"
                esc = open_escalation(db, cand, level="risk", reason="silence", text=text, score=result.score, key=key, now=now)
                if esc is None:
                    continue
                alerts += 1
                if services.alert_recipient:
                    ctx = Ctx.from_job(cand.id, services, db)
                    services.outbox.enqueue(
                        db, channel=Channel.robot, recipient=services.alert_recipient, kind="markdown",
                        text=hr_alert(ctx, "risk", "silence", text, [f"风险分 {result.score:.2f}"], case_id=esc.id),
                        dedupe_key=f"alert:{key}", category=Category.alert, candidate_id=cand.id)
            db.commit()
            last_id = batch[-1].id
