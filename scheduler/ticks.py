"""Tick functions: module-level, explicit ids, each taking the services container. APScheduler only calls them."""

from __future__ import annotations

import logging

from scheduler import lease

log = logging.getLogger(__name__)


def dispatch_outbox(services) -> dict:
    """Every few seconds: while this worker holds the lease, send what is due in the outbox."""
    now = services.clock.now()
    if not lease.hold(services.engine, services.owner, now):
        return {"active": False}
    stats = services.outbox.dispatch()
    info = {"active": True, "sent": stats.sent, "retried": stats.retried, "failed": stats.failed, "held": stats.held,
            "suppressed": stats.suppressed}
    if stats.total:
        log.info("outbox: %s", info)
        lease.hold(services.engine, services.owner, services.clock.now(), info=info)
    return info


def plan(services) -> dict:
    """Every minute: while this worker holds the lease, run the planners (welcome pack, ...)."""
    if not lease.hold(services.engine, services.owner, services.clock.now()):
        return {"active": False}
    from scheduler import cadence, planners

    holdout = cadence.assign_holdout(services)  # the arm is drawn before the welcome pack can go out
    return {"active": True, "holdout": holdout, "welcome": planners.plan_welcome(services)}


def assess_risk(services) -> dict:
    """Every hour: while this worker holds the lease, recompute behaviour risk and alert HR on a rising score."""
    if not lease.hold(services.engine, services.owner, services.clock.now()):
        return {"active": False}
    from scheduler import planners

    return {"active": True, "risk_alerts": planners.plan_risk(services)}


def plan_cadence(services) -> dict:
    """Every few minutes: while this worker holds the lease, plan tasks, reminders, digests and HR reports (cadence)."""
    if not lease.hold(services.engine, services.owner, services.clock.now()):
        return {"active": False}
    from scheduler import cadence

    return {"active": True, **cadence.run(services)}


def score_stickiness(services) -> dict:
    """Every hour: while this worker holds the lease, recompute every candidate's stickiness score and tier."""
    if not lease.hold(services.engine, services.owner, services.clock.now()):
        return {"active": False}
    from scheduler import cadence

    return {"active": True, **cadence.recompute_stickiness(services)}


TICKS = {
    # id: (function, interval config key)
    "dispatch_outbox": (dispatch_outbox, "OUTBOX_TICK_SECONDS"),
    "plan": (plan, "PLAN_TICK_SECONDS"),
    "assess_risk": (assess_risk, "RISK_TICK_SECONDS"),
    "score_stickiness": (score_stickiness, "STICKINESS_TICK_SECONDS"),
    "plan_cadence": (plan_cadence, "CADENCE_TICK_SECONDS"),
}
