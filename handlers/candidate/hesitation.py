"""Hesitation in free chat: every candidate message goes through the detector; a wavering candidate gets a warm,
no-pressure answer, and HR gets an alert in the group chat with context and a suggested response."""

from __future__ import annotations

import re

from sqlmodel import select

from engagement.escalations import ALERT, alert_key, combine_with_context, open_escalation, recent_signals
from handlers.context import Ctx
from handlers.reply import Reply
from models import Category, Channel, Cohort, HRUser, Message
from nlp.hesitation import as_ours, detect

LEVELS = {"concern": "顾虑", "hesitation": "犹豫", "withdrawal": "明确放弃", "risk": "沉默风险"}
REASONS = {"salary": "薪资待遇", "competing_offer": "其他 offer", "undecided": "还没想好", "start_date": "入职时间",
           "location": "工作地点", "workload": "工作强度", "family": "家庭因素", "role_fit": "岗位匹配", "silence": "长时间沉默",
           "none": "—"}
# Clause boundaries: sentence and clause punctuation and spaces. Not "." (15.5k) nor "、" (lists inside a clause).
CLAUSE = re.compile(r"[，,。！!？?；;：:…～~\s]+")


def hesitation_check(ctx: Ctx, msg) -> Reply | None:
    """Middleware, every candidate text: detect wavering; on an alert, open a case, alert HR, answer warmly."""
    cand = ctx.candidate
    if cand is None or msg.kind != "text" or not (msg.text or "").strip():
        return None
    text = as_ours(msg.text, ctx.services.employer_names)  # "我接受了腾讯的offer", at Tencent, accepts ours
    det = detect(text)
    message: Message = ctx.extra["inbound_message"]
    level, reason, score = det.level.value, det.reason.value, det.score
    recent = recent_signals(ctx.db, cand.id, ctx.now, exclude_id=message.id) if level != "none" else []
    level, reason, score, by_context = combine_with_context(level, reason, score, recent)
    message.signal_level, message.signal_reason, message.signal_score = level, reason, round(score, 3)
    ctx.db.add(message)
    if level not in ALERT:
        return None
    # This answer is the reply; intent routing may only add what the rest of the message asks for
    # (Pipeline.alongside_alert). An alert raised by the context leaves the words themselves a plain request.
    ctx.extra["hesitation"] = level
    ctx.extra["hesitation_rest"] = request_part(text, det.cues) if det.level.value in ALERT else msg.text
    day = ctx.now.astimezone(ctx.services.clock.tz).date().isoformat()
    key = alert_key(cand.id, level, reason, day, message.dedupe_key)
    esc = open_escalation(ctx.db, cand, level=level, reason=reason, text=msg.text, score=score, key=key, now=ctx.now)
    if esc is not None and ctx.services.alert_recipient:
        ctx.services.outbox.enqueue(
            ctx.db, channel=Channel.robot, recipient=ctx.services.alert_recipient, kind="markdown",
            text=hr_alert(ctx, level, reason, msg.text, list(det.cues) + (["上下文累积"] if by_context else []),
                          case_id=esc.id),
            dedupe_key=f"alert:{key}", category=Category.alert, candidate_id=cand.id,
        )
    return Reply.of("hesitation_reply", level=level, reason=reason, name=cand.name)


def request_part(text: str, cues: list[str] | None = None) -> str:
    """The clauses of a wavering message that do not waver themselves, joined ("静默模式吧" of "静默模式吧，我不打算去了");
    without punctuation to split on, the words before the first cue ("静默模式吧" of "静默模式吧我不打算去了"). "" when
    the wavering is all there is."""
    clauses = [c for c in CLAUSE.split(text) if c]
    if len(clauses) == 1:
        return _before_cue(text, detect(text).cues if cues is None else cues)
    rest = [c for c in clauses if detect(c).level.value not in ALERT]
    return "，".join(rest) if len(rest) < len(clauses) else ""


# What ties the speaker to the cue and is no request of its own: "…吧我已经决定不去了", "…呀我有点想放弃了", and
# the demonstrative of the cue's object ("这个" of "这个offer我决定放弃了").
_LEAD_IN = re.compile(r"(?:我|们|也|都|还|真的|已经|其实|现在|最近|有点|可能|决定|想|在|[这那](?:个|份|边))+$")
_WORD = re.compile(r"[\u4e00-\u9fff]")


def _before_cue(text: str, cues: list[str]) -> str:
    starts = [i for i in (text.find(c) for c in cues if c) if i > 0]
    if not starts:
        return ""
    head = _LEAD_IN.sub("", text[: min(starts)]).strip()
    if len(_WORD.findall(head)) < 2 or detect(head).level.value in ALERT:
        return ""
    return head


def hr_alert(ctx: Ctx, level: str, reason: str, text: str, cues: list[str], *, case_id: int) -> str:
    """The markdown alert for the HR group: the case number, the candidate, the words, the playbook, and how to
    record the follow-up (已联系 / 结案 in chat with the bot)."""
    cand = ctx.candidate
    cohort = ctx.db.get(Cohort, cand.cohort_id) if cand.cohort_id else None
    hr = ctx.db.get(HRUser, cand.hr_owner_id) if cand.hr_owner_id else None
    turns = list(ctx.db.exec(select(Message).where(Message.candidate_id == cand.id)
                             .order_by(Message.created_at.desc(), Message.id.desc()).limit(6)))[::-1]
    return ctx.content.render(
        "hr_alert", cand=cand, cohort=cohort, hr=hr, level=LEVELS.get(level, level), reason=REASONS.get(reason, reason),
        level_key=level, case_id=case_id, text=text, cues=cues, turns=turns, playbook=ctx.content.playbooks.get(reason),
        console_url=ctx.config.get("PUBLIC_URL", "") + f"/dashboard/candidates/{cand.id}", tz=ctx.services.clock.tz,
    )
