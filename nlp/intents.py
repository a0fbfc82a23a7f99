"""Intent labels (the values are the labels of the training table) and the classifier that picks one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from nlp.tokenize import normalize


class Intent(StrEnum):
    HELP = "help"
    DAYS_UNTIL_TRAINING = "days_until_training"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class IntentResult:
    intent: Intent
    confidence: float
    alternatives: tuple[Intent, ...] = field(default=())


# Pattern rules: a first, precise layer. Later work adds a token-based model for phrasing the rules miss.
_RULES: list[tuple[Intent, re.Pattern[str]]] = [
    (Intent.HELP, re.compile(r"^(帮助|help|\?|？|菜单|你能做什么|你会什么|能干嘛|怎么用)")),
    (
        Intent.DAYS_UNTIL_TRAINING,
        re.compile(r"(还有|还剩|剩|差)?(几|多少)天.*(培训|入职|报到|上班)|(培训|入职|报到).*(几号|哪天|什么时候|啥时候|还有几天)|开始培训"),
    ),
]


def classify(text: str) -> IntentResult:
    clean = normalize(text)
    if not clean:
        return IntentResult(Intent.UNKNOWN, 0.0)
    for intent, pattern in _RULES:
        if pattern.search(clean):
            return IntentResult(intent, 0.95)
    return IntentResult(Intent.UNKNOWN, 0.0)
