"""Weekly point-earning tasks: show this week's task, take the answer in chat, award the points.

States (flow "task", state = task key): the task waiting for the candidate's answer (a reflection, a discussion
post, or for the mentor Q&A week a question for the mentor). A message that is clearly another request is
answered normally and the task keeps waiting.
"""

from __future__ import annotations

from engagement import points
from engagement.onboarding import programme_week
from engagement.tasks import complete, completed
from handlers import flow
from handlers.candidate import relay
from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import ANY, Role, Router
from nlp.intents import Intent

router = Router("candidate.tasks")
FLOW = "task"


def current_task(ctx: Ctx) -> tuple[int | None, dict | None]:
    week = programme_week(ctx.candidate, ctx.today, ctx.services.clock.tz)
    if week is None:
        return None, None
    return week, ctx.content.task(week)


def task_intro(ctx: Ctx, task: dict) -> str:
    return ctx.content.from_string(task["intro"], name=ctx.candidate.name)


@router.on(role=Role.CANDIDATE, intent=Intent.WEEKLY_TASK, help=True)
def on_weekly_task(ctx: Ctx, msg) -> Reply:
    """When a candidate asks for this week's task: the task, its points and how to complete it in chat."""
    week, task = current_task(ctx)
    if week is None:
        return Reply.of("task_not_started")
    if task is None:
        return Reply.of("task_all_done", balance=points.balance(ctx.db, ctx.candidate.id))
    if completed(ctx.db, ctx.candidate.id, task["key"]):
        nxt = ctx.content.task(week + 1)
        return Reply.of("task_already_done", task=task, next=nxt)
    ctx.set_state(FLOW, task["key"], {"week": week})
    return Reply.of("task_show", task=task, intro=task_intro(ctx, task), week=week)


@router.on_state(FLOW, ANY)
def on_task_answer(ctx: Ctx, msg):
    """While a task waits for an answer: a long enough answer completes it and shows the new balance."""
    if flow.is_cancel(msg.text):
        ctx.clear_state()
        return Reply.of("task_later")
    task = next((t for t in ctx.content.tasks if t["key"] == ctx.state.state), None)
    if task is None or flow.changes_subject(ctx, msg):
        return NotImplemented
    text = (msg.text or "").strip()
    if len(text) < int(task["min_chars"]):
        return Reply(text=task["too_short"])
    ctx.clear_state()
    extra: list[Reply] = []
    if task["kind"] == "mentor_qa":
        extra = relay.create(ctx, "mentor", text)
    fresh = complete(ctx.db, ctx.candidate.id, task_key=task["key"], kind="task", points_worth=int(task["points"]),
                     answer=text, now=ctx.now)
    balance = points.balance(ctx.db, ctx.candidate.id)
    return [Reply.of("task_done", done=task["done"], task=task, fresh=fresh, balance=balance)] + extra
