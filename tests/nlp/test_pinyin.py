"""Pinyin typed with the input method off, read back as characters; English and names left as typed."""

import pytest

from nlp.hesitation import Level, detect
from nlp.pinyin import hanzi
from nlp.tokenize import normalize

READ = [
    ("bu qu le", "不去了"),
    ("wo bu lai le，抱歉", "我不来了，抱歉"),
    ("zai kaolv yixia", "再考虑一下"),
    ("kaolv", "考虑"),
    ("jiujie", "纠结"),
    ("fangqi ruzhi", "放弃入职"),
    ("buxiangqule", "不想去了"),
    ("xiexie！", "谢谢！"),
    ("xi'an的宿舍", "西安的宿舍"),
    ("这两天一直在you yu", "这两天一直在犹豫"),
    ("offer hai neng tui ma", "offer 还能退吗"),  # the English word kept, the pinyin beside it read
]

KEPT = [
    "base能谈吗",  # ba se
    "remote可以吗",
    "notice period多久",
    "see you again",  # se e / yo u / a gai n: a vowel inside a typed word needs an apostrophe
    "what can you do",
    "give me a few days",
    "he is a man",
    "我有点emo",
    "hr说ok",
    "date定了吗",
    "delete",  # de le te: three single characters, too rare together
    "mentor是谁",
    "hhh yyds",
    "wifi密码多少",
]


@pytest.mark.parametrize("typed, read", READ)
def test_pinyin_is_read_as_characters(typed, read):
    assert hanzi(normalize(typed)) == normalize(read)


@pytest.mark.parametrize("typed", KEPT)
def test_english_and_chat_words_stay_as_typed(typed):
    assert hanzi(normalize(typed)) == normalize(typed)


def test_text_without_latin_letters_is_untouched():
    assert hanzi("我再考虑一下，谢谢") == "我再考虑一下，谢谢"


@pytest.mark.parametrize("text, level", [
    ("bu qu le，sorry", Level.WITHDRAWAL),
    ("wo hai zai kaolv", Level.HESITATION),
    ("zai ma，xiexie", Level.NONE),
])
def test_the_detector_reads_pinyin(text, level):
    assert detect(text).level == level
