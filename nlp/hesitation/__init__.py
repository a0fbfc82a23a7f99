"""Hesitation detector: does a candidate's message show worry, wavering or backing out, and why.

`detect(text) -> Detection(level, reason, score, cues)`; `python -m nlp.hesitation FILE.jsonl [--eval]` is the CLI.

Three opinions, weighed by a learned combiner (model.py):
- rules (rules.py + lexicon.py): cue phrases judged in their clause for negation, third parties, questions, hedges,
  conditionals and reassurance ("不是不想去", "我室友在纠结", "之前纠结过，现在想清楚了");
- three text models over char n-grams, jieba tokens and tokens tagged with their clause's context (two tf-idf
  logistic regressions and a naive Bayes), which see phrasings no lexicon lists;
- a combiner over the models' scores and the rule verdict, trained on sets by authors the rules were never
  written from, so it has learned how far each opinion holds on other people's messages.
snownlp is not used: its stock sentiment is near chance here (AUC 0.58 alert vs rest) and neither it as a feature
nor a retrained snownlp classifier improved cross-validated figures.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

__all__ = ["Detection", "Detector", "Level", "Reason", "as_ours", "detect", "get_detector"]


class Level(StrEnum):
    NONE = "none"
    CONCERN = "concern"  # a worry about a term that does not question joining
    HESITATION = "hesitation"  # questioning whether to join, negotiating, weighing another offer
    WITHDRAWAL = "withdrawal"  # saying they will not join


class Reason(StrEnum):
    SALARY = "salary"
    COMPETING_OFFER = "competing_offer"
    UNDECIDED = "undecided"
    START_DATE = "start_date"
    LOCATION = "location"
    WORKLOAD = "workload"
    FAMILY = "family"
    ROLE_FIT = "role_fit"
    NONE = "none"


ALERT_LEVELS = frozenset({Level.HESITATION, Level.WITHDRAWAL})


@dataclass(frozen=True)
class Detection:
    level: Level
    reason: Reason
    score: float  # 0..1: confidence that the message is alert-worthy (hesitation or withdrawal)
    cues: list[str] = field(default_factory=list)

    @property
    def is_alert(self) -> bool:
        return self.level in ALERT_LEVELS

    def as_dict(self) -> dict:
        return {"level": str(self.level), "reason": str(self.reason), "score": round(self.score, 3),
                "cues": list(self.cues)}


# Decision thresholds on the combiner's probabilities, chosen on out-of-fold predictions over the 39 authored sets
# (leave-one-author-out, `crossval` prints the grid): a withdrawal is worth an alert even when the combiner is less
# sure of it than of the alternatives, and any other alert needs a little better than an even chance. Against
# 0.3 / 0.5 the alert threshold 0.6 cut false alerts from 1.7% to 1.5% at the same withdrawal recall (0.980) and alert
# F1. Withdrawal 0.25 would add 0.004 recall for 0.1% false alerts, but it alerts on others' withdrawals ("听说有人放弃
# 入职了", withdrawal p 0.26 once authored_t36/t37 came in), so it stays at 0.3.
WITHDRAWAL_AT = 0.3
ALERT_AT = 0.6
# A letter or a CJK character outside WeChat's [表情] codes.
_WORDS = re.compile(r"[\u4e00-\u9fffA-Za-z](?![^\[]*\])")


class Scores(NamedTuple):
    """The combiner's level and reason probabilities for one message."""

    level: dict[str, float]
    reason: dict[str, float]


def decide_level(level_proba: dict[str, float], withdrawal_at: float = WITHDRAWAL_AT,
                 alert_at: float = ALERT_AT) -> Level:
    """The level the combiner's probabilities call for at these thresholds (crossval tries others)."""
    p = {lv: level_proba.get(lv, 0.0) for lv in Level}
    if p[Level.WITHDRAWAL] >= withdrawal_at:
        return Level.WITHDRAWAL
    if p[Level.HESITATION] + p[Level.WITHDRAWAL] >= alert_at:
        return Level.WITHDRAWAL if p[Level.WITHDRAWAL] > p[Level.HESITATION] else Level.HESITATION
    return Level.CONCERN if p[Level.CONCERN] > p[Level.NONE] else Level.NONE


def decide(level_proba: dict[str, float], reason_proba: dict[str, float], cues: list[str],
           withdrawal_at: float = WITHDRAWAL_AT, alert_at: float = ALERT_AT) -> Detection:
    """The level and reason the probabilities call for, with the rules' cues as the evidence shown to HR."""
    level = decide_level(level_proba, withdrawal_at, alert_at)
    p_alert = level_proba.get(Level.HESITATION, 0.0) + level_proba.get(Level.WITHDRAWAL, 0.0)
    if level == Level.NONE:
        return Detection(level, Reason.NONE, round(p_alert, 4), [])
    candidates = {r: reason_proba.get(r, 0.0) for r in Reason if r != Reason.NONE}
    if level == Level.CONCERN:
        candidates.pop(Reason.UNDECIDED)  # a concern is always about some term
    reason = max(candidates, key=candidates.get)
    return Detection(level, Reason(reason), round(p_alert, 4), list(cues))


class Detector:
    """Rules, text models and combiner; the model is loaded from the build cache on first use (or given, e.g. a
    cross-validation fold)."""

    def __init__(self, model=None):
        self._model = model

    @property
    def model(self):
        if self._model is None:
            from nlp.hesitation.model import get_model  # numpy and the cached arrays only when first needed

            self._model = get_model()
        return self._model

    def detect(self, text: str) -> Detection:
        return self.detect_scored(text)[0]

    def detect_scored(self, text: str) -> tuple[Detection, Scores]:
        """The detection and the combiner's probabilities behind it (crossval re-decides them at other thresholds)."""
        if not _WORDS.search(text or ""):
            # "……", "👌", "[微笑]": no words, nothing to waver about
            return Detection(Level.NONE, Reason.NONE, 0.0, []), Scores({Level.NONE.value: 1.0}, {})
        pred = self.model.predict(text or "")
        return decide(pred.level, pred.reason, pred.rule.cues), Scores(pred.level, pred.reason)

    def detect_many(self, texts: list[str]) -> list[Detection]:
        return [self.detect(t) for t in texts]


_lock = threading.Lock()
_detector: Detector | None = None


def get_detector() -> Detector:
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                _detector = Detector()
    return _detector


def as_ours(text: str, names: Sequence[str]) -> str:
    """The message with the employer's own names (config EMPLOYER_NAMES) written as 你们公司: the lexicon counts
    well-known employers (lexicon.EMPLOYERS) as another company, and at Tencent "我接受了腾讯的offer" accepts
    ours. Longest names first, so "腾讯科技" is not left as "你们公司科技". (Not 贵司: the text
    models read "我接受了贵司的offer" as a rival's offer, having seen 贵司 mostly in formal declines.)"""
    for name in sorted(filter(None, names), key=len, reverse=True):
        text = re.sub(re.escape(name), "你们公司", text, flags=re.IGNORECASE)
    return text


def detect(text: str) -> Detection:
    """Level, reason, score and cues for one candidate message."""
    return get_detector().detect(text)
