"""The candidate controls how much the bot says: quiet mode, reminders back on, unsubscribe, channel and hours."""

from __future__ import annotations

from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import Role, Router
from nlp.intents import Intent
from nlp.tokenize import normalize

router = Router("candidate.control")

TIMES = {"morning": ("早上", "上午", "早晨", "morning", "早点"), "noon": ("中午", "午休", "午饭", "noon", "午间"),
         "evening": ("晚上", "下班", "晚点", "晚间", "evening", "夜里", "傍晚")}
CHANNELS = {"wecom": ("企业微信", "企微", "wecom"), "wechat": ("微信", "公众号", "wechat")}


@router.on(role=Role.CANDIDATE, intent=Intent.QUIET_ON, help=True)
def on_quiet_on(ctx: Ctx, msg) -> Reply:
    """When a candidate asks for fewer messages: quiet mode on, and exactly what will still arrive."""
    ctx.candidate.quiet_mode = True
    ctx.db.add(ctx.candidate)
    return Reply.of("quiet_on")


@router.on(role=Role.CANDIDATE, intent=Intent.QUIET_OFF)
def on_quiet_off(ctx: Ctx, msg) -> Reply:
    """When a candidate asks for reminders again: quiet mode and unsubscribe both off."""
    was_unsubscribed = ctx.candidate.opted_out
    ctx.candidate.quiet_mode = False
    ctx.candidate.opted_out = False
    ctx.db.add(ctx.candidate)
    return Reply.of("quiet_off", was_unsubscribed=was_unsubscribed)


@router.on(role=Role.CANDIDATE, intent=Intent.UNSUBSCRIBE)
def on_unsubscribe(ctx: Ctx, msg) -> Reply:
    """When a candidate unsubscribes: everything stops except legally necessary notices, with the way back."""
    ctx.candidate.opted_out = True
    ctx.db.add(ctx.candidate)
    return Reply.of("unsubscribed")


def parse_preferences(text: str) -> tuple[str | None, str | None]:
    clean = normalize(text)
    channel = next((c for c, words in CHANNELS.items() if any(w in clean for w in words)), None)
    if channel == "wechat" and any(w in clean for w in CHANNELS["wecom"]):
        channel = "wecom"  # 企业微信 contains 微信
    time = next((t for t, words in TIMES.items() if any(w in clean for w in words)), None)
    return channel, time


@router.on(role=Role.CANDIDATE, intent=Intent.PREFERENCES)
def on_preferences(ctx: Ctx, msg) -> Reply:
    """When a candidate says how or when they like to be reached: saves channel and preferred time."""
    channel, time = parse_preferences(msg.text)
    if channel is None and time is None:
        return Reply.of("preferences_ask", current_time=ctx.candidate.preferred_time, current_channel=ctx.candidate.channel_pref)
    if channel:
        ctx.candidate.channel_pref = channel
    if time:
        ctx.candidate.preferred_time = time
    ctx.db.add(ctx.candidate)
    return Reply.of("preferences_saved", channel=channel, time=time)
