"""The scheduler lease: exactly one worker is active; a second one started by mistake stands by.

The active worker renews a row every tick; another worker takes over only when the lease has expired (the
first one died). Works the same on SQLite and PostgreSQL: the take-over is a conditional UPDATE.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models import WorkerHeartbeat

NAME = "scheduler"
TTL = timedelta(seconds=30)


def hold(engine: Engine, owner: str, now: datetime, info: dict | None = None, ttl: timedelta = TTL) -> bool:
    """Take or renew the lease; True if `owner` is the active worker after the call."""
    values = {"owner": owner, "beat_at": now, "lease_until": now + ttl}
    if info is not None:
        values["info"] = info
    with Session(engine) as db:
        result = db.exec(
            update(WorkerHeartbeat)
            .where(WorkerHeartbeat.name == NAME)
            .where(or_(WorkerHeartbeat.owner == owner, WorkerHeartbeat.lease_until <= now))
            .values(**values)
        )
        db.commit()
        if result.rowcount == 1:
            return True
        if db.get(WorkerHeartbeat, NAME) is not None:
            return False
        try:
            db.add(WorkerHeartbeat(name=NAME, **{"info": {}, **values}))
            db.commit()
            return True
        except IntegrityError:
            return False


def release(engine: Engine, owner: str, now: datetime) -> None:
    with Session(engine) as db:
        db.exec(
            update(WorkerHeartbeat)
            .where(WorkerHeartbeat.name == NAME, WorkerHeartbeat.owner == owner)
            .values(lease_until=now)
        )
        db.commit()


def status(engine: Engine, now: datetime) -> dict:
    """For /healthz: is a worker alive, who, and how long since its last beat."""
    with Session(engine) as db:
        row = db.get(WorkerHeartbeat, NAME)
    if row is None:
        return {"status": "missing"}
    age = (now - row.beat_at).total_seconds()
    return {
        "status": "ok" if row.lease_until > now else "stale",
        "owner": row.owner,
        "last_beat_seconds_ago": round(age, 1),
        **({"last_tick": row.info} if row.info else {}),
    }
