"""HR follows up escalations in chat: 跟进 lists the open cases, 已联系 12 records the first human contact, 结案 12
留下/放弃 closes a case with its outcome. Time to first human contact is measured from these.

The commands are exact (the first word decides, then a case number, an outcome, a free note), recognised by the
rule below before the intent classifier, for HR users only: a candidate writing 跟进 is not affected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engagement import escalations
from handlers import flow
from handlers.candidate.hesitation import LEVELS, REASONS
from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import Role, Router
from models import Candidate, Escalation

router = Router("hr_cases")

# Intent labels of the HR commands (HR-only, so they live here and not among the classifier's intents).
LIST = "hr_cases"
CONTACT = "hr_contacted"
CLOSE = "hr_close"

LIMIT = 10  # cases listed by 跟进
LIST_WORDS = {"跟进", "待跟进", "案例", "跟进列表", "案例列表"}
OUTCOMES = {"留下": "stayed", "已留下": "stayed", "stayed": "stayed",
            "放弃": "reneged", "已放弃": "reneged", "reneged": "reneged"}

# The command word, then something that is not a letter or a CJK character (so 已联系候选人了 is chat, not a command).
_HEAD = re.compile(r"^(已联系|结案)(?=$|\W|[0-9０-９])[\s:：,，]*")
_NUMBER = re.compile(r"^(?:no\.?|[#＃])?\s*([0-9０-９]{1,9})\s*号?[\s:：,，]*", re.I)
_OUTCOME = re.compile(r"^(已留下|留下|已放弃|放弃|stayed|reneged)了?(?=$|\W)[\s:：,，。;；]*", re.I)


@dataclass(frozen=True)
class Command:
    intent: str
    case_id: int | None = None
    outcome: str | None = None  # stayed | reneged
    written_outcome: str = ""  # what stood where the outcome goes, when it is not one we know
    note: str = ""


def parse(text: str) -> Command | None:
    """The HR command in a message, or None when the message is not one (then the usual routing answers)."""
    clean = (text or "").strip()  # not normalised: the note is kept as HR wrote it (full-width digits are fine)
    if flow.word(clean) in LIST_WORDS:
        return Command(LIST)
    head = _HEAD.match(clean)
    if head is None:
        return None
    intent = CONTACT if head.group(1) == "已联系" else CLOSE
    rest = clean[head.end():]
    number = _NUMBER.match(rest)
    if number is None:
        return Command(intent)
    case_id, rest = int(number.group(1)), rest[number.end():]  # int() reads full-width digits too
    if intent == CONTACT:
        return Command(intent, case_id, note=rest.strip())
    outcome = _OUTCOME.match(rest)
    if outcome is None:
        return Command(intent, case_id, written_outcome=re.split(r"\s+", rest)[0][:20])
    return Command(intent, case_id, OUTCOMES[outcome.group(1).lower()], note=rest[outcome.end():].strip())


@router.rule(role=Role.HR)
def command(text: str) -> str | None:
    """The intent label of an HR command in the text, if it is one."""
    cmd = parse(text)
    return cmd.intent if cmd else None


def _minutes(ctx: Ctx, since) -> int:
    return max(0, int((ctx.now - since).total_seconds() // 60))


def _find(ctx: Ctx, cmd: Command) -> tuple[Escalation, Candidate] | Reply:
    """The case and its candidate, or the reply that says why the command cannot act on it."""
    if cmd.case_id is None:
        return Reply.of("hr_case_problem", problem="usage_" + ("contact" if cmd.intent == CONTACT else "close"),
                        case_id=None)
    esc = ctx.db.get(Escalation, cmd.case_id)
    if esc is None:
        return Reply.of("hr_case_problem", problem="not_found", case_id=cmd.case_id)
    cand = ctx.db.get(Candidate, esc.candidate_id)
    if not escalations.is_open(esc):
        return Reply.of("hr_case_problem", problem="closed", case_id=esc.id, name=cand.name, outcome=esc.outcome,
                        at=esc.closed_at, tz=ctx.services.clock.tz)
    return esc, cand


@router.on(role=Role.HR, intent=LIST, help=True)
def on_cases(ctx: Ctx, msg) -> Reply:
    """When HR writes 跟进 (待跟进, 案例): the newest open cases, at most 10, with level, reason, age and contact."""
    rows = escalations.cases(ctx.db, open_only=True, limit=LIMIT)
    cases = [{"id": esc.id, "name": cand.name, "level": LEVELS.get(esc.level, esc.level),
              "reason": REASONS.get(esc.reason, esc.reason), "minutes": _minutes(ctx, esc.opened_at),
              "contacted_at": esc.first_contact_at} for esc, cand in rows]
    return Reply.of("hr_case_list", cases=cases, total=escalations.count_open(ctx.db), tz=ctx.services.clock.tz)


@router.on(role=Role.HR, intent=CONTACT, help=True)
def on_contacted(ctx: Ctx, msg) -> Reply:
    """When HR writes 已联系 <case> [note]: records the first human contact now (once; a repeat says when it was)."""
    cmd = parse(msg.text)
    found = _find(ctx, cmd)
    if isinstance(found, Reply):
        return found
    esc, cand = found
    tz = ctx.services.clock.tz
    if not escalations.mark_first_contact(ctx.db, esc, ctx.now):
        return Reply.of("hr_case_contacted", already=True, case_id=esc.id, name=cand.name, at=esc.first_contact_at,
                        tz=tz)
    escalations.add_note(esc, cmd.note)
    return Reply.of("hr_case_contacted", already=False, case_id=esc.id, name=cand.name, at=esc.first_contact_at,
                    tz=tz, minutes=_minutes(ctx, esc.opened_at), noted=bool(cmd.note))


@router.on(role=Role.HR, intent=CLOSE, help=True)
def on_close(ctx: Ctx, msg) -> Reply:
    """When HR writes 结案 <case> 留下|放弃 [note]: closes the case with that outcome (放弃 marks the candidate reneged)."""
    cmd = parse(msg.text)
    found = _find(ctx, cmd)
    if isinstance(found, Reply):
        return found
    esc, cand = found
    if cmd.outcome is None:
        return Reply.of("hr_case_problem", problem="bad_outcome" if cmd.written_outcome else "no_outcome",
                        case_id=esc.id, written=cmd.written_outcome)
    contact_now = esc.first_contact_at is None  # this reply is the human contact, recorded by close()
    escalations.close(ctx.db, esc, cmd.outcome, ctx.now, note=cmd.note)
    return Reply.of("hr_case_closed", case_id=esc.id, name=cand.name, outcome=cmd.outcome, contact_now=contact_now,
                    minutes=_minutes(ctx, esc.opened_at), noted=bool(cmd.note))
