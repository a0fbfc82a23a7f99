"""Quality figures of the hesitation detector on labelled messages, and their text table for `--eval`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

LEVELS = ["none", "concern", "hesitation", "withdrawal"]
ALERTS = {"hesitation", "withdrawal"}


@dataclass
class Report:
    n: int
    per_level: dict[str, tuple[float, float, float, int]]  # precision, recall, f1, support
    macro_f1: float
    confusion: dict[tuple[str, str], int]  # (gold, predicted) -> count
    reason_accuracy: float  # over rows whose gold level is not none
    reason_n: int
    alert_precision: float
    alert_recall: float
    alert_f1: float
    withdrawal_recall: float
    false_alert_rate: float  # share of gold-none messages predicted hesitation/withdrawal
    none_n: int

    def as_dict(self) -> dict:
        return {"n": self.n, "macro_f1": self.macro_f1, "alert_f1": self.alert_f1,
                "withdrawal_recall": self.withdrawal_recall, "false_alert_rate": self.false_alert_rate,
                "reason_accuracy": self.reason_accuracy}


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def evaluate(gold: Sequence[tuple[str, str]], pred: Sequence[tuple[str, str]]) -> Report:
    """gold and pred are (level, reason) pairs in the same order."""
    if len(gold) != len(pred):
        raise ValueError("gold and pred differ in length")
    confusion = Counter((g[0], p[0]) for g, p in zip(gold, pred))
    per_level = {}
    for lv in LEVELS:
        tp = confusion[(lv, lv)]
        predicted = sum(confusion[(g, lv)] for g in LEVELS)
        support = sum(confusion[(lv, p)] for p in LEVELS)
        p, r = _ratio(tp, predicted), _ratio(tp, support)
        per_level[lv] = (p, r, _f1(p, r), support)
    tp = sum(1 for g, p in zip(gold, pred) if g[0] in ALERTS and p[0] in ALERTS)
    fp = sum(1 for g, p in zip(gold, pred) if g[0] not in ALERTS and p[0] in ALERTS)
    fn = sum(1 for g, p in zip(gold, pred) if g[0] in ALERTS and p[0] not in ALERTS)
    ap, ar = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    reason_rows = [(g, p) for g, p in zip(gold, pred) if g[0] != "none"]
    none_rows = [p for g, p in zip(gold, pred) if g[0] == "none"]
    withdrawals = [p for g, p in zip(gold, pred) if g[0] == "withdrawal"]
    return Report(
        n=len(gold),
        per_level=per_level,
        macro_f1=sum(v[2] for v in per_level.values()) / len(LEVELS),
        confusion=dict(confusion),
        reason_accuracy=_ratio(sum(1 for g, p in reason_rows if g[1] == p[1]), len(reason_rows)),
        reason_n=len(reason_rows),
        alert_precision=ap,
        alert_recall=ar,
        alert_f1=_f1(ap, ar),
        withdrawal_recall=_ratio(sum(1 for p in withdrawals if p[0] == "withdrawal"), len(withdrawals)),
        false_alert_rate=_ratio(sum(1 for p in none_rows if p[0] in ALERTS), len(none_rows)),
        none_n=len(none_rows),
    )


def format_report(rep: Report) -> str:
    lines = [f"messages: {rep.n}", "", f"{'level':<12}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}"]
    for lv, (p, r, f, s) in rep.per_level.items():
        lines.append(f"{lv:<12}{p:>10.3f}{r:>10.3f}{f:>10.3f}{s:>9}")
    lines.append(f"{'macro F1 (4 levels)':<32}{rep.macro_f1:>10.3f}")
    lines += ["", "confusion (rows gold, columns predicted)", f"{'':<12}" + "".join(f"{lv:>12}" for lv in LEVELS)]
    for g in LEVELS:
        lines.append(f"{g:<12}" + "".join(f"{rep.confusion.get((g, p), 0):>12}" for p in LEVELS))
    lines += [
        "",
        f"{'reason accuracy (gold level not none)':<40}{rep.reason_accuracy:>8.3f}  (n={rep.reason_n})",
        f"{'alert F1 (hesitation|withdrawal)':<40}{rep.alert_f1:>8.3f}  (P={rep.alert_precision:.3f} "
        f"R={rep.alert_recall:.3f})",
        f"{'withdrawal recall':<40}{rep.withdrawal_recall:>8.3f}",
        f"{'false-alert rate on gold none':<40}{rep.false_alert_rate:>8.3f}  (n={rep.none_n})",
    ]
    return "\n".join(lines)
