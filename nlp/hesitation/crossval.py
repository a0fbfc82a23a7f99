"""Cross-validated figures for the hesitation detector, and the plain baseline measured on the same folds.

`python -m nlp.hesitation.crossval` holds out one authored set at a time (`authored_*.jsonl`: one author, one
sitting, never used to write the rules), trains the whole detector (text models and combiner) on everything else,
judges it on the held-out set, and prints the metrics pooled over all folds. Leaving a whole author out is closer
to "messages written by other people" than a random split, which leaves near-twins on both sides.
`--against FILE` judges the built model on a labelled file instead (a set in nlp/data/hesitation_eval/, say).
`--baseline` also prints the issue's bar: a plain char 1-3-gram logistic regression trained on the same rows.
A leave-one-out run trains the detector once per authored set (30-60 minutes for 39 sets on 2 cores): a bar on
stderr counts the folds, the pooled table is followed by one line per held-out set (worst alert F1 first), and
`--misses FILE` writes every message the detector got wrong, with its set, for reading. `--groups 4` leaves four
groups of sets out instead (four trainings, about ten minutes): a quick, slightly pessimistic comparison of two
versions, measured one after the other on the same machine.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nlp.hesitation import ALERT_AT, WITHDRAWAL_AT, Detector, Scores, decide
from nlp.hesitation.metrics import Report, evaluate, format_report
from nlp.hesitation.model import FRESH_PREFIX, HesitationModel, get_model, load_rows, training_sets


def fit_baseline(train: list[dict]) -> Callable[[list[str]], list[tuple[str, str]]]:
    """The bar to beat: char 1-3-gram tf-idf + logistic regression for the level and, separately, the reason.
    Returns its predict: texts -> (level, reason) pairs."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    x = vec.fit_transform([r["text"] for r in train])
    level = LogisticRegression(max_iter=2000, C=4.0).fit(x, [r["level"] for r in train])
    flagged = [i for i, r in enumerate(train) if r["level"] != "none"]  # a reason only where there is a signal
    reason = LogisticRegression(max_iter=2000, C=4.0).fit(x[flagged], [train[i]["reason"] for i in flagged])

    def predict(texts: list[str]) -> list[tuple[str, str]]:
        xt = vec.transform(texts)
        return [(lv, "none" if lv == "none" else rs) for lv, rs in zip(level.predict(xt), reason.predict(xt))]

    return predict


def _fold(files: dict[str, list[dict]], held: list[tuple[str, list[dict]]], baseline: bool, built: bool):
    """Train without the held-out sets (or take the built model) and judge each of them."""
    names = {name for name, _ in held}
    train_files = {k: v for k, v in files.items() if k not in names}
    detector = Detector(get_model() if built else HesitationModel.fit(train_files))
    base = fit_baseline([r for v in train_files.values() for r in v]) if baseline else None
    out = []
    for name, test in held:
        texts = [r["text"] for r in test]
        scored = [detector.detect_scored(t) for t in texts]
        pred = [(d.level.value, d.reason.value) for d, _ in scored]
        scores = [Scores(*({str(k): round(float(v), 4) for k, v in p.items()} for p in s)) for _, s in scored]
        out.append((name, [(r["level"], r["reason"]) for r in test], pred, base(texts) if base else [], scores))
    return out


@dataclass
class Fold:
    """One held-out set: gold and predicted (level, reason) per message, in the set's order."""
    name: str
    texts: list[str]
    gold: list[tuple[str, str]]
    pred: list[tuple[str, str]]
    base: list[tuple[str, str]]
    scores: list[Scores]  # the combiner's level and reason probabilities per message


def run(files: dict[str, list[dict]], folds: list[tuple[str, list[dict]]], baseline: bool,
        jobs: int = 1, progress: bool = False, groups: int | None = None, built: bool = False) -> list[Fold]:
    """Train and judge every fold (in parallel over `jobs` processes); results in the order of `folds`.

    With `groups`, the sets are dealt into that many groups and each training leaves a whole group out: `groups`
    trainings instead of one per set, for a quick comparison of two versions (pessimistic: each trains on less).
    With `built`, nothing is trained: the built model judges every fold."""
    from joblib import Parallel, delayed
    from tqdm import tqdm

    if groups is not None and groups < 1:
        raise ValueError(f"groups must be at least 1, not {groups}")
    if built:
        groups = 1  # one model for all
    runs = [[fold] for fold in folds] if not groups else [folds[i::groups] for i in range(min(groups, len(folds)))]
    texts = {held: [r["text"] for r in test] for held, test in folds}
    work = Parallel(n_jobs=jobs, return_as="generator_unordered")(
        delayed(_fold)(files, held, baseline, built) for held in runs)
    done = {}
    for part in tqdm(work, total=len(runs), desc="trainings", unit="fold", disable=not progress):
        for held, gold, pred, base, scores in part:
            done[held] = Fold(held, texts[held], gold, pred, base, scores)
    return [done[held] for held, _ in folds]


