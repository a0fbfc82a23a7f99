"""Hesitation detector: does a candidate's message show worry, wavering or backing out, and why.

`detect(text) -> Detection(level, reason, score, cues)`; `python -m nlp.hesitation FILE.jsonl [--eval]` is the CLI.

Two independent opinions are combined (see DESIGN.md "nlp/"):
- rules (rules.py + lexicon.py): cue phrases judged in their clause for negation, third parties, questions, hedges,
  conditionals and reassurance. They decide every alert they find and can veto the model when they saw a cue and
  set it aside on purpose ("不是不想去", "我室友在纠结").
- a character n-gram + jieba token logistic regression (model.py), trained at first use from the repo's data. It
  sees phrasings no lexicon lists: it may raise an alert the rules missed only when it is confident, and it draws
  the fuzzy concern/none line.
The model deliberately does not take the rule verdict as input: the rules were written from the same sentences,
so a stacked model learns to copy them and stops being a second opinion (see model.py).
snownlp is not used: its stock sentiment is near chance here (AUC 0.58 alert vs rest) and neither it as a feature
nor a retrained snownlp classifier improved cross-validated figures.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import StrEnum

from nlp.hesitation.rules import REASON_PRIORITY, RuleResult, analyze

__all__ = ["Detection", "Detector", "Level", "Reason", "detect", "get_detector"]


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


# The model may raise an alert the rules did not see only above this probability (5-fold CV and a late batch of
# own sentences: 0.8 keeps false alerts on ordinary messages near 1% while recovering unseen phrasings).
MODEL_ALERT_THRESHOLD = 0.8
MODEL_ALERT_STRICT = 0.95
# Added to "undecided" when the rules raised the alert and found no term to blame (5-fold CV).
UNDECIDED_BONUS = 0.5
# How much the rules' reason scores count against the model's reason probabilities.
RULE_REASON_WEIGHT = 0.25


def _blend_reason(rule: RuleResult, reason_proba: dict[str, float], level: str) -> str:
    if level == "none":
        return "none"
    total = {r: reason_proba.get(r, 0.0) for r in REASON_PRIORITY + ["undecided"]}
    for r in REASON_PRIORITY:
        total[r] += RULE_REASON_WEIGHT * min(rule.reason_scores.get(r, 0.0), 4.0)
    if level in ("hesitation", "withdrawal") and rule.level == level and rule.reason == "undecided":
        total["undecided"] += UNDECIDED_BONUS  # the rules found no term at all to blame
    if level == "concern":
        total.pop("undecided")  # a concern is always about some term
    return max(total, key=total.get)


def combine(rule: RuleResult, level_proba: dict[str, float], reason_proba: dict[str, float]) -> Detection:
    """Merge the rule verdict and the model's probabilities into one Detection."""
    p_alert = level_proba.get("hesitation", 0.0) + level_proba.get("withdrawal", 0.0)
    # The rules saw a cue and set it aside, or saw a reassurance: the model must not overrule that. Nor may it raise
    # an alert on a message that names neither joining nor any term (5-fold CV: false alerts 1.4% -> 0.85%).
    cancelled = bool(rule.features.get("cancelled") or rule.features.get("n_reassure"))
    # Little English or very short text in the training data: the model is overconfident there.
    threshold = MODEL_ALERT_THRESHOLD if rule.features.get("cjk", 0) >= 6 else MODEL_ALERT_STRICT
    if rule.level in ("hesitation", "withdrawal"):
        level = rule.level
        score = 0.6 + 0.4 * max(rule.strength, p_alert)
        cues = rule.cues
    elif p_alert >= threshold and not cancelled and rule.features.get("about", 1.0):
        level = "withdrawal" if level_proba["withdrawal"] > level_proba["hesitation"] else "hesitation"
        score = p_alert
        cues = rule.cues
    else:
        concern = level_proba.get("concern", 0.0) + (0.1 if rule.level == "concern" else 0.0)
        level = "concern" if concern > level_proba.get("none", 0.0) else "none"
        score = min(p_alert, 0.49) * (0.5 if cancelled else 1.0)
        cues = rule.cues if level == "concern" else []
    reason = _blend_reason(rule, reason_proba, level)
    return Detection(Level(level), Reason(reason), round(float(score), 4), list(cues))


class Detector:
    """Rules plus a model; the model is trained lazily on first use (or given, e.g. a cross-validation fold)."""

    def __init__(self, model=None):
        self._model = model

    @property
    def model(self):
        if self._model is None:
            from nlp.hesitation.model import get_model  # sklearn and training only when first needed

            self._model = get_model()
        return self._model

    def detect(self, text: str) -> Detection:
        return self.detect_many([text])[0]

    def detect_many(self, texts: list[str]) -> list[Detection]:
        rules = [analyze(t or "") for t in texts]
        level_proba, reason_proba = self.model.predict_proba([t or "" for t in texts])
        return [combine(r, lp, rp) for r, lp, rp in zip(rules, level_proba, reason_proba)]


_lock = threading.Lock()
_detector: Detector | None = None


def get_detector() -> Detector:
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                _detector = Detector()
    return _detector


def detect(text: str) -> Detection:
    """Level, reason, score and cues for one candidate message."""
    return get_detector().detect(text)
