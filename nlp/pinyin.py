"""Toneless pinyin typed with the input method off ("bu qu le", "zai kaolv yixia"), read back as characters.

The detector reads characters, so `hanzi(text)` replaces each stretch of pinyin words with the characters most
likely meant: the words of jieba's dictionary and ours (nlp/dict/*.txt), keyed by their pinyin (pypinyin's
readings), and of the ways to split the letters into syllables and the syllables into words, the one whose words
are most frequent together (a unigram path, as jieba cuts text). Our dictionaries' words are preferred: they are
what candidates write about ("jiujie" is 纠结, not 就接; "zai xiangxiang" 再想想, not 在想象).

English parses as pinyin too ("base" is ba se, "date" da te), so a stretch is read only when it reads as real words:
two pinyin words or more whose syllables are, on average, common and not mostly short English words ("can you");
or one word that is a dictionary word itself ("xiexie", "kaolv", "fangqi") or common words strung together
("buxiangqule"). Beside other English words a lone word stays as typed ("my name is" keeps "name"); "offer", "hr",
"sorry", links and e-mail addresses stay as typed. Names are read like any pinyin ("li ming" 黎明): harmless here.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from pypinyin.contrib.tone_convert import to_normal
from pypinyin.phrases_dict import phrases_dict
from pypinyin.pinyin_dict import pinyin_dict

from nlp.tokenize import DICT_DIR, tokenizer

MAX_SYLLABLES = 4  # per word; longer dictionary entries are rare in chat
MAX_LETTERS = 120  # a longer run of Latin letters is a link, a code or English prose: left as typed
MIN_FREQ = 200  # jieba words rarer than this are left out (single characters are always in)
OURS_FREQ = 200_000  # our dictionaries' words count as this common, whatever jieba says
# Average log-probability per syllable a stretch must reach (common chat words are around -5):
RUN_FLOOR = -8.5  # two typed words or more ("hai neng tui ma" 还能退吗 -7.5, "bu qu le" -5.3)
WORD_FLOOR = -5.6  # one typed word of 3+ syllables, not a dictionary word ("buxiangqule" -5.0; "delete" 的了特 -6.1)
# Short English words that are also pinyin syllables: a stretch made mostly of them is English ("can you", "a man").
_ENGLISH = set("a an and he she can man ten pen long hang fan pan tan bin pin tin sun gun bun lie die tie pie "
               "ping ding song dong gang bang".split())
# Interjection syllables: nobody types them inside a word, and they let English split ("again" = a gai n).
_ODD = {"m", "n", "ng", "hm", "hng", "r", "e", "o", "yo", "lo", "io"}
_CONSONANT = tuple("bpmfdtnlgkhjqxrzcsyw")
_LONGEST_SYLLABLE = 6  # letters: "zhuang", "chuang", "shuang"
_OTHER_READING = math.log(0.01)

_SEP = "[ '’]+"  # between typed words: a space, or an apostrophe before a vowel syllable ("xi'an")
# Not inside a link, an address or an ID ("www.baidu.com", "li@x.cn", "mika_0321"); a full stop after it is fine.
_RUN = re.compile(rf"(?<![a-z0-9./@:_-])[a-z]+(?:{_SEP}[a-z]+)*(?![a-z0-9/@:_-]|\.[a-z0-9])")
_LATIN_WORD = re.compile(r"[a-z]{2}")
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]{1,4}")


@dataclass(frozen=True)
class _Index:
    words: dict[tuple[str, ...], tuple[str, float]]  # syllables -> (best word, log-probability)
    syllables: frozenset[str]


@lru_cache(maxsize=None)  # bounded by the ~1,500 toned syllables; used while the index is built
def _toneless(syllable: str) -> str:
    return to_normal(syllable, v_to_u=False)


def _readings(word: str) -> dict[tuple[str, ...], float]:
    """Toneless pinyin of a word, with ü typed as v and as u -> log-weight: a single character's other readings
    count a hundred times rarer than its first (而 is read néng too, but "neng" is 能)."""
    if len(word) == 1:
        keys = [(_toneless(m),) for m in pinyin_dict.get(ord(word), "").split(",") if m]
    elif word in phrases_dict:
        keys = [tuple(_toneless(p[0]) for p in phrases_dict[word])]
    else:
        marks = [pinyin_dict[ord(c)].split(",")[0] for c in word if ord(c) in pinyin_dict]
        keys = [tuple(map(_toneless, marks))] if len(marks) == len(word) else []
    out: dict[tuple[str, ...], float] = {}
    for rank, key in enumerate(keys):
        for typed in (key, tuple(s.replace("v", "u") for s in key)):
            out.setdefault(typed, 0.0 if rank == 0 else _OTHER_READING)
    return out


def _dictionary() -> dict[str, float]:
    """Word -> frequency: jieba's words (as our tokenizer loaded them) and our dictionaries' words, made common."""
    freq = {w: float(c) for w, c in tokenizer().FREQ.items()
            if (c >= MIN_FREQ or (c and len(w) == 1)) and _CJK_WORD.fullmatch(w)}
    for path in sorted(DICT_DIR.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            word = line.split()[0] if line.strip() else ""
            if _CJK_WORD.fullmatch(word):
                freq[word] = max(freq.get(word, 0.0), OURS_FREQ)
    return freq


_lock = threading.Lock()
_index: _Index | None = None


def index() -> _Index:
    """The pinyin -> word index, built once per process (one to three seconds; the detector builds it as it loads)."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                freq = _dictionary()
                total = sum(freq.values())
                words: dict[tuple[str, ...], tuple[str, float]] = {}
                for word, count in freq.items():
                    lp = math.log(count / total)
                    for key, weight in _readings(word).items():
                        if len(key) <= MAX_SYLLABLES and (key not in words or words[key][1] < lp + weight):
                            words[key] = (word, lp + weight)
                _index = _Index(words, frozenset(k[0] for k in words if len(k) == 1 and k[0] not in _ODD))
    return _index


