"""Lessons of 10-15 minutes: a video link, then a 2-3 question quiz in chat; a pass earns points once, and a
failed quiz can be retried.

States (flow "lesson"): "choose" (a numbered list was shown), "quiz" (data: lesson key, question index, correct
so far), "failed" (data: lesson key; 重考 starts again).
"""

from __future__ import annotations

import re

from engagement import points
from engagement.tasks import complete, completed
from handlers import flow
from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import Role, Router
from nlp.intents import Intent
from nlp.tokenize import normalize

router = Router("candidate.lessons")
FLOW = "lesson"
RETRY = {"重考", "重试", "再试", "再试一次", "重新测验", "再来", "再来一次"}
_LETTER = re.compile(r"^\s*([a-dA-D])\b|^\s*([a-dA-D])$|^\s*选\s*([a-dA-D])")


def ordered(ctx: Ctx) -> list[dict]:
    """Lessons on the candidate's interests first, then the rest, each group in file order."""
    interests = ctx.candidate.profile.get("interests") or []
    lessons = list(ctx.content.lessons.values())
    return [l for l in lessons if l["topic"] in interests] + [l for l in lessons if l["topic"] not in interests]


@router.on(role=Role.CANDIDATE, intent=Intent.LESSON, help=True)
def on_lesson(ctx: Ctx, msg) -> Reply:
    """When a candidate asks for lessons: the list (their interests first) with what is already passed."""
    lessons = ordered(ctx)
    done = {l["key"] for l in lessons if completed(ctx.db, ctx.candidate.id, f"lesson:{l['key']}")}
    ctx.set_state(FLOW, "choose", {"keys": [l["key"] for l in lessons]})
    return Reply.of("lesson_list", lessons=lessons, done=done)


def _question(ctx: Ctx, lesson: dict, index: int, correct: int) -> Reply:
    ctx.set_state(FLOW, "quiz", {"key": lesson["key"], "index": index, "correct": correct})
    return Reply.of("lesson_question", q=lesson["questions"][index], number=index + 1, total=len(lesson["questions"]))


@router.on_state(FLOW, "choose")
def on_choose(ctx: Ctx, msg):
    """After the lesson list: a number or a title opens that lesson and its first quiz question."""
    keys = ctx.state.data["keys"]
    k = flow.choice(msg.text, len(keys))
    if k is None:
        clean = normalize(msg.text)
        k = next((i for i, key in enumerate(keys) if normalize(ctx.content.lessons[key]["title"]) in clean), None)
    if k is None:
        if flow.is_cancel(msg.text):
            ctx.clear_state()
            return Reply.of("lesson_later")
        return NotImplemented
    lesson = ctx.content.lessons[keys[k]]
    return [Reply.of("lesson_open", lesson=lesson), _question(ctx, lesson, 0, 0)]


def _letter(text: str) -> str | None:
    m = _LETTER.search(normalize(text))
    return next((g.upper() for g in m.groups() if g), None) if m else None


@router.on_state(FLOW, "quiz")
def on_quiz_answer(ctx: Ctx, msg):
    """During a quiz: marks the answer, explains, and asks the next question or gives the result."""
    data = ctx.state.data
    lesson = ctx.content.lessons[data["key"]]
    letter = _letter(msg.text)
    if letter is None:
        if flow.is_cancel(msg.text):
            ctx.clear_state()
            return Reply.of("lesson_later")
        if flow.changes_subject(ctx, msg):
            return NotImplemented
        return Reply.of("lesson_answer_unclear", q=lesson["questions"][data["index"]])
    q = lesson["questions"][data["index"]]
    right = letter == str(q["answer"]).upper()
    correct = data["correct"] + int(right)
    feedback = Reply.of("lesson_feedback", right=right, q=q)
    if data["index"] + 1 < len(lesson["questions"]):
        return [feedback, _question(ctx, lesson, data["index"] + 1, correct)]
    total = len(lesson["questions"])
    if correct >= int(lesson["pass_mark"]):
        ctx.clear_state()
        fresh = complete(ctx.db, ctx.candidate.id, task_key=f"lesson:{lesson['key']}", kind="lesson",
                         points_worth=int(lesson["points"]), score=correct, now=ctx.now)
        return [feedback, Reply.of("lesson_passed", lesson=lesson, correct=correct, total=total, fresh=fresh,
                                   balance=points.balance(ctx.db, ctx.candidate.id))]
    ctx.set_state(FLOW, "failed", {"key": lesson["key"]})
    return [feedback, Reply.of("lesson_failed", lesson=lesson, correct=correct, total=total)]


@router.on_state(FLOW, "failed")
def on_retry(ctx: Ctx, msg):
    """After a failed quiz: 重考 starts the quiz again; anything else is answered normally."""
    if flow.word(msg.text) in RETRY:
        lesson = ctx.content.lessons[ctx.state.data["key"]]
        return _question(ctx, lesson, 0, 0)
    ctx.clear_state()
    return NotImplemented
