"""Model layer of the hesitation detector: three text models and a combiner that weighs them against the rules.

- Three text models, all seeing phrasings no lexicon lists: `words`, a tf-idf logistic regression with balanced
  classes over char 1-4-grams of the cleaned text, its jieba tokens and the tokens tagged with the context of their
  clause; `chars`, one over char 1-4-grams alone with natural class frequencies; `bayes`, a multinomial naive Bayes
  over which of the `words` terms occur. They make different mistakes: the regressions spread weight over many
  terms and learn the very lines they were trained on ("我接受这个offer"), naive Bayes trusts each rare telling term
  on its own and counts overlapping n-grams as separate evidence.
- A combiner: a small logistic regression over the regressions' log-probabilities, naive Bayes's log-odds and the
  rule verdict (level, strength, negated / someone else's / reassured / question counts, reason scores). It learns
  how far each opinion can be trusted on messages by other people.

Why the combiner learns only from `authored_*.jsonl`: the rules were written from dev.jsonl, own_*.jsonl and
heldout_b.jsonl, so on those lines they are right far more often than on anybody's new message; a combiner trained
there learns to copy the rules. The authored sets come from independent authors the rules never saw, so the
rules are as fallible there as on live chat. The combiner is fitted on out-of-fold predictions: the text models
for each fold are trained without that fold's authored files (nlp/data/hesitation/README.md lists the sources).

Leave-one-author-out over the 15 authored sets (7,100 messages) showed why the design changed from "rules decide,
the model may add": rules first 0.895 alert F1 / 0.82 withdrawal recall; text model alone 0.952 / 0.980; this
combiner 0.966 / 0.974 with false alerts 3.4% -> 1.9%. Naive Bayes joined in December 2026; see TEXT_MODELS.

Training takes ~1 minute (`python -m nlp.hesitation.build`); the result is cached as plain arrays (no pickle) under
build/nlp/, keyed by a hash of the data, the dictionaries, this package's code and the jieba, pypinyin, scikit-learn
and numpy versions, so a change to any of them retrains. Inference needs neither sklearn nor scipy: a message is a
few dict lookups and small dot products.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import threading
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from itertools import repeat
from pathlib import Path

import numpy as np

from nlp import pinyin
from nlp.hesitation.rules import REASON_PRIORITY, RuleResult, analyze, clause_contexts, said
from nlp.tokenize import normalize, token_spans, tokens

PACKAGE_DIR = Path(__file__).resolve().parent
NLP_DIR = PACKAGE_DIR.parent
DATA_DIR = NLP_DIR / "data" / "hesitation"
# Sets written to judge the detector (nlp/data/hesitation_eval/): never read for training.
EVAL_DIR = NLP_DIR / "data" / "hesitation_eval"
CACHE_DIR = Path(os.environ.get("NLP_MODEL_DIR") or NLP_DIR.parent / "build" / "nlp")
FRESH_PREFIX = "authored_"  # sets by authors the rules were never written from
FOLDS = 3  # out-of-fold rounds for the combiner's training data

LEVELS = ["none", "concern", "hesitation", "withdrawal"]
REASONS = REASON_PRIORITY + ["undecided"]
_EPS = 1e-4


# Ordinary messages to the bot, written for the intent classifier: commands, thanks, "我接受offer", "退订". Without
# them the text models, trained mostly on worries, took "我决定来了" and "取消订阅" for withdrawals. FAQ questions and
# the unknown intent are left out: some of them are worries.
INTENTS_FILE = NLP_DIR / "data" / "intents.jsonl"
NOT_ORDINARY = {"faq", "unknown"}
# Other sources the rules were never written from, so the combiner may learn from them too: on the ordinary bot
# messages it learns that "我接受这个offer" is not the "接受了别家的offer" of the authored withdrawals.
ALSO_FRESH = {"intents"}


def training_files() -> list[Path]:
    return sorted(DATA_DIR.glob("*.jsonl"))


def ordinary_messages() -> list[dict]:
    """The intent sentences as level none (text models only: they are not an authored set)."""
    rows = load_rows([INTENTS_FILE]) if INTENTS_FILE.exists() else []
    return [{"text": r["text"], "level": "none", "reason": "none"} for r in rows if r["intent"] not in NOT_ORDINARY]


def load_rows(paths: Iterable[Path]) -> list[dict]:
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    return rows


# --- text models ---------------------------------------------------------------------------------------------------

def char_ngrams(text: str) -> list[str]:
    """Character 1-4-grams of the cleaned text, quotes blanked (sklearn's char analyzer, written out so inference
    needs no sklearn)."""
    t = said(text)
    return [t[i:i + n] for n in (1, 2, 3, 4) for i in range(len(t) - n + 1)]


def word_grams(text: str) -> list[str]:
    """jieba tokens (domain dictionary) of the same text."""
    return tokens(said(text))


def scope_grams(text: str) -> list[str]:
    """jieba tokens tagged with the context of their clause: a question (Q), someone else as subject (T), the past
    (P), a condition (C), the last clause of several (L). "纠结" said of a roommate, of last week or in a question
    weighs differently from "纠结" said now; the lexicon knows this for its cues, the tags let the text model learn
    it for every word (grouped 4-fold over the authored sets: false alerts 2.1% -> 1.8%, withdrawal recall 0.974
    -> 0.976)."""
    t = said(text)
    contexts = [(start, body, tags) for start, body, tags in clause_contexts(t) if tags]
    if not contexts:
        return []
    if normalize(t) != t:  # not met by any of 32,203 training, judge and dev messages, but positions need it
        return [f"{tag}:{word}" for _, body, tags in contexts for word in tokens(body) for tag in tags]
    # A clause's tokens are those of the whole text inside it: jieba cuts at punctuation and spaces anyway, but not
    # at "." (NFKC makes "……" "......", which jieba keeps in a run with the words around it), so cutting each clause
    # apart gave other tokens in one clause of those 32,203 messages. The words analyzer's cut of the text serves here
    # too: one jieba pass a message at inference, not two (in training each cache sees every row once, so no gain).
    spans = token_spans(t)
    return [f"{tag}:{word}" for start, body, tags in contexts for pos, word in spans
            if start <= pos and pos + len(word) <= start + len(body) for tag in tags]


ANALYZERS = {"chars": char_ngrams, "words": word_grams, "scope": scope_grams}


@dataclass
class Linear:
    """Linear scores over `classes`: x @ coef + intercept. For a logistic regression their softmax is its
    probabilities; for naive Bayes (coef the log-probability of each term per class, intercept the log prior) they
    are its joint log-likelihoods."""

    coef: np.ndarray  # (n_features, n_classes)
    intercept: np.ndarray
    classes: list[str]

    def scores(self, x: np.ndarray) -> np.ndarray:
        return x @ self.coef + self.intercept

    def proba_dense(self, x: np.ndarray) -> np.ndarray:
        return _softmax(self.scores(x))

    @classmethod
    def from_sklearn(cls, clf) -> Linear:
        return cls(np.ascontiguousarray(clf.coef_.T), clf.intercept_.copy(), [str(c) for c in clf.classes_])

    @classmethod
    def from_naive_bayes(cls, nb) -> Linear:
        return cls(np.ascontiguousarray(nb.feature_log_prob_.T), nb.class_log_prior_.copy(),
                   [str(c) for c in nb.classes_])


# Naive Bayes log-odds come in nats summed over every term of a message (tens for a long one); the combiner sees them
# divided by this, near the range of the regression's log-probabilities (its C=1 penalty then treats both alike).
BAYES_SCALE = 10.0


class TextModel:
    """One Linear for the level and one for the reason (trained on messages whose level is not none) over the terms of
    some analyzers, in one of two kinds:

    - `logistic`: tf-idf (sublinear tf, smooth idf, l2 per analyzer), logistic regressions;
    - `bayes`: whether each term occurs (0/1, no norm), multinomial naive Bayes; `idf` is 1 for every term.

    Scored by `_JointScorer`, with the other text models."""

    KINDS = ("logistic", "bayes")

    def __init__(self, kind: str, analyzers: Sequence[str], vocab: list[dict[str, int]], idf: list[np.ndarray],
                 level: Linear, reason: Linear):
        self._check_kind(kind)
        self.kind, self.analyzers = kind, list(analyzers)
        self.vocab, self.idf, self.level, self.reason = vocab, idf, level, reason
        self._offsets = np.cumsum([0] + [len(v) for v in vocab])[:-1].tolist()

    @classmethod
    def _check_kind(cls, kind: str) -> None:
        if kind not in cls.KINDS:
            raise ValueError(f"unknown text model kind {kind!r}")

    @classmethod
    def fit(cls, rows: Sequence[dict], kind: str, analyzers: Sequence[str], *, min_df: int, **params) -> TextModel:
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

        cls._check_kind(kind)  # before minutes of fitting, not after
        texts = [r["text"] for r in rows]
        if kind == "logistic":
            vecs = [TfidfVectorizer(analyzer=ANALYZERS[a], sublinear_tf=True, min_df=min_df) for a in analyzers]
        else:
            vecs = [CountVectorizer(analyzer=ANALYZERS[a], binary=True, min_df=min_df) for a in analyzers]
        x = hstack([v.fit_transform(texts) for v in vecs]).tocsr()
        y_level = [r["level"] for r in rows]
        flagged = [i for i, r in enumerate(rows) if r["level"] != "none"]
        y_reason = [rows[i]["reason"] for i in flagged]
        if kind == "logistic":
            balanced = params["balanced"]
            level = _logistic(x, y_level, params["c_level"], balanced)
            reason = _logistic(x[flagged], y_reason, params["c_reason"], balanced)
        else:
            level, reason = _bayes(x, y_level, params["alpha"]), _bayes(x[flagged], y_reason, params["alpha"])
        vocab = [{t: int(c) for t, c in v.vocabulary_.items()} for v in vecs]
        idf = [v.idf_.copy() if kind == "logistic" else np.ones(len(v.vocabulary_)) for v in vecs]
        return cls(kind, analyzers, vocab, idf, level, reason)

    def inputs(self, scores: np.ndarray, linear: Linear, names: list[str]) -> list[float]:
        """What the combiner sees of this model's scores for `names` (absent classes as no evidence either way): a
        regression's log-probabilities, floored; naive Bayes's log-likelihoods against their mean, scaled."""
        if self.kind == "logistic":
            return _log(_ordered(_softmax(scores), linear.classes, names))
        return _ordered((scores - scores.mean()) / BAYES_SCALE, linear.classes, names)


def _logistic(x, y, c: float, balanced: bool) -> Linear:
    from sklearn.linear_model import LogisticRegression

    # saga reaches the lbfgs optimum here (probabilities within 0.01) in a fraction of the time. tol 1e-3 (not the
    # default 1e-4) cut the build from 154 s to 98 s at 35,347 messages; the detector's level probabilities on the 9,374
    # judge messages moved by 0.0004 on average, 0.034 at most, and one verdict of them changed.
    clf = LogisticRegression(C=c, solver="saga", max_iter=5000, tol=1e-3,
                             class_weight="balanced" if balanced else None, random_state=0)
    return Linear.from_sklearn(clf.fit(x, y))


def _bayes(x, y, alpha: float) -> Linear:
    from sklearn.naive_bayes import MultinomialNB

    return Linear.from_naive_bayes(MultinomialNB(alpha=alpha).fit(x, y))


class _JointScorer:
    """Every text model's level and reason scores (`Linear.scores`) for one message, from one pass over its terms.

    The models share analyzers, each with its own vocabulary (all keep the terms seen in two messages or more, so
    today they coincide; nothing here relies on it). Here every analyzer has one vocabulary, the union of the
    models', and one row per term holding every model's idf and its level and reason coefficients, 0 where a term is
    not in that model's own vocabulary: a zero value changes neither the l2 norm nor the dot product, so each model's
    scores are those of its own features and Linears, for one dictionary lookup per term however many models use it
    and one gather of contiguous rows per analyzer (most of the cost is memory traffic: 131k char n-grams). A `bayes`
    model's value of a term is its idf (1 in its vocabulary, 0 outside), with no norm. Rows are float32 (half the
    memory to read); the sums are float64 and the scores agree with float64 weights to about 1e-5.
    """

    def __init__(self, text_models: dict[str, TextModel]):
        self.models = list(text_models.values())
        self.analyzers = list(dict.fromkeys(a for tm in self.models for a in tm.analyzers))
        self.split = [len(tm.level.classes) for tm in self.models]
        widths = [len(tm.level.classes) + len(tm.reason.classes) for tm in self.models]
        self.intercepts = [np.concatenate([tm.level.intercept, tm.reason.intercept]) for tm in self.models]
        # per analyzer: vocabulary over the union, idf (terms x users), coef (terms x users' widths), for each user
        # its model index and its columns in coef, and which users count terms by tf-idf (the others: 0/1)
        self.tables: dict[str, tuple[dict[str, int], np.ndarray, np.ndarray, list[tuple[int, slice]], np.ndarray]] = {}
        for name in self.analyzers:
            users = [(m, tm, tm.analyzers.index(name)) for m, tm in enumerate(self.models) if name in tm.analyzers]
            union: dict[str, int] = {}
            for _, tm, k in users:
                for term in tm.vocab[k]:
                    union.setdefault(term, len(union))
            idf = np.zeros((len(union), len(users)), dtype=np.float32)
            coef = np.zeros((len(union), sum(widths[m] for m, _, _ in users)), dtype=np.float32)
            spans, start = [], 0
            for j, (m, tm, k) in enumerate(users):
                rows = np.fromiter((union[t] for t in tm.vocab[k]), dtype=np.intp, count=len(tm.vocab[k]))
                cols = np.fromiter(tm.vocab[k].values(), dtype=np.intp, count=len(tm.vocab[k]))
                idf[rows, j] = tm.idf[k][cols]
                span = slice(start, start + widths[m])
                coef[rows, span] = np.hstack([tm.level.coef, tm.reason.coef])[cols + tm._offsets[k]]
                spans.append((m, span))
                start = span.stop
            tfidf = np.array([tm.kind == "logistic" for _, tm, _ in users])
            self.tables[name] = (union, idf, coef, spans, tfidf)

    def scores(self, text: str) -> list[tuple[np.ndarray, np.ndarray]]:
        z = [b.copy() for b in self.intercepts]
        for name in self.analyzers:
            vocab, idf, coef, spans, tfidf = self.tables[name]
            grams = ANALYZERS[name](text)
            # Row of every term (-1 when unknown) in C loops: map over dict.get, then numpy counts the rows.
            rows = np.fromiter(map(vocab.get, grams, repeat(-1)), dtype=np.intp, count=len(grams))
            idx, counts = np.unique(rows[rows >= 0], return_counts=True)
            if not len(idx):
                continue
            tf = np.where(tfidf, (1.0 + np.log(counts))[:, None], 1.0)
            v = tf * idf[idx]  # one column per model: tf-idf, or 1 for a bayes model's terms
            norms = np.where(tfidf, np.sqrt((v * v).sum(axis=0)), 1.0)
            g = coef[idx]
            for j, (m, span) in enumerate(spans):
                if norms[j]:
                    z[m] += (v[:, j] / norms[j]) @ g[:, span]
        return [(zm[:k], zm[k:]) for zm, k in zip(z, self.split)]


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


# Grouped 6-fold over the 46 authored sets (combiner inputs out of fold, 23,852 messages), adding naive Bayes took
# alert F1 0.971 -> 0.976, withdrawal recall 0.978 -> 0.982, false alerts 1.63% -> 1.21%, macro F1 0.949 -> 0.957
# and the reason combiner's accuracy 0.955 -> 0.959. Naive Bayes in place of `chars` scored the same on those
# folds, but then "我接受这个offer", one of the ordinary bot messages trained on, read as a withdrawal (p 0.34):
# naive Bayes cannot learn a line against its n-grams ("这个o", "接受这" and the nine n-grams of "offer" each lean
# to withdrawal, 54 nats in all), a regression can. alpha 0.003-0.03 scored alike, 0.3 and up worse; naive Bayes's
# log-odds beat its floored log-probabilities as inputs (false alerts 1.24% against 1.37%).
TEXT_MODELS = {
    "words": dict(kind="logistic", analyzers=("chars", "words", "scope"), min_df=2, balanced=True, c_level=2.0,
                  c_reason=4.0),
    "chars": dict(kind="logistic", analyzers=("chars",), min_df=2, balanced=False, c_level=4.0, c_reason=4.0),
    "bayes": dict(kind="bayes", analyzers=("chars", "words", "scope"), min_df=2, alpha=0.01),
}


def _ordered(p: np.ndarray, classes: list[str], names: list[str]) -> list[float]:
    d = dict(zip(classes, p.tolist()))
    return [d.get(n, 0.0) for n in names]


def _log(ps: Iterable[float]) -> list[float]:
    return [math.log(max(p, _EPS)) for p in ps]


# --- combiner ------------------------------------------------------------------------------------------------------

def level_features(levels: list[list[float]], rule: RuleResult) -> list[float]:
    """What the combiner sees for the level: each text model's inputs (`TextModel.inputs`) and the rule verdict."""
    f = [x for lp in levels for x in lp]
    ft = rule.features
    f += [float(rule.level == lv) for lv in LEVELS] + [rule.strength]
    f += [min(ft["n_withdraw"], 2), min(ft["n_hesitate"], 2), min(ft["n_reassure"], 2), min(ft["n_neg"], 2),
          min(ft["n_third"], 2), ft["question"], ft["worry"], ft["about"], ft["cancelled"], math.log1p(ft["cjk"]),
          ft["courtesy"], ft["others"]]
    return f


