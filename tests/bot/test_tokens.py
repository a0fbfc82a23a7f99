"""Access tokens live in the database, are shared by every process, and exactly one party refreshes them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from bot.tokens import LEASE, REFRESH_MARGIN, TokenBusy, TokenStore
from models import AccessToken


class Fetcher:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return f"tok-{self.calls}", 7200


@pytest.fixture
def stores(svc, clock):
    return TokenStore(svc.engine, clock, "web-1"), TokenStore(svc.engine, clock, "worker-1")

pytestmark = pytest.mark.backends


def test_token_is_fetched_once_and_shared_by_processes(stores, svc):
    a, b = stores
    fetch = Fetcher()
    assert a.get("wecom:x", fetch) == "tok-1"
    assert b.get("wecom:x", fetch) == "tok-1"
    assert fetch.calls == 1
    with Session(svc.engine) as db:
        assert db.get(AccessToken, "wecom:x").token == "tok-1"


def test_token_is_refreshed_before_it_expires(stores, clock):
    a, _ = stores
    fetch = Fetcher()
    a.get("k", fetch)
    clock.advance(timedelta(seconds=7200) - REFRESH_MARGIN)
    assert a.get("k", fetch) == "tok-2"


def test_while_one_party_refreshes_others_use_the_old_token_if_still_valid(stores, svc, clock):
    a, b = stores
    a.get("k", Fetcher())
    clock.advance(seconds=7200 - 60)  # inside the refresh margin, not expired yet
    with Session(svc.engine) as db:  # a holds the refresh lease (as if mid-fetch)
        row = db.get(AccessToken, "k")
        row.lease_until, row.lease_owner = clock.now() + LEASE, "web-1"
        db.add(row)
        db.commit()
    fetch = Fetcher()
    assert b.get("k", fetch) == "tok-1"
    assert fetch.calls == 0


def test_expired_token_and_a_busy_refresher_is_a_retryable_busy(stores, svc, clock):
    a, b = stores
    a.get("k", Fetcher())
    clock.advance(hours=3)
    with Session(svc.engine) as db:
        row = db.get(AccessToken, "k")
        row.lease_until, row.lease_owner = clock.now() + LEASE, "web-1"
        db.add(row)
        db.commit()
    with pytest.raises(TokenBusy):
        b.get("k", Fetcher())
    clock.advance(LEASE + timedelta(seconds=1))  # the refresher died: its lease runs out
    assert b.get("k", Fetcher()) == "tok-1"


def test_invalidate_only_forgets_the_token_it_names(stores, svc):
    a, b = stores
    a.get("k", Fetcher())
    a.invalidate("k", "someone-elses-old-token")
    with Session(svc.engine) as db:
        assert db.get(AccessToken, "k").token == "tok-1"
    a.invalidate("k", "tok-1")
    with Session(svc.engine) as db:
        assert db.get(AccessToken, "k").token is None


def test_failed_fetch_releases_the_lease(stores):
    a, b = stores

    def broken():
        raise RuntimeError("platform down")

    with pytest.raises(RuntimeError):
        a.get("k", broken)
    assert b.get("k", Fetcher()) == "tok-1"  # no 30 s wait for a lease nobody holds
