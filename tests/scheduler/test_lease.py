"""The scheduler lease: one active worker, a second one stands by until the lease expires or is released."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import create_all, make_engine
from scheduler import lease


pytestmark = pytest.mark.backends


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'lease.db'}")
    create_all(engine)
    yield engine
    engine.dispose()


def test_the_first_owner_takes_the_lease_and_the_second_is_refused(engine, clock):
    assert lease.hold(engine, "A", clock.now()) is True
    assert lease.hold(engine, "B", clock.now()) is False
    clock.advance(lease.TTL - timedelta(seconds=1))
    assert lease.hold(engine, "B", clock.now()) is False


def test_the_holder_renews_its_own_lease(engine, clock):
    assert lease.hold(engine, "A", clock.now())
    clock.advance(seconds=20)
    assert lease.hold(engine, "A", clock.now())  # renewed until now + TTL
    clock.advance(seconds=20)  # 40 s after the first beat, 20 s after the renewal
    assert lease.hold(engine, "B", clock.now()) is False


def test_another_owner_takes_over_once_the_ttl_has_passed(engine, clock):
    assert lease.hold(engine, "A", clock.now())
    clock.advance(lease.TTL + timedelta(seconds=1))
    assert lease.hold(engine, "B", clock.now()) is True
    assert lease.hold(engine, "A", clock.now()) is False  # the old holder is now the one standing by
    assert lease.status(engine, clock.now())["owner"] == "B"


def test_release_lets_the_next_owner_in_at_once(engine, clock):
    assert lease.hold(engine, "A", clock.now())
    lease.release(engine, "A", clock.now())
    assert lease.hold(engine, "B", clock.now() + timedelta(microseconds=1)) is True


def test_release_by_someone_else_changes_nothing(engine, clock):
    assert lease.hold(engine, "A", clock.now())
    lease.release(engine, "B", clock.now())
    assert lease.hold(engine, "B", clock.now() + timedelta(seconds=1)) is False
    assert lease.status(engine, clock.now())["status"] == "ok"


def test_a_custom_ttl(engine, clock):
    assert lease.hold(engine, "A", clock.now(), ttl=timedelta(seconds=5))
    clock.advance(seconds=6)
    assert lease.hold(engine, "B", clock.now())


def test_status_is_missing_before_any_worker(engine, clock):
    assert lease.status(engine, clock.now()) == {"status": "missing"}


def test_status_is_ok_while_the_lease_is_valid(engine, clock):
    lease.hold(engine, "A", clock.now())
    lease.hold(engine, "A", clock.now(), info={"sent": 3})
    clock.advance(seconds=12)
    status = lease.status(engine, clock.now())
    assert status == {"status": "ok", "owner": "A", "last_beat_seconds_ago": 12.0, "last_tick": {"sent": 3}}


def test_the_very_first_hold_may_carry_tick_info(engine, clock):
    assert lease.hold(engine, "A", clock.now(), info={"sent": 1}) is True
    assert lease.status(engine, clock.now())["last_tick"] == {"sent": 1}


def test_status_is_stale_when_the_worker_stopped_beating(engine, clock):
    lease.hold(engine, "A", clock.now())
    clock.advance(lease.TTL + timedelta(seconds=5))
    status = lease.status(engine, clock.now())
    assert status["status"] == "stale" and status["owner"] == "A"
    assert status["last_beat_seconds_ago"] == (lease.TTL + timedelta(seconds=5)).total_seconds()


def test_status_is_stale_right_after_a_release(engine, clock):
    lease.hold(engine, "A", clock.now())
    lease.release(engine, "A", clock.now())
    assert lease.status(engine, clock.now())["status"] == "stale"