def reason_features(reasons: list[list[float]], rule: RuleResult) -> list[float]:
    f = [x for rp in reasons for x in rp]
    f += [min(rule.reason_scores.get(r, 0.0), 4.0) for r in REASON_PRIORITY]
    f += [float(rule.reason == r) for r in REASONS]
    return f


@dataclass
class Prediction:
    level: dict[str, float]
    reason: dict[str, float]
    rule: RuleResult


class HesitationModel:
    """Both text models and the combiner; `predict(text)` gives level and reason probabilities and the rule verdict."""

    def __init__(self, text_models: dict[str, TextModel], level: Linear, reason: Linear):
        self.text_models, self.level, self.reason = text_models, level, reason
        self._scorer = _JointScorer(text_models)

    def _inputs(self, text: str, rule: RuleResult) -> tuple[list[float], list[float]]:
        levels, reasons = [], []
        for tm, (lz, rz) in zip(self.text_models.values(), self._scorer.scores(text)):
            levels.append(tm.inputs(lz, tm.level, LEVELS))
            reasons.append(tm.inputs(rz, tm.reason, REASONS))
        return level_features(levels, rule), reason_features(reasons, rule)

    def predict(self, text: str) -> Prediction:
        rule = analyze(text or "")
        lf, rf = self._inputs(text or "", rule)
        lp = self.level.proba_dense(np.array(lf))
        rp = self.reason.proba_dense(np.array(rf))
        return Prediction(dict(zip(self.level.classes, lp.tolist())), dict(zip(self.reason.classes, rp.tolist())),
                          rule)

    # -- training --

    @staticmethod
    def fit_text_models(rows: Sequence[dict]) -> dict[str, TextModel]:
        return {name: TextModel.fit(rows, **params) for name, params in TEXT_MODELS.items()}

    @classmethod
    def fit(cls, files: dict[str, list[dict]], progress=None, jobs: int = 1) -> HesitationModel:
        """Train on labelled rows grouped by source file name; the combiner learns on the authored files only.

        The text models of the out-of-fold rounds and the final ones are independent fits, run `jobs` at a time."""
        from joblib import Parallel, delayed
        from sklearn.linear_model import LogisticRegression

        fresh = sorted(name for name in files if name.startswith(FRESH_PREFIX) or name in ALSO_FRESH)
        if len(fresh) < FOLDS:
            raise ValueError(f"the combiner needs at least {FOLDS} {FRESH_PREFIX}*.jsonl files, found {len(fresh)}")
        rounds = [delayed(cls._out_of_fold)(files, fresh[fold::FOLDS]) for fold in range(FOLDS)]
        rounds.append(delayed(cls.fit_text_models)([r for rows in files.values() for r in rows]))
        results = Parallel(n_jobs=jobs, return_as="generator")(rounds)  # in order, each as soon as it is done
        lx, ly, rx, ry = [], [], [], []
        for fold, part in zip(range(FOLDS), results):
            for acc, rows in zip((lx, ly, rx, ry), part):
                acc.extend(rows)
            if progress:
                progress(f"fold {fold + 1}/{FOLDS}")
        text_models = next(results)
        if progress:
            progress("final fit")
        level = LogisticRegression(C=1.0, max_iter=5000).fit(np.array(lx), ly)
        reason = LogisticRegression(C=0.1, max_iter=5000).fit(np.array(rx), ry)
        return cls(text_models, Linear.from_sklearn(level), Linear.from_sklearn(reason))

    @classmethod
    def _out_of_fold(cls, files: dict[str, list[dict]], held: list[str]) -> tuple[list, list, list, list]:
        """The combiner's training rows from the held files, scored by text models trained without them."""
        partial = cls(cls.fit_text_models([r for name, rows in files.items() if name not in held for r in rows]),
                      None, None)  # type: ignore[arg-type]
        lx, ly, rx, ry = [], [], [], []
        for name in sorted(held):
            for row in files[name]:
                lf, rf = partial._inputs(row["text"], analyze(row["text"]))
                lx.append(lf)
                ly.append(row["level"])
                if row["level"] != "none":
                    rx.append(rf)
                    ry.append(row["reason"])
        return lx, ly, rx, ry

    # -- storage: plain arrays and JSON, never pickle --

    def save(self, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {}
        meta: dict = {"text_models": {}, "combiner": {}}
        for name, tm in self.text_models.items():
            meta["text_models"][name] = {"kind": tm.kind, "analyzers": tm.analyzers, "vocab": tm.vocab,
                                         "level": tm.level.classes, "reason": tm.reason.classes}
            for i, idf in enumerate(tm.idf):
                arrays[f"{name}.idf{i}"] = idf
            for part in ("level", "reason"):
                lin = getattr(tm, part)
                arrays[f"{name}.{part}.coef"], arrays[f"{name}.{part}.intercept"] = lin.coef, lin.intercept
        for part in ("level", "reason"):
            lin = getattr(self, part)
            meta["combiner"][part] = lin.classes
            arrays[f"combiner.{part}.coef"], arrays[f"combiner.{part}.intercept"] = lin.coef, lin.intercept
        arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        os.replace(tmp, path)  # atomic: a second process training at the same time never reads half a file

    @classmethod
    def load(cls, path: Path) -> HesitationModel:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode("utf-8"))
            tms = {}
            for name, m in meta["text_models"].items():
                idf = [z[f"{name}.idf{i}"] for i in range(len(m["analyzers"]))]
                tms[name] = TextModel(m["kind"], m["analyzers"], m["vocab"], idf,
                                      Linear(z[f"{name}.level.coef"], z[f"{name}.level.intercept"], m["level"]),
                                      Linear(z[f"{name}.reason.coef"], z[f"{name}.reason.intercept"], m["reason"]))
            level = Linear(z["combiner.level.coef"], z["combiner.level.intercept"], meta["combiner"]["level"])
            reason = Linear(z["combiner.reason.coef"], z["combiner.reason.intercept"], meta["combiner"]["reason"])
        return cls(tms, level, reason)


