"""Time for the whole product: an injected Clock, so tests freeze it and nothing calls datetime.now() directly."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    tz: ZoneInfo

    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    def __init__(self, tz: str | ZoneInfo = "Asia/Shanghai"):
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def __repr__(self) -> str:
        return f"SystemClock({self.tz.key})"


class FrozenClock:
    """A clock that only moves when told to; used by tests and `flask simulate`."""

    def __init__(self, at: datetime, tz: str | ZoneInfo = "Asia/Shanghai"):
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        if at.tzinfo is None:
            at = at.replace(tzinfo=self.tz)
        self._now = at.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            at = at.replace(tzinfo=self.tz)
        self._now = at.astimezone(timezone.utc)


def local_now(clock: Clock) -> datetime:
    return clock.now().astimezone(clock.tz)


def local_today(clock: Clock) -> date:
    return local_now(clock).date()
