"""Cross-validated figures for the hesitation detector, and the plain baseline measured on the same folds.

`python -m nlp.hesitation.crossval` holds out one authored set at a time (`authored_*.jsonl`: one author, one
sitting, never used to write the rules), trains the whole detector (text models and combiner) on everything else,
judges it on the held-out set, and prints the metrics pooled over all folds. Leaving a whole author out is closer
to "messages written by other people" than a random split, which leaves near-twins on both sides.
`--against FILE` judges the built model on a labelled file instead (a set in nlp/data/hesitation_eval/, say).
`--baseline` also prints the issue's bar: a plain char 1-3-gram logistic regression trained on the same rows.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nlp.hesitation import Detector
from nlp.hesitation.metrics import Report, evaluate, format_report
from nlp.hesitation.model import FRESH_PREFIX, HesitationModel, get_model, load_rows, training_sets


def baseline_predict(train: list[dict], texts: list[str]) -> list[tuple[str, str]]:
    """The bar to beat: char 1-3-gram tf-idf + logistic regression for the level and, separately, the reason."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    x = vec.fit_transform([r["text"] for r in train])
    level = LogisticRegression(max_iter=2000, C=4.0).fit(x, [r["level"] for r in train])
    flagged = [i for i, r in enumerate(train) if r["level"] != "none"]  # a reason only where there is a signal
    reason = LogisticRegression(max_iter=2000, C=4.0).fit(x[flagged], [train[i]["reason"] for i in flagged])
    xt = vec.transform(texts)
    return [(lv, "none" if lv == "none" else rs) for lv, rs in zip(level.predict(xt), reason.predict(xt))]


def _fold(files: dict[str, list[dict]], held: str | None, test: list[dict], baseline: bool):
    train_files = {k: v for k, v in files.items() if k != held}
    detector = Detector(get_model() if held is None else HesitationModel.fit(train_files))
    pred = [(d.level.value, d.reason.value) for d in detector.detect_many([r["text"] for r in test])]
    base = baseline_predict([r for v in train_files.values() for r in v], [r["text"] for r in test]) if baseline else []
    return [(r["level"], r["reason"]) for r in test], pred, base


def run(files: dict[str, list[dict]], folds: list[tuple[str | None, list[dict]]], baseline: bool,
        jobs: int = 1) -> tuple[Report, Report | None]:
    from joblib import Parallel, delayed

    parts = Parallel(n_jobs=jobs)(delayed(_fold)(files, held, test, baseline) for held, test in folds)
    gold = [g for p in parts for g in p[0]]
    pred = [x for p in parts for x in p[1]]
    base = [x for p in parts for x in p[2]]
    return evaluate(gold, pred), (evaluate(gold, base) if baseline else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp.hesitation.crossval", description=__doc__.splitlines()[0])
    parser.add_argument("--against", action="append", default=[], metavar="FILE",
                        help="judge the built model on this labelled file instead (repeatable)")
    parser.add_argument("--baseline", action="store_true", help="also print the char n-gram LR baseline")
    parser.add_argument("--jobs", type=int, default=2, help="folds trained in parallel (default 2)")
    args = parser.parse_args(argv)

    files = training_sets()
    if args.against:
        folds = [(None, load_rows([Path(p) for p in args.against]))]
        how = "the built model, judged on " + ", ".join(args.against)
    else:
        folds = [(name, rows) for name, rows in files.items() if name.startswith(FRESH_PREFIX)]
        how = f"one of {len(folds)} authored sets left out at a time"
    print(f"{sum(len(t) for _, t in folds)} messages ({how})", flush=True)
    report, base = run(files, folds, args.baseline, jobs=args.jobs)
    print(format_report(report))
    if base is not None:
        print("\nbaseline (char 1-3-gram logistic regression, same training rows)")
        print(format_report(base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