def _syllable_edges(parts: list[str]) -> list[list[tuple[int, str]]]:
    """From each letter position of the joined typed words, the syllables that start there: none crosses a typed
    boundary, and inside a typed word a syllable starts with a consonant (a vowel there would need an apostrophe,
    "xi'an"), which is also what keeps most English out ("see" = se e)."""
    syllables = index().syllables
    letters = "".join(parts)
    edges: list[list[tuple[int, str]]] = [[] for _ in range(len(letters) + 1)]
    start = 0
    for part in parts:
        for i in range(start, start + len(part)):
            for j in range(i + 1, min(start + len(part), i + _LONGEST_SYLLABLE) + 1):
                syl = letters[i:j]
                if syl in syllables and (i == start or syl.startswith(_CONSONANT)):
                    edges[i].append((j, syl))
        start += len(part)
    return edges


def _read(run: str) -> tuple[str, float, bool] | None:
    """Best characters for a stretch of pinyin words: (text, mean log-probability per syllable, every word of several
    syllables), or None when the letters do not split into syllables."""
    words = index().words
    edges = _syllable_edges(re.split(_SEP, run))
    n = len(edges) - 1
    # best[j] = (log-probability, syllables, start of the last word, last word) of the best path to letter j
    best: dict[int, tuple[float, int, int, str]] = {0: (0.0, 0, -1, "")}
    for i in range(n):
        if i not in best:
            continue
        score, count = best[i][:2]
        stack: list[tuple[int, tuple[str, ...]]] = [(i, ())]
        while stack:
            k, key = stack.pop()
            if len(key) == MAX_SYLLABLES:
                continue
            for j, syl in edges[k]:
                longer = key + (syl,)
                if longer in words:
                    word, lp = words[longer]
                    if j not in best or best[j][0] < score + lp:
                        best[j] = (score + lp, count + len(longer), i, word)
                stack.append((j, longer))
    if n not in best:
        return None
    path, j = [], n
    while j > 0:
        path.append(best[j][3])
        j = best[j][2]
    score, count = best[n][:2]
    return "".join(reversed(path)), score / count, all(len(w) > 1 for w in path)


def _is_pinyin(word: str) -> bool:
    """Do the letters of one typed word split into syllables? (A reachability walk over the syllable edges; which
    characters they are is `_read`'s work, done once per stretch.)"""
    edges = _syllable_edges([word])
    reached = [True] + [False] * len(word)
    for i, ends in enumerate(edges):
        if reached[i]:
            for j, _ in ends:
                reached[j] = True
    return reached[-1]


def _read_stretch(stretch: str, beside_english: bool) -> str:
    read = _read(stretch)
    if read is None:
        return stretch
    text, mean, whole_words = read
    typed = stretch.split()
    if len(typed) > 1:
        english = sum(w in _ENGLISH for w in typed) / len(typed)
        return text if mean >= RUN_FLOOR and english < 0.5 else stretch
    if beside_english or len(text) < 2:
        return stretch
    return text if whole_words or (len(text) >= 3 and mean >= WORD_FLOOR) else stretch


@lru_cache(maxsize=4096)
def _convert(run: str) -> str:
    """A run of Latin words, each stretch of pinyin words in it read ("offer hai neng tui ma" -> "offer 还能退吗")."""
    if len(run) > MAX_LETTERS:
        return run
    pieces = re.split(f"({_SEP})", run)  # words at even positions, separators at odd ones
    pinyin = [i % 2 == 0 and _is_pinyin(p) for i, p in enumerate(pieces)]
    beside_english = not all(pinyin[::2])
    out, i = [], 0
    while i < len(pieces):
        if not pinyin[i]:
            out.append(pieces[i])
            i += 1
            continue
        j = i
        while j + 2 < len(pieces) and pinyin[j + 2]:
            j += 2
        out.append(_read_stretch("".join(pieces[i:j + 1]), beside_english))
        i = j + 1
    return "".join(out)


def hanzi(text: str) -> str:
    """The text with each run of pinyin words read as characters; lower-case input (nlp.tokenize.normalize)."""
    if not _LATIN_WORD.search(text):
        return text
    return _RUN.sub(lambda m: _convert(m.group(0)), text)
