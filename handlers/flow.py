"""Small helpers shared by the multi-step flows (questionnaire, redemption, quiz, ...)."""

from __future__ import annotations

import re

from nlp.intents import Intent
from nlp.tokenize import normalize

CANCEL = {"取消", "算了", "退出", "不了", "不用了", "不要了", "cancel", "q", "quit", "结束"}
YES = {"确认", "是", "是的", "好", "好的", "对", "嗯", "嗯嗯", "确定", "可以", "ok", "yes", "y", "行", "没问题", "要"}
NO = {"否", "不", "不是", "不对", "no", "n", "不要", "先不", "再想想"}
SKIP = {"跳过", "skip", "下一题", "不想说", "pass", "略过"}

_CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_TRAIL = re.compile(r"[\s。.!！~～、,，…?？]+$")
# Intents that carry no request of their own: inside a flow they are answers, not a change of subject.
NEUTRAL = {Intent.UNKNOWN, Intent.THANKS, Intent.GREETING}


def word(text: str) -> str:
    return _TRAIL.sub("", normalize(text))


def is_cancel(text: str) -> bool:
    return word(text) in CANCEL


def is_yes(text: str) -> bool:
    return word(text) in YES


def is_no(text: str) -> bool:
    return word(text) in NO


def is_skip(text: str) -> bool:
    return word(text) in SKIP


def choice(text: str, n: int) -> int | None:
    """A 0-based index from '2', '第2个', '二', '选3' when it is within 1..n."""
    w = word(text)
    m = re.fullmatch(r"(?:第|选|选择)?\s*(\d{1,2}|[一二两三四五六七八九十])\s*(?:个|项|号|题)?", w)
    if not m:
        return None
    raw = m.group(1)
    k = int(raw) if raw.isdigit() else _CN_NUM[raw]
    return k - 1 if 1 <= k <= n else None


def changes_subject(ctx, msg) -> bool:
    """True when the message is confidently a request of its own (积分, 导师是谁 ...), so a flow should let the
    normal routing answer it and keep its place for later."""
    if ctx.extra.get("hesitation"):
        return True  # a wavering candidate is answered as such (Pipeline.alongside_alert), not as a flow step
    result = ctx.services.pipeline.intent_of(ctx, msg)
    return not result.ambiguous and result.intent not in NEUTRAL and result.confidence >= 0.6
