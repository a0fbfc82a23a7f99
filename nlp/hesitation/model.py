"""Model layer of the hesitation detector: two small logistic regressions trained at first use from the repo's files.

Why a model beside the rules: the rules are precise on alerts but the line between a pointed question about a term
("培训期间是拿全薪还是只有底薪") and plain logistics ("工资是按月发还是培训结束一起发") is fuzzy, and unseen phrasings
of hesitation slip past any lexicon. The model sees character n-grams and jieba tokens only, not the rule verdict:
the rules were written from these same sentences, so a model stacked on them learns to copy them and is no help
on unseen phrasing (5-fold CV could not show this; a late batch of own sentences did: alert F1 0.86 stacked vs
0.96+ with two independent opinions).

Nothing is pickled or downloaded: training reads nlp/data/hesitation/*.jsonl (never heldout_b.jsonl) and takes
well under a second on ~1,700 messages.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from nlp.hesitation.rules import REASON_PRIORITY, clean
from nlp.tokenize import tokens

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "hesitation"
# Written by someone else to measure us; training on it would make that measure worthless.
EXCLUDED = {"heldout_b.jsonl"}

LEVELS = ["none", "concern", "hesitation", "withdrawal"]
REASONS = REASON_PRIORITY + ["undecided"]


def training_files() -> list[Path]:
    return sorted(p for p in DATA_DIR.glob("*.jsonl") if p.name not in EXCLUDED)


def load_rows(paths: Iterable[Path]) -> list[dict]:
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    return rows


def _token_doc(text: str) -> str:
    return " ".join(tokens(text))


class HesitationModel:
    """Level and reason classifiers over char 1-3-grams of the normalised text and jieba tokens."""

    def __init__(self, c_level: float = 2.0, c_reason: float = 4.0):
        self.chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
        self.words = TfidfVectorizer(analyzer=str.split, sublinear_tf=True, min_df=2, token_pattern=None)
        # saga converges to the same weights as lbfgs here (probabilities within 0.01) in a fifth of the time,
        # which is most of the detector's first-use cost.
        self.level_clf = LogisticRegression(C=c_level, solver="saga", max_iter=3000, class_weight="balanced",
                                            random_state=0)
        self.reason_clf = LogisticRegression(C=c_reason, solver="saga", max_iter=3000, class_weight="balanced",
                                             random_state=0)

    def _features(self, texts: Sequence[str], fit: bool = False):
        cleaned = [clean(t) for t in texts]
        docs = [_token_doc(t) for t in texts]
        if fit:
            return hstack([self.chars.fit_transform(cleaned), self.words.fit_transform(docs)]).tocsr()
        return hstack([self.chars.transform(cleaned), self.words.transform(docs)]).tocsr()

    def fit(self, rows: Sequence[dict]) -> HesitationModel:
        x = self._features([r["text"] for r in rows], fit=True)
        self.level_clf.fit(x, [r["level"] for r in rows])
        alert_idx = [i for i, r in enumerate(rows) if r["level"] != "none"]
        self.reason_clf.fit(x[alert_idx], [rows[i]["reason"] for i in alert_idx])
        return self

    def predict_proba(self, texts: Sequence[str]) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
        """(level probabilities, reason probabilities), one dict per text."""
        if len(texts) < 8:
            # sklearn's validation costs ~1 ms per call; a chat message needs only a few dozen lookups.
            pairs = [self._fast_one(t) for t in texts]
            return [p[0] for p in pairs], [p[1] for p in pairs]
        x = self._features(texts)
        lp = self.level_clf.predict_proba(x)
        rp = self.reason_clf.predict_proba(x)
        return ([dict(zip(self.level_clf.classes_, map(float, row))) for row in lp],
                [dict(zip(self.reason_clf.classes_, map(float, row))) for row in rp])

    def _prepare_fast(self) -> None:
        """Flatten the fitted vectorisers and classifiers into dicts and arrays for _fast_one."""
        self._fast = []
        offset = 0
        for vec, analyzer in ((self.chars, self.chars.build_analyzer()), (self.words, str.split)):
            self._fast.append((analyzer, {term: offset + col for term, col in vec.vocabulary_.items()}))
            offset += len(vec.vocabulary_)
        self._idf = np.concatenate([self.chars.idf_, self.words.idf_])
        self._level_w = (self.level_clf.coef_.T.copy(), self.level_clf.intercept_, list(self.level_clf.classes_))
        self._reason_w = (self.reason_clf.coef_.T.copy(), self.reason_clf.intercept_, list(self.reason_clf.classes_))

    def _fast_one(self, text: str) -> tuple[dict[str, float], dict[str, float]]:
        """Same numbers as predict_proba (tf-idf, sublinear tf, l2 per vectoriser, multinomial softmax)."""
        if not hasattr(self, "_fast"):
            self._prepare_fast()
        docs = (clean(text), _token_doc(text))
        cols: list[int] = []
        vals: list[float] = []
        for (analyzer, vocab), doc in zip(self._fast, docs):
            counts: dict[int, int] = {}
            for term in analyzer(doc):
                col = vocab.get(term)
                if col is not None:
                    counts[col] = counts.get(col, 0) + 1
            if not counts:
                continue
            idx = np.fromiter(counts, dtype=np.intp, count=len(counts))
            v = (1.0 + np.log(np.fromiter(counts.values(), dtype=float, count=len(counts)))) * self._idf[idx]
            v /= np.sqrt(v @ v)
            cols.extend(idx.tolist())
            vals.extend(v.tolist())
        out = []
        idx = np.array(cols, dtype=np.intp)
        val = np.array(vals)
        for coef, intercept, classes in (self._level_w, self._reason_w):
            z = val @ coef[idx] + intercept if len(idx) else intercept.copy()
            z = np.exp(z - z.max())
            z /= z.sum()
            out.append(dict(zip(classes, z.tolist())))
        return out[0], out[1]


_lock = threading.Lock()
_model: HesitationModel | None = None


def get_model() -> HesitationModel:
    """The process-wide model, trained once on first use from the repo's data files."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = HesitationModel().fit(load_rows(training_files()))
    return _model
