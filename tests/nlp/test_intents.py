"""The intent classifier: every label covered, accuracy on a held-out part of the table, rules, ambiguity."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from nlp.intents import Intent, IntentResult, Model, classify, decide, load_examples, rule


def held_out(text: str) -> bool:
    """A stable 20% split by hash, so the figure does not move from run to run."""
    return int(hashlib.sha1(text.encode()).hexdigest(), 16) % 5 == 0


@pytest.fixture(scope="module")
def split():
    rows = load_examples()
    train = [r for r in rows if not held_out(r[0])]
    test = [r for r in rows if held_out(r[0])]
    return train, test, Model(train)


def test_the_table_covers_every_intent_with_at_least_ten_examples():
    counts = Counter(label for _, label in load_examples())
    assert set(counts) == {i.value for i in Intent}
    assert min(counts.values()) >= 10
    assert sum(counts.values()) >= 300


def test_held_out_accuracy(split):
    """Target 95% (figures in the closing note); the test fails below 90%. Ambiguous counts as right only when
    the true intent is one of the two options offered (the user is asked, never answered wrongly)."""
    _, test, model = split
    right = wrong_confident = 0
    for text, label in test:
        result = classify(text, model)
        if result.intent.value == label or label in result.alternatives:
            right += 1
        elif not result.ambiguous:
            wrong_confident += 1
    accuracy = right / len(test)
    print(f"\nintent held-out accuracy {accuracy:.3f} on {len(test)} sentences; confident mistakes {wrong_confident}")
    assert accuracy >= 0.90


@pytest.mark.parametrize(
    "text, intent",
    [
        ("帮助", Intent.HELP),
        ("积分！", Intent.POINTS),
        ("安静模式", Intent.QUIET_ON),
        ("恢复提醒", Intent.QUIET_OFF),
        ("TD", Intent.UNSUBSCRIBE),
        ("删除我的数据", Intent.DELETE_DATA),
        ("我想问问导师，第一天要不要带电脑", Intent.ASK_MENTOR),
        ("麻烦把我的个人信息删掉", Intent.DELETE_DATA),
    ],
)
def test_commands_and_patterns_need_no_model(text, intent):
    assert rule(text) == intent


@pytest.mark.parametrize(
    "text, intent",
    [  # our own phrasings, none of them in the table
        ("离培训开始还剩多少天呀", Intent.DAYS_UNTIL_TRAINING),
        ("报到那天早上几点到公司", Intent.REPORT_INFO),
        ("第一天需要带些啥东西", Intent.WHAT_TO_BRING),
        ("我的体检报告交上了吗", Intent.READINESS),
        ("这批一起进来的都有谁", Intent.COHORT),
        ("带我的导师是哪位", Intent.MENTOR),
        ("公司有员工宿舍么", Intent.FAQ),
        ("offer我接受了", Intent.ACCEPT_OFFER),
        ("这周的任务是什么", Intent.WEEKLY_TASK),
        ("积分可以换点什么东西", Intent.REDEEM),
        ("消息太多了，少发点吧", Intent.QUIET_ON),
        ("你们都存了我哪些个人信息", Intent.MY_DATA),
        ("讲个笑话听听", Intent.UNKNOWN),
    ],
)
def test_own_sentences(text, intent):
    result = classify(text)
    assert result.intent == intent or intent in result.alternatives, result


def test_close_scores_ask_instead_of_guessing():
    result = decide([(Intent.POINTS, 0.40), (Intent.REDEEM, 0.38), (Intent.HELP, 0.05)])
    assert result.ambiguous and result.alternatives == (Intent.POINTS, Intent.REDEEM)


def test_clear_winner_is_not_ambiguous():
    assert decide([(Intent.POINTS, 0.8), (Intent.REDEEM, 0.1)]) == IntentResult(Intent.POINTS, 0.8)


def test_confident_unknown_stays_unknown():
    assert decide([(Intent.UNKNOWN, 0.6), (Intent.GREETING, 0.2), (Intent.HELP, 0.1)]) == IntentResult(Intent.UNKNOWN, 0.6)


def test_low_confidence_is_unknown():
    assert decide([(Intent.POINTS, 0.10), (Intent.REDEEM, 0.09), (Intent.HELP, 0.08)]).intent == Intent.UNKNOWN


def test_empty_text_is_unknown():
    assert classify("   ").intent == Intent.UNKNOWN