# --- the cached process-wide model ---------------------------------------------------------------------------------

def files_by_name(paths: Iterable[Path]) -> dict[str, list[dict]]:
    return {p.stem: load_rows([p]) for p in paths}


def training_sets() -> dict[str, list[dict]]:
    """Everything the build trains on, by source: the labelled files and the ordinary bot messages."""
    return {**files_by_name(training_files()), "intents": ordinary_messages()}


# Libraries whose output the trained arrays depend on: jieba's dictionary cuts the tokens, pypinyin's readings
# rewrite pinyin, scikit-learn and numpy fit the weights.
_LIBRARIES = ("jieba", "pypinyin", "scikit-learn", "numpy")


def fingerprint() -> str:
    """Hash of everything the trained model depends on: training data, dictionaries, tokenizer, rules and model,
    and the versions of the libraries that tokenize and fit."""
    h = hashlib.sha256()
    for name in _LIBRARIES:
        h.update(f"{name}=={metadata.version(name)}".encode())
    parts = training_files() + [INTENTS_FILE] + sorted((NLP_DIR / "dict").glob("*.txt"))
    parts += [NLP_DIR / "tokenize.py", NLP_DIR / "pinyin.py"]
    parts += [PACKAGE_DIR / name for name in ("rules.py", "lexicon.py", "model.py")]
    for p in parts:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def cache_path() -> Path:
    return CACHE_DIR / f"hesitation-{fingerprint()}.npz"


def build(progress=None) -> tuple[HesitationModel, Path, bool]:
    """The cached model for the current data and code, trained and stored first if missing. (model, path, trained)"""
    path = cache_path()
    if path.exists():
        try:
            return HesitationModel.load(path), path, False
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            pass  # a truncated or foreign file: train again
    model = HesitationModel.fit(training_sets(), progress=progress, jobs=min(FOLDS + 1, os.cpu_count() or 1))
    model.save(path)
    for old in CACHE_DIR.glob("hesitation-*.npz"):
        if old != path:
            old.unlink(missing_ok=True)
    return model, path, True


_lock = threading.Lock()
_model: HesitationModel | None = None


def get_model() -> HesitationModel:
    """The process-wide model: loaded from the build cache, trained there first if the cache is stale."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                pinyin.index()  # built now rather than on the first message typed in pinyin
                _model = build()[0]
    return _model
