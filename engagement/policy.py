"""Delivery policy: for each message about to go out, send now, hold until a time, or suppress — with a reason.

Pure: `decide(item, candidate, now, settings, history)` reads no clock and no database; the outbox gathers the
inputs and stores the decision. Rules (see DESIGN.md and the cadence issue):
- `reply`, `relay` and `alert` always go;
- `critical` always goes, but inside the send window (outside quiet hours);
- in quiet mode only `critical`, `reply`, `relay`;
- opted-out, reneged or withdrawn candidates get only replies;
- proactive messages are held over quiet hours and company holidays, never dropped for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from models import Candidate, CandidateStatus, Category


class Action(StrEnum):
    SEND = "send"
    HOLD = "hold"
    SUPPRESS = "suppress"


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str = ""
    send_at: datetime | None = None

    @classmethod
    def send(cls, reason: str = "ok") -> "Decision":
        return cls(Action.SEND, reason)


@dataclass(frozen=True)
class PolicySettings:
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    quiet_start: time = time(22, 0)
    quiet_end: time = time(8, 0)
    holidays: frozenset[date] = frozenset()

    @classmethod
    def parse(cls, tz: str, quiet_hours: str, holidays: Iterable[str | date] = ()) -> "PolicySettings":
        try:
            start_s, end_s = quiet_hours.split("-")
            start, end = time.fromisoformat(start_s.strip()), time.fromisoformat(end_s.strip())
        except ValueError as exc:
            raise ValueError(f"QUIET_HOURS must look like 22:00-08:00, got {quiet_hours!r}") from exc
        days = frozenset(d if isinstance(d, date) else date.fromisoformat(d) for d in holidays)
        return cls(tz=ZoneInfo(tz), quiet_start=start, quiet_end=end, holidays=days)


ALWAYS = {Category.reply, Category.relay, Category.alert}
QUIET_MODE_ALLOWED = ALWAYS | {Category.critical}
GONE = {CandidateStatus.reneged, CandidateStatus.withdrawn}


def in_quiet_hours(local: datetime, s: PolicySettings) -> bool:
    t = local.time()
    if s.quiet_start <= s.quiet_end:
        return s.quiet_start <= t < s.quiet_end
    return t >= s.quiet_start or t < s.quiet_end


def next_send_window(now: datetime, s: PolicySettings, *, skip_holidays: bool) -> datetime:
    """The first instant at or after `now` that is outside quiet hours (and, if asked, not on a holiday)."""
    local = now.astimezone(s.tz)
    for _ in range(366):
        if skip_holidays and local.date() in s.holidays:
            local = datetime.combine(local.date() + timedelta(days=1), s.quiet_end, s.tz)
            continue
        if not in_quiet_hours(local, s):
            return local
        end_day = local.date() if local.time() < s.quiet_end else local.date() + timedelta(days=1)
        local = datetime.combine(end_day, s.quiet_end, s.tz)
    raise ValueError("no send window within a year; check holidays")


def decide(
    category: Category,
    candidate: Candidate | None,
    now: datetime,
    settings: PolicySettings,
    history: Sequence[tuple[datetime, Category]] = (),
) -> Decision:
    category = Category(category)
    if category in ALWAYS or candidate is None:
        return Decision.send("always")
    if candidate.status in GONE:
        return Decision(Action.SUPPRESS, f"candidate_{candidate.status.value}")
    if candidate.opted_out and category != Category.critical:
        return Decision(Action.SUPPRESS, "opted_out")
    if candidate.quiet_mode and category not in QUIET_MODE_ALLOWED:
        return Decision(Action.SUPPRESS, "quiet_mode")
    at = next_send_window(now, settings, skip_holidays=category != Category.critical)
    if at > now:
        local = now.astimezone(settings.tz)
        reason = "holiday" if local.date() in settings.holidays and not in_quiet_hours(local, settings) else "quiet_hours"
        return Decision(Action.HOLD, reason, at)
    return Decision.send()
