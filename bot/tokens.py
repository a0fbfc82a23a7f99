"""Access tokens in the database: every process reads the same token, exactly one party refreshes it.

A refetch invalidates the previous token on the platform side, so two processes refreshing at once would knock
each other out. A short lease row (compare-and-set on `lease_until`) decides who fetches.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Callable

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from clock import Clock
from models import AccessToken

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)  # refresh before expiry, not after a failed call
LEASE = timedelta(seconds=30)

Fetch = Callable[[], tuple[str, int]]  # -> (token, expires_in seconds)


class TokenBusy(RuntimeError):
    """Another process is refreshing and the old token has expired: try again shortly."""


class TokenStore:
    def __init__(self, engine: Engine, clock: Clock, owner: str):
        self.engine = engine
        self.clock = clock
        self.owner = owner

    def get(self, key: str, fetch: Fetch) -> str:
        now = self.clock.now()
        with Session(self.engine) as db:
            row = db.get(AccessToken, key)
            if row is not None and row.token and row.expires_at and row.expires_at - REFRESH_MARGIN > now:
                return row.token
            stale = row.token if row is not None and row.expires_at and row.expires_at > now else None
            if not self._take_lease(db, key, now):
                if stale:
                    return stale
                raise TokenBusy(key)
        try:
            token, expires_in = fetch()
        except BaseException:
            self._release(key)
            raise
        with Session(self.engine) as db:
            row = db.get(AccessToken, key)
            row.token = token
            row.expires_at = self.clock.now() + timedelta(seconds=int(expires_in))
            row.lease_until = None
            row.lease_owner = None
            db.add(row)
            db.commit()
        log.info("refreshed access token %s", key)
        return token

    def invalidate(self, key: str, token: str) -> None:
        """Forget `token` (the platform said it is invalid), unless someone already replaced it."""
        with Session(self.engine) as db:
            db.exec(update(AccessToken).where(AccessToken.key == key, AccessToken.token == token).values(token=None))
            db.commit()

    def _take_lease(self, db: Session, key: str, now) -> bool:
        if db.get(AccessToken, key) is None:
            try:
                db.add(AccessToken(key=key, lease_until=now + LEASE, lease_owner=self.owner))
                db.commit()
                return True
            except IntegrityError:
                db.rollback()
        result = db.exec(
            update(AccessToken)
            .where(AccessToken.key == key, or_(AccessToken.lease_until.is_(None), AccessToken.lease_until < now))
            .values(lease_until=now + LEASE, lease_owner=self.owner)
        )
        db.commit()
        return result.rowcount == 1

    def _release(self, key: str) -> None:
        with Session(self.engine) as db:
            db.exec(
                update(AccessToken)
                .where(AccessToken.key == key, AccessToken.lease_owner == self.owner)
                .values(lease_until=None, lease_owner=None)
            )
            db.commit()
