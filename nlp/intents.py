"""Intent labels (the values are the labels of nlp/data/intents.jsonl) and the classifier that picks one.

Two layers: exact commands and unmistakable patterns first (high precision, no model needed), then a small linear
model over character n-grams and jieba tokens, trained at first use from the table in the repository. When the
model's two best guesses are close, the result is ambiguous and the caller asks which one was meant, rather than
answering the wrong question with confidence.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from nlp.tokenize import normalize, tokens

DATA = Path(__file__).parent / "data" / "intents.jsonl"


class Intent(StrEnum):
    HELP = "help"
    GREETING = "greeting"
    THANKS = "thanks"
    DAYS_UNTIL_TRAINING = "days_until_training"
    REPORT_INFO = "report_info"
    WHAT_TO_BRING = "what_to_bring"
    READINESS = "readiness"
    TRAINING_AGENDA = "training_agenda"
    COHORT = "cohort"
    MENTOR = "mentor"
    HR_CONTACT = "hr_contact"
    FAQ = "faq"
    ACCEPT_OFFER = "accept_offer"
    WEEKLY_TASK = "weekly_task"
    LESSON = "lesson"
    POINTS = "points"
    REDEEM = "redeem"
    QUIET_ON = "quiet_on"
    QUIET_OFF = "quiet_off"
    UNSUBSCRIBE = "unsubscribe"
    PREFERENCES = "preferences"
    MY_DATA = "my_data"
    DELETE_DATA = "delete_data"
    ASK_MENTOR = "ask_mentor"
    ASK_HR = "ask_hr"
    QUESTIONNAIRE = "questionnaire"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class IntentResult:
    intent: Intent
    confidence: float
    alternatives: tuple[Intent, ...] = field(default=())  # set when ambiguous: the two most likely intents

    @property
    def ambiguous(self) -> bool:
        return len(self.alternatives) >= 2


# Exact commands: what the help text and buttons tell people to type. Matched on the whole normalised message
# (trailing punctuation and emoji stripped), so they never fire inside a longer sentence by accident.
COMMANDS: dict[str, Intent] = {
    **dict.fromkeys(["帮助", "help", "菜单", "?", "？"], Intent.HELP),
    **dict.fromkeys(["积分", "我的积分", "积分明细", "查积分"], Intent.POINTS),
    **dict.fromkeys(["兑换", "积分兑换", "礼品", "兑换礼品"], Intent.REDEEM),
    **dict.fromkeys(["安静模式", "开启安静模式"], Intent.QUIET_ON),
    **dict.fromkeys(["恢复提醒", "关闭安静模式", "恢复"], Intent.QUIET_OFF),
    **dict.fromkeys(["退订", "td", "取消订阅"], Intent.UNSUBSCRIBE),
    **dict.fromkeys(["我的数据", "查看我的数据"], Intent.MY_DATA),
    **dict.fromkeys(["删除我的数据", "删除数据"], Intent.DELETE_DATA),
    **dict.fromkeys(["本周任务", "任务", "这周任务"], Intent.WEEKLY_TASK),
    **dict.fromkeys(["课程", "微课", "学习"], Intent.LESSON),
    **dict.fromkeys(["问卷", "继续问卷", "填问卷"], Intent.QUESTIONNAIRE),
    **dict.fromkeys(["找hr", "人工", "转人工"], Intent.ASK_HR),
    **dict.fromkeys(["导师", "我的导师"], Intent.MENTOR),
    **dict.fromkeys(["同期", "同批"], Intent.COHORT),
    **dict.fromkeys(["培训安排", "课程表"], Intent.TRAINING_AGENDA),
    **dict.fromkeys(["材料", "入职材料", "进度", "入职进度"], Intent.READINESS),
    **dict.fromkeys(["你好", "您好", "hi", "hello", "在吗", "在么", "哈喽"], Intent.GREETING),
    **dict.fromkeys(["谢谢", "好的", "收到", "ok", "好", "嗯", "嗯嗯", "谢谢你", "明白了", "知道了"], Intent.THANKS),
}

# Unmistakable patterns that may sit inside a sentence.
PATTERNS: list[tuple[Intent, re.Pattern[str]]] = [
    (Intent.ASK_MENTOR, re.compile(r"^(我想|我要|想|帮我|麻烦)?(问问?|请教|咨询)(一下|下)?(我的)?导师")),
    (Intent.DELETE_DATA, re.compile(r"(删除|删掉|清除|注销).{0,4}(我的)?(个人)?(数据|信息|资料)|(我的|个人)(数据|信息|资料).{0,3}(删除|删掉|删了|清除|注销)")),
]

_STRIP = re.compile(r"[\s。.!！~～、,，…😀-🙏🌀-🗿🚀-🛿☀-➿]+$")

# Decision thresholds, chosen by 5-fold cross-validation over the table (see the closing note of the intents work):
# a clear winner is answered, two close guesses are asked about, a weak guess is "unknown".
CONFIDENT = 0.30
MARGIN = 0.20
FLOOR = 0.12
UNKNOWN_SURE = 0.40


def _command_key(text: str) -> str:
    return _STRIP.sub("", normalize(text))


def rule(text: str) -> Intent | None:
    key = _command_key(text)
    if key in COMMANDS:
        return COMMANDS[key]
    clean = normalize(text)
    for intent, pattern in PATTERNS:
        if pattern.search(clean):
            return intent
    return None


def load_examples(path: Path = DATA) -> list[tuple[str, str]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                rows.append((row["text"], Intent(row["intent"]).value))
            except (ValueError, KeyError) as exc:
                raise ValueError(f"{path}:{n}: {exc}") from exc
    return rows


def _analyzer(text: str) -> list[str]:
    """Features: jieba tokens plus character 1-3 grams of the normalised text (typos keep most n-grams)."""
    clean = normalize(text)
    feats = ["w:" + t for t in tokens(clean)]
    chars = clean.replace(" ", "")
    for n in (1, 2, 3):
        feats += ["c:" + chars[i : i + n] for i in range(len(chars) - n + 1)]
    return feats


class Model:
    """TF-IDF over _analyzer features + multinomial logistic regression (scikit-learn)."""

    def __init__(self, examples: list[tuple[str, str]]):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        texts, labels = zip(*examples)
        self.vectorizer = TfidfVectorizer(analyzer=_analyzer, sublinear_tf=True, min_df=1)
        x = self.vectorizer.fit_transform(texts)
        self.clf = LogisticRegression(C=20.0, max_iter=2000)
        self.clf.fit(x, labels)
        self.labels = [Intent(c) for c in self.clf.classes_]

    def ranked(self, text: str) -> list[tuple[Intent, float]]:
        probs = self.clf.predict_proba(self.vectorizer.transform([text]))[0]
        return sorted(zip(self.labels, probs), key=lambda p: -p[1])


_model: Model | None = None
_lock = threading.Lock()


def model() -> Model:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = Model(load_examples())
    return _model


def decide(ranked: list[tuple[Intent, float]]) -> IntentResult:
    (top, p1), (_, p2) = ranked[0], ranked[1]
    if top == Intent.UNKNOWN and p1 >= UNKNOWN_SURE:
        return IntentResult(Intent.UNKNOWN, p1)
    if top != Intent.UNKNOWN and p1 >= CONFIDENT and p1 - p2 >= MARGIN:
        return IntentResult(top, p1)
    options = [i for i, _ in ranked[:3] if i != Intent.UNKNOWN]
    if p1 >= FLOOR and len(options) >= 2:
        return IntentResult(options[0], p1, (options[0], options[1]))
    return IntentResult(Intent.UNKNOWN, p1)


def classify(text: str, m: Model | None = None) -> IntentResult:
    if not normalize(text):
        return IntentResult(Intent.UNKNOWN, 0.0)
    hit = rule(text)
    if hit is not None:
        return IntentResult(hit, 0.99)
    return decide((m or model()).ranked(text))
