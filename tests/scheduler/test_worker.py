"""The worker: ticks registered once with explicit ids, only the lease holder dispatches, and a stop request ends
the process cleanly with the lease released. No sleeps: the frozen clock moves, and `stop` is set beforehand."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, select

import services as services_mod
from models import Candidate, Category, Channel, OutboxItem, OutboxStatus
from scheduler import lease, ticks, worker


@pytest.fixture
def second(svc, clock):
    """A second services container on the same database, as a second worker process would build it."""
    return services_mod.build(svc.config, svc.engine, clock)


@pytest.fixture
def keep_signal_handlers():
    """worker.run installs SIGINT/SIGTERM handlers in the main thread; give pytest its own back afterwards."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def _queue(svc, key: str = "test:nudge:1", text: str = "张三，别忘了交体检报告～") -> int:
    with Session(svc.engine) as db:
        cand = db.exec(select(Candidate).where(Candidate.channel_user_id == "zhangsan")).one()
        (item,) = svc.outbox.enqueue(db, channel=Channel.wecom, recipient="zhangsan", text=text, dedupe_key=key,
                                     category=Category.reply, candidate_id=cand.id)
        db.commit()
        return item.id


def test_only_the_lease_holder_dispatches(svc, second, fake_api, clock):
    assert svc.owner != second.owner and svc.engine is second.engine
    assert ticks.dispatch_outbox(svc)["active"] is True  # first worker takes the lease
    _queue(svc)
    assert ticks.dispatch_outbox(second) == {"active": False}
    assert fake_api.sent("wecom", "message/send") == []

    info = ticks.dispatch_outbox(svc)
    assert info["active"] is True and info["sent"] == 1
    (sent,) = fake_api.sent("wecom", "message/send")
    assert sent.body["touser"] == "zhangsan" and sent.text == "张三，别忘了交体检报告～"


def test_a_message_queued_once_is_sent_exactly_once_by_two_workers(svc, second, fake_api, clock, db):
    item_id = _queue(svc)
    for _ in range(20):  # both workers tick, interleaved, for 40 s; both try to claim the row every time
        ticks.dispatch_outbox(second)
        ticks.dispatch_outbox(svc)
        clock.advance(seconds=2)
    assert len(fake_api.sent("wecom", "message/send")) == 1
    assert db.get(OutboxItem, item_id).status == OutboxStatus.sent


def test_a_standby_worker_takes_over_when_the_active_one_dies(svc, second, fake_api, clock):
    assert ticks.dispatch_outbox(svc)["active"] is True
    _queue(svc)  # ... and the first worker dies before its next tick
    assert ticks.dispatch_outbox(second) == {"active": False}
    clock.advance(lease.TTL + timedelta(seconds=1))
    info = ticks.dispatch_outbox(second)
    assert info["active"] is True and info["sent"] == 1
    assert ticks.dispatch_outbox(svc) == {"active": False}
    assert len(fake_api.sent("wecom", "message/send")) == 1


def test_the_planning_tick_is_guarded_by_the_same_lease(svc, second):
    assert ticks.dispatch_outbox(second)["active"] is True
    assert ticks.plan(svc) == {"active": False}


def test_the_active_tick_leaves_its_figures_in_the_heartbeat(svc, fake_api, clock):
    _queue(svc)
    ticks.dispatch_outbox(svc)
    status = lease.status(svc.engine, clock.now())
    assert status["status"] == "ok" and status["owner"] == svc.owner
    assert status["last_tick"]["sent"] == 1


def test_build_scheduler_registers_every_tick_once_with_its_id(svc):
    sched = worker.build_scheduler(svc)
    jobs = {job.id: job for job in sched.get_jobs()}
    assert set(jobs) == set(ticks.TICKS) and "dispatch_outbox" in jobs
    assert len(sched.get_jobs()) == len(ticks.TICKS)
    for job_id, (fn, interval_key) in ticks.TICKS.items():
        job = jobs[job_id]
        assert job.func is fn
        assert job.args == (svc,)
        assert job.max_instances == 1
        assert job.coalesce is True
        assert job.trigger.interval == timedelta(seconds=int(svc.config[interval_key]))
    assert str(sched.timezone) == svc.config["TIMEZONE"] == "Asia/Shanghai"


def test_run_with_stop_already_set_starts_stops_and_releases_the_lease(svc, second, clock, keep_signal_handlers):
    stop = threading.Event()
    stop.set()
    worker.run(svc, stop)
    status = lease.status(svc.engine, clock.now())
    assert status["owner"] == svc.owner  # it did take the lease while running
    assert status["status"] == "stale"  # and gave it up on the way out
    clock.advance(seconds=1)
    assert lease.hold(svc.engine, second.owner, clock.now()) is True  # no 30 s wait for the next worker
    assert not [t for t in threading.enumerate() if "APScheduler" in t.name and t.is_alive()]


def test_a_released_lease_is_free_at_the_same_instant(svc, second, clock):
    assert lease.hold(svc.engine, svc.owner, clock.now())
    lease.release(svc.engine, svc.owner, clock.now())
    assert lease.status(svc.engine, clock.now())["status"] == "stale"
    assert lease.hold(svc.engine, second.owner, clock.now()) is True


def test_a_standing_by_worker_does_not_release_the_active_ones_lease(svc, second, clock, keep_signal_handlers):
    assert lease.hold(svc.engine, second.owner, clock.now())
    stop = threading.Event()
    stop.set()
    worker.run(svc, stop)
    status = lease.status(svc.engine, clock.now())
    assert status == {**status, "status": "ok", "owner": second.owner}
