"""Delivery policy: for each message about to go out, send now, hold until a time, or suppress — with a reason.

Pure: `decide(item, candidate, now, settings, history)` reads no clock and no database; the outbox gathers the
inputs (`history_for` below) and stores the decision's reason on the row. Rules (DESIGN.md, the cadence issue):
- `alert` (to HR) always goes; `reply` and `relay` always go, within the channel's window;
- `critical` always goes, but inside the send window (outside quiet hours; holidays do not stop it);
- reneged/withdrawn, opted-out and past-start-date candidates get nothing proactive any more;
- quiet mode and the hold-out arm get only `critical` (plus replies and relays);
- `task` + `engagement` are capped per stickiness tier over a rolling window (high 3/7 d, medium 1/7 d, low 1/14 d),
  and no `task`/`engagement` goes out once 3 proactive messages (critical included) went out in the last 7 days;
- quiet hours, company holidays and the candidate's do-not-disturb dates hold a message, never drop it;
- Official Account: free messages only within 48 h of the candidate's last message; outside it a template message
  goes (the cadence tick turns a held critical into one when a template is configured), the rest is held.

`item` is the outbox row (or anything with `category`, `channel`, `kind`, `dedupe_key`, `payload`), or just a
category. Given only a category, the channel is the candidate's and nothing expires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from models import Candidate, CandidateStatus, Category, Channel


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

    @classmethod
    def hold(cls, reason: str, until: datetime) -> "Decision":
        return cls(Action.HOLD, reason, until)

    @classmethod
    def suppress(cls, reason: str) -> "Decision":
        return cls(Action.SUPPRESS, reason)


@dataclass(frozen=True)
class Cap:
    """At most `count` messages in any rolling `days` days."""

    count: int
    days: int

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.days)


DEFAULT_CAPS: Mapping[str, Cap] = {"high": Cap(3, 7), "medium": Cap(1, 7), "low": Cap(1, 14), "total": Cap(3, 7)}
DEFAULT_TIER = "medium"  # not scored yet (the stickiness tick scores new candidates within the hour)
OA_WINDOW = timedelta(hours=48)
WINDOW_RECHECK = timedelta(hours=6)  # a message held for the 48 h window is looked at again this often
CONTINUATION = timedelta(minutes=10)  # parts of one logical message sent this close count once


@dataclass(frozen=True)
class PolicySettings:
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    quiet_start: time = time(22, 0)
    quiet_end: time = time(8, 0)
    holidays: frozenset[date] = frozenset()
    caps: Mapping[str, Cap] = field(default_factory=lambda: dict(DEFAULT_CAPS))
    # Channels with a reply window. Empty unless the Official Account is configured (from_config): without it the
    # dev chat stands in for the OA and has no window.
    windowed: frozenset[Channel] = frozenset()

    @classmethod
    def parse(cls, tz: str, quiet_hours: str, holidays: Iterable[str | date] = (), **extra: Any) -> "PolicySettings":
        try:
            start_s, end_s = quiet_hours.split("-")
            start, end = time.fromisoformat(start_s.strip()), time.fromisoformat(end_s.strip())
        except ValueError as exc:
            raise ValueError(f"QUIET_HOURS must look like 22:00-08:00, got {quiet_hours!r}") from exc
        days = frozenset(d if isinstance(d, date) else date.fromisoformat(d) for d in holidays)
        return cls(tz=ZoneInfo(tz), quiet_start=start, quiet_end=end, holidays=days, **extra)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], holidays: Iterable[str | date] = ()) -> "PolicySettings":
        """Everything the policy needs from the configuration (and the company's holidays)."""
        from config import wechat_sending

        windowed = frozenset({Channel.wechat}) if wechat_sending(cfg) else frozenset()
        return cls.parse(cfg["TIMEZONE"], cfg["QUIET_HOURS"], holidays,
                         caps=parse_caps(cfg.get("CADENCE_CAPS") or ""), windowed=windowed)


def parse_caps(text: str) -> dict[str, Cap]:
    """`high=3/7,medium=1/7,low=1/14,total=3/7` -> caps; missing entries keep their defaults."""
    caps = dict(DEFAULT_CAPS)
    for part in filter(None, (p.strip() for p in text.split(","))):
        m = re.fullmatch(r"(high|medium|low|total)\s*=\s*(\d+)\s*/\s*(\d+)\s*d?", part)
        if not m or int(m.group(3)) < 1:
            raise ValueError(f"CADENCE_CAPS entries look like high=3/7 (count per days), got {part!r}")
        caps[m.group(1)] = Cap(int(m.group(2)), int(m.group(3)))
    return caps


ALWAYS = {Category.reply, Category.relay, Category.alert}
QUIET_MODE_ALLOWED = ALWAYS | {Category.critical}
CAPPED = {Category.task, Category.engagement}
PROACTIVE = {Category.critical, Category.task, Category.engagement}
GONE = {CandidateStatus.reneged, CandidateStatus.withdrawn}


def in_quiet_hours(local: datetime, s: PolicySettings) -> bool:
    t = local.time()
    if s.quiet_start <= s.quiet_end:
        return s.quiet_start <= t < s.quiet_end
    return t >= s.quiet_start or t < s.quiet_end


def next_send_window(now: datetime, s: PolicySettings, *, skip_holidays: bool,
                     dnd: frozenset[date] = frozenset()) -> datetime:
    """The first instant at or after `now` that is outside quiet hours (and, if asked, not on a holiday or a
    do-not-disturb date)."""
    closed = (s.holidays | dnd) if skip_holidays else frozenset()
    local = now.astimezone(s.tz)
    for _ in range(400):
        if local.date() in closed:
            local = datetime.combine(local.date() + timedelta(days=1), s.quiet_end, s.tz)
            continue
        if not in_quiet_hours(local, s):
            return local
        end_day = local.date() if local.time() < s.quiet_end else local.date() + timedelta(days=1)
        local = datetime.combine(end_day, s.quiet_end, s.tz)
    raise ValueError("no send window within a year; check holidays")


def in_window(candidate: Candidate, now: datetime) -> bool:
    """Official Account: free messages only within 48 h of the candidate's last message."""
    last = candidate.last_inbound_at
    return last is not None and now - last < OA_WINDOW


def dnd_dates(candidate: Candidate) -> frozenset[date]:
    """The candidate's own do-not-disturb dates (profile["dnd_dates"], ISO dates), e.g. an exam day."""
    out = set()
    for d in (candidate.profile or {}).get("dnd_dates", []) or []:
        try:
            out.add(d if isinstance(d, date) else date.fromisoformat(str(d)))
        except ValueError:
            continue
    return frozenset(out)


def family(key: str | None) -> str | None:
    """The logical message a row belongs to: `welcome:7:2#3` -> `welcome:7` (parts and numbered pieces)."""
    if not key:
        return None
    return re.sub(r":\d+$", "", re.sub(r"#\d+$", "", key))


def tier_of(candidate: Candidate) -> str:
    return candidate.tier if candidate.tier in ("high", "medium", "low") else DEFAULT_TIER


def _cap_free_at(entries: list[tuple[datetime, Category]], cats: set[Category], cap: Cap,
                 now: datetime) -> datetime | None:
    """None if one more message of `cats` fits under `cap` now; else when the oldest counted one leaves the window."""
    recent = sorted(at for at, cat in entries if cat in cats and now - cap.window < at <= now)
    if len(recent) < cap.count:
        return None
    if cap.count <= 0:
        return now + cap.window
    return recent[-cap.count] + cap.window


def _logical(history: Sequence[tuple]) -> list[tuple[datetime, Category]]:
    """One entry per logical message: parts of one message sent together (welcome:7:1, welcome:7:2) count once."""
    out: list[tuple[datetime, Category]] = []
    last: dict[str, datetime] = {}
    for h in sorted(history, key=lambda h: h[0]):
        fam = family(h[2]) if len(h) > 2 else None
        if fam is not None and fam in last and h[0] - last[fam] <= CONTINUATION:
            continue
        if fam is not None:
            last[fam] = h[0]
        out.append((h[0], Category(h[1])))
    return out


def _as_item(item: Any) -> tuple[Category, Channel | None, str, str | None, dict]:
    if isinstance(item, (Category, str)):
        return Category(item), None, "text", None, {}
    channel = getattr(item, "channel", None)
    return (Category(item.category), Channel(channel) if channel else None, getattr(item, "kind", "text") or "text",
            getattr(item, "dedupe_key", None), getattr(item, "payload", None) or {})


def _expires(payload: dict) -> datetime | None:
    value = payload.get("expires_at")
    if not value:
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def decide(
    item: Any,
    candidate: Candidate | None,
    now: datetime,
    settings: PolicySettings,
    history: Sequence[tuple] = (),
) -> Decision:
    """Send, hold until a time, or suppress one message, with the reason. `history`: the candidate's proactive
    messages already sent, as (sent_at, category[, dedupe_key]) — see `history_for`."""
    category, channel, kind, key, payload = _as_item(item)
    if category == Category.alert or candidate is None:
        return Decision.send("always")
    windowed = channel in settings.windowed if channel is not None else False

    if category in (Category.reply, Category.relay):
        if windowed and kind != "template" and not in_window(candidate, now):
            if category == Category.reply:  # an answer two days late is no answer; the candidate can ask again
                return Decision.suppress("outside_48h_window")
            return Decision.hold("outside_48h_window", now + WINDOW_RECHECK)
        return Decision.send("always")

    # proactive: critical, task, engagement
    if candidate.status in GONE:
        return Decision.suppress(f"candidate_{candidate.status.value}")
    if candidate.opted_out:
        return Decision.suppress("opted_out")
    local = now.astimezone(settings.tz)
    if candidate.start_date is not None and local.date() > candidate.start_date:
        return Decision.suppress("past_start_date")
    expires = _expires(payload)
    if expires is not None and now >= expires:
        return Decision.suppress("expired")
    if candidate.quiet_mode and category not in QUIET_MODE_ALLOWED:
        return Decision.suppress("quiet_mode")
    if candidate.holdout and category not in QUIET_MODE_ALLOWED:
        return Decision.suppress("holdout")

    if channel is None:  # told only the category: the message goes to the candidate
        windowed = Channel(candidate.channel) in settings.windowed
    if windowed and kind != "template" and not in_window(candidate, now):
        return Decision.hold("outside_48h_window", now + WINDOW_RECHECK)

    critical = category == Category.critical
    dnd = dnd_dates(candidate)
    if category in CAPPED:
        entries = _logical(history)
        fam = family(key)
        continuation = fam is not None and any(
            len(h) > 2 and family(h[2]) == fam and timedelta(0) <= now - h[0] <= CONTINUATION for h in history)
        if not continuation:
            tier = tier_of(candidate)
            for reason, cats, cap in ((f"cap_{tier}", CAPPED, settings.caps[tier]),
                                      ("cap_total", PROACTIVE, settings.caps["total"])):
                free_at = _cap_free_at(entries, cats, cap, now)
                if free_at is not None:
                    at = next_send_window(free_at, settings, skip_holidays=True, dnd=dnd)
                    if expires is not None and at >= expires:
                        return Decision.suppress(reason)  # the slot frees only after the message is stale
                    return Decision.hold(reason, at)

    at = next_send_window(now, settings, skip_holidays=not critical, dnd=dnd)
    if at > now:
        if in_quiet_hours(local, settings):
            reason = "quiet_hours"
        elif local.date() in settings.holidays:
            reason = "holiday"
        else:
            reason = "dnd_date"
        return Decision.hold(reason, at)
    return Decision.send()


def history_for(db, candidate_id: int | None, now: datetime, days: int = 14) -> list[tuple[datetime, Category, str]]:
    """The candidate's proactive messages sent in the last `days` days, oldest first, as
    (sent_at, category, dedupe_key): what `decide` counts the caps over."""
    if candidate_id is None:
        return []
    from sqlmodel import select

    from models import OutboxItem, OutboxStatus

    rows = db.exec(
        select(OutboxItem.sent_at, OutboxItem.category, OutboxItem.dedupe_key)
        .where(OutboxItem.candidate_id == candidate_id, OutboxItem.status == OutboxStatus.sent,
               OutboxItem.category.in_(list(PROACTIVE)), OutboxItem.sent_at > now - timedelta(days=days))
        .order_by(OutboxItem.sent_at)
    ).all()
    # the 2nd, 3rd ... piece of a long message (key#2) is the same message
    return [(at, Category(cat), key) for at, cat, key in rows if "#" not in key]