def pooled(folds: list[Fold], baseline: bool = False) -> Report:
    gold = [g for f in folds for g in f.gold]
    return evaluate(gold, [x for f in folds for x in (f.base if baseline else f.pred)])


def per_set_table(folds: list[Fold]) -> str:
    """One line per held-out set, worst alert F1 first: which authors' styles the detector has not learnt."""
    rows = sorted(((evaluate(f.gold, f.pred), f) for f in folds), key=lambda rf: rf[0].alert_f1)
    w = max([16] + [len(f.name) + 2 for f in folds])
    lines = [f"{'held-out set':<{w}}{'n':>6}{'alert F1':>10}{'withdrawal R':>14}{'false alerts':>14}{'reason':>8}"]
    for rep, f in rows:
        lines.append(f"{f.name:<{w}}{rep.n:>6}{rep.alert_f1:>10.3f}{rep.withdrawal_recall:>14.3f}"
                     f"{rep.false_alert_rate:>14.1%}{rep.reason_accuracy:>8.3f}")
    return "\n".join(lines)


# Thresholds tried by operating_points: (WITHDRAWAL_AT, ALERT_AT) in nlp/hesitation/__init__.py.
OPERATING_POINTS = [(w, a) for a in (0.4, 0.5, 0.6) for w in (0.15, 0.2, 0.25, 0.3, 0.4, 0.5)]


def operating_points(folds: list[Fold]) -> str:
    """Every figure at other decision thresholds, from the same held-out probabilities: what a lower withdrawal
    threshold would buy in recall and cost in false alerts, macro F1 and reason accuracy."""
    gold = [g for f in folds for g in f.gold]
    scores = [s for f in folds for s in f.scores]
    lines = [f"{'withdrawal at':>14}{'alert at':>10}{'alert F1':>10}{'withdrawal R':>14}{'false alerts':>14}"
             f"{'macro F1':>10}{'reason':>8}"]
    for w, a in OPERATING_POINTS:
        decided = (decide(s.level, s.reason, [], w, a) for s in scores)
        rep = evaluate(gold, [(d.level.value, d.reason.value) for d in decided])
        mark = "  <- now" if (w, a) == (WITHDRAWAL_AT, ALERT_AT) else ""
        lines.append(f"{w:>14.2f}{a:>10.2f}{rep.alert_f1:>10.3f}{rep.withdrawal_recall:>14.3f}"
                     f"{rep.false_alert_rate:>14.1%}{rep.macro_f1:>10.3f}{rep.reason_accuracy:>8.3f}{mark}")
    return "\n".join(lines)


def write_misses(folds: list[Fold], path: Path) -> int:
    """Every message whose predicted level or reason differs from the gold one, as JSON lines. Returns the count."""
    n = 0
    with path.open("w", encoding="utf-8") as out:
        for f in folds:
            for text, (gl, gr), (pl, pr) in zip(f.texts, f.gold, f.pred):
                if (gl, gr) != (pl, pr):
                    out.write(json.dumps({"set": f.name, "text": text, "level": gl, "reason": gr,
                                          "predicted_level": pl, "predicted_reason": pr}, ensure_ascii=False) + "\n")
                    n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp.hesitation.crossval", description=__doc__.splitlines()[0])
    parser.add_argument("--against", action="append", default=[], metavar="FILE",
                        help="judge the built model on this labelled file instead (repeatable)")
    parser.add_argument("--baseline", action="store_true", help="also print the char n-gram LR baseline")
    parser.add_argument("--jobs", type=int, default=2, help="folds trained in parallel (default 2)")
    parser.add_argument("--groups", type=int, metavar="K",
                        help="leave K groups of authored sets out instead of one set at a time (K trainings)")
    parser.add_argument("--misses", type=Path, metavar="FILE", help="write the wrongly judged messages here (JSONL)")
    args = parser.parse_args(argv)
    if args.groups is not None and args.groups < 1:
        parser.error("--groups must be at least 1")

    files = training_sets()
    if args.against:
        folds = [(path, load_rows([Path(path)])) for path in args.against]
        how = "the built model, judged on " + ", ".join(args.against)
    else:
        folds = [(name, rows) for name, rows in files.items() if name.startswith(FRESH_PREFIX)]
        how = (f"{len(folds)} authored sets in {args.groups} groups, one group left out at a time" if args.groups
               else f"one of {len(folds)} authored sets left out at a time")
    print(f"{sum(len(t) for _, t in folds)} messages ({how})", flush=True)
    results = run(files, folds, args.baseline, jobs=args.jobs, progress=not args.against, groups=args.groups,
                  built=bool(args.against))
    print(format_report(pooled(results)))
    if len(results) > 1:
        print("\nper held-out set\n" + per_set_table(results))
    print("\nother decision thresholds, same probabilities\n" + operating_points(results))
    if args.baseline:
        print("\nbaseline (char 1-3-gram logistic regression, same training rows)")
        print(format_report(pooled(results, baseline=True)))
    if args.misses:
        print(f"\n{write_misses(results, args.misses)} misses written to {args.misses}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
