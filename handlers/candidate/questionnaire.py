"""The welcome questionnaire: one question at a time, skippable, resumable; the answers build the profile.

States (flow "questionnaire"): the index of the question being asked. ANY state handler takes the answer.

    asked(i) --answer/skip--> asked(i+1) ... --> END (profile saved, personal next step)
    asked(i) --other request--> (answered normally, the flow keeps its place; 问卷 resumes)
    asked(i) --取消--> END (answers so far kept)
"""

from __future__ import annotations

from handlers import flow
from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import ANY, Role, Router
from nlp.intents import Intent
from nlp.tokenize import normalize

router = Router("candidate.questionnaire")
FLOW = "questionnaire"
MULTI = {"interests"}  # questions that take several options


def questions(ctx: Ctx) -> list[dict]:
    return ctx.content.data["questionnaire"]["questions"]


def ask(ctx: Ctx, index: int, *, intro: bool = False) -> Reply:
    """Ask question `index` and remember that it is the one waiting for an answer."""
    answers = ctx.state.data.get("answers", {}) if ctx.state is not None and ctx.state.flow == FLOW else {}
    ctx.set_state(FLOW, str(index), {"answers": answers})
    qs = questions(ctx)
    return Reply.of("questionnaire_question", q=qs[index], number=index + 1, total=len(qs), multi=qs[index]["key"] in MULTI,
                    intro=ctx.content.data["questionnaire"]["intro"] if intro else "")


def start(ctx: Ctx) -> Reply:
    return ask(ctx, 0, intro=True)


def parse_answer(question: dict, text: str) -> list[str]:
    """Option values picked by number, label or match words; empty if nothing recognisable."""
    options = question["options"]
    picked: list[str] = []
    clean = normalize(text)
    for token in [t for t in clean.replace("，", " ").replace(",", " ").replace("、", " ").split() if t] or [clean]:
        k = flow.choice(token, len(options))
        if k is not None:
            picked.append(options[k]["value"])
    for opt in options:
        words = [opt.get("label", "")] + list(opt.get("match", []))
        if any(w and normalize(str(w)) in clean for w in words):
            picked.append(opt["value"])
    seen: list[str] = []
    for v in picked:
        if v not in seen:
            seen.append(v)
    return seen if question["key"] in MULTI else seen[:1]


@router.on_state(FLOW, ANY)
def on_answer(ctx: Ctx, msg):
    """While the questionnaire waits for an answer: store it (or skip) and ask the next question."""
    if flow.is_cancel(msg.text):
        ctx.clear_state()
        return Reply.of("questionnaire_paused")
    qs = questions(ctx)
    index = int(ctx.state.state)
    if index >= len(qs):
        ctx.clear_state()
        return NotImplemented
    answers = dict(ctx.state.data.get("answers", {}))
    if not flow.is_skip(msg.text):
        picked = parse_answer(qs[index], msg.text)
        if not picked:
            if flow.changes_subject(ctx, msg):
                return NotImplemented
            return Reply.of("questionnaire_unclear", q=qs[index])
        answers[qs[index]["key"]] = picked if qs[index]["key"] in MULTI else picked[0]
    ctx.state.data = {"answers": answers}
    if index + 1 < len(qs):
        return ask(ctx, index + 1)
    return finish(ctx, answers)


def finish(ctx: Ctx, answers: dict) -> list[Reply]:
    cand = ctx.candidate
    cand.profile = {**cand.profile, **answers, "questionnaire_done": ctx.now.isoformat()}
    if answers.get("channel"):
        cand.channel_pref = answers["channel"]
    if answers.get("preferred_time"):
        cand.preferred_time = answers["preferred_time"]
    ctx.db.add(cand)
    ctx.clear_state()
    interests = answers.get("interests") or []
    lessons = [l for l in ctx.content.lessons.values() if l["topic"] in interests][:2]
    return [Reply.of("questionnaire_done", done=ctx.content.data["questionnaire"]["done"],
                     social=answers.get("social_style"), lessons=lessons)]


@router.on(role=Role.CANDIDATE, intent=Intent.QUESTIONNAIRE, help=True)
def on_questionnaire(ctx: Ctx, msg) -> Reply:
    """When a candidate asks for the questionnaire: resume at the open question, or start (again)."""
    if ctx.state is not None and ctx.state.flow == FLOW:
        return ask(ctx, int(ctx.state.state))
    return start(ctx)
