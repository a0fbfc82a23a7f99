"""Benchmark of nlp.hesitation: load time, per-message p50/p99 after load, and ratios against baselines measured in
the same run (jieba.lcut alone, and a plain char n-gram logistic regression's predict on one message).

Run from the repo root: `.venv/bin/python bench/bench_hesitation.py [N_MESSAGES]`. Prints only; no asserts.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO / "nlp" / "data" / "hesitation"


def _messages() -> list[str]:
    texts = []
    for path in sorted(DATA.glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            texts.extend(json.loads(line)["text"] for line in fh if line.strip())
    return texts


def _clear_caches() -> None:
    from nlp.hesitation.rules import analyze, said
    from nlp.tokenize import _cut

    analyze.cache_clear()
    said.cache_clear()
    _cut.cache_clear()


REPEAT = 3


def _percentiles(fn, texts: list[str], repeat: int = REPEAT) -> tuple[float, float, float]:
    """p50 and p99 over messages of each message's best of `repeat` runs, and p99 over every run, in µs.

    Caches are cleared before each run, so every run does the whole work. The best of a few runs is the message's
    cost with the machine's interruptions (other tenants, the scheduler) taken out, as timeit does; the p99 over
    every run keeps them in and is printed beside it.
    """
    best, every = [], []
    for text in texts:
        runs = []
        for _ in range(repeat):
            _clear_caches()
            t0 = time.perf_counter()
            fn(text)
            runs.append(time.perf_counter() - t0)
        best.append(min(runs))
        every.extend(runs)
    best.sort()
    every.sort()
    return best[len(best) // 2] * 1e6, best[int(len(best) * 0.99)] * 1e6, every[int(len(every) * 0.99)] * 1e6


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    texts = _messages()[:n]

    t0 = time.perf_counter()
    import nlp.hesitation as hesitation

    detector = hesitation.get_detector()
    detector.detect("你好")
    load_s = time.perf_counter() - t0
    print(f"load (import + jieba + the built model from build/nlp/): {load_s:.2f} s")

    from nlp.tokenize import tokenizer

    tk = tokenizer()
    base_jieba = _percentiles(tk.lcut, texts)

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    rows = [json.loads(x) for x in open(DATA / "dev.jsonl", encoding="utf-8")]
    baseline = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3)), LogisticRegression(max_iter=2000))
    baseline.fit([r["text"] for r in rows], [r["level"] for r in rows])
    base_lr = _percentiles(lambda t: baseline.predict([t]), texts)

    ours = _percentiles(detector.detect, texts)
    from nlp.hesitation.rules import analyze

    rules_only = _percentiles(analyze, texts)  # its cache is cleared before each run

    print(f"messages: {len(texts)}, each run {REPEAT} times with caches cleared\n")
    print(f"{'':34}{'p50 µs':>9}{'p99 µs':>9}{'p99 all':>9}{'p50 ratio':>11}{'p99 ratio':>11}")
    for name, (p50, p99, p99_all) in [("detect (rules + model)", ours), ("  rules alone", rules_only),
                                      ("baseline: jieba lcut", base_jieba),
                                      ("baseline: char n-gram LR predict", base_lr)]:
        print(f"{name:34}{p50:>9.0f}{p99:>9.0f}{p99_all:>9.0f}{p50 / ours[0]:>11.2f}{p99 / ours[1]:>11.2f}")
    print("(p50, p99: over messages, each message's best run; p99 all: over every run)")
    print(f"\ndetect vs jieba lcut: p50 x{ours[0] / base_jieba[0]:.1f}, p99 x{ours[1] / base_jieba[1]:.1f}")
    print(f"detect vs char n-gram LR predict: p50 x{ours[0] / base_lr[0]:.2f}, p99 x{ours[1] / base_lr[1]:.2f}")
    print(f"p99 target < 2000 µs: {'met' if ours[1] < 2000 else 'MISSED'} ({ours[1]:.0f} µs; every run: "
          f"{ours[2]:.0f} µs)")


if __name__ == "__main__":
    main()
