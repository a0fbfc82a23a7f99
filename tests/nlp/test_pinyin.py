"""Pinyin typed with the input method off, read back as characters; English, links and addresses left as typed."""

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
    ("bu’qu’le", "不去了"),
    ("hen hao", "很好"),
    ("wo men", "我们"),
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
    "wifi密码多少",
    "my name is",  # "name" splits as na me, but a lone word beside English stays English
    "https://www.baidu.com",
    "发到zhangwei@example.com",
    "",
]


@pytest.mark.parametrize("typed, read", READ)
def test_pinyin_is_read_as_characters(typed, read):
    assert hanzi(normalize(typed)) == normalize(read)


@pytest.mark.parametrize("typed", KEPT)
def test_english_and_chat_words_stay_as_typed(typed):
    assert hanzi(normalize(typed)) == normalize(typed)


def test_text_without_latin_letters_is_untouched():
    assert hanzi("我再考虑一下，谢谢") == "我再考虑一下，谢谢"


def test_a_very_long_run_is_left_as_typed():
    long_run = "bu qu le " * 200  # a paste, not a chat line: not worth a search over every split
    assert hanzi(long_run) == long_run


@pytest.mark.parametrize("text, level", [
    ("bu qu le，sorry", Level.WITHDRAWAL),
    ("wo hai zai kaolv", Level.HESITATION),
])
def test_the_detector_reads_pinyin(text, level):
    assert detect(text).level == level
