"""The worker process: registers every tick once with APScheduler and runs until told to stop."""

from __future__ import annotations

import logging
import signal
import threading

from apscheduler.schedulers.background import BackgroundScheduler

from scheduler import lease
from scheduler.ticks import TICKS

log = logging.getLogger(__name__)


def build_scheduler(services) -> BackgroundScheduler:
    sched = BackgroundScheduler(timezone=services.config["TIMEZONE"])
    for job_id, (fn, interval_key) in TICKS.items():
        sched.add_job(
            fn,
            "interval",
            seconds=int(services.config[interval_key]),
            args=[services],
            id=job_id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
        )
    return sched


def run(services, stop: threading.Event | None = None) -> None:
    """Run the ticks until SIGINT/SIGTERM (or `stop` is set); release the lease on the way out."""
    stop = stop or threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(sig, lambda *_: stop.set())
        except ValueError:  # not in the main thread (tests): the caller sets `stop`
            pass
    active = lease.hold(services.engine, services.owner, services.clock.now())
    log.info("worker %s started (%s)", services.owner, "active" if active else "standing by: another worker holds the lease")
    sched = build_scheduler(services)
    sched.start()
    try:
        stop.wait()
    finally:
        sched.shutdown(wait=True)
        lease.release(services.engine, services.owner, services.clock.now())
        log.info("worker %s stopped", services.owner)
