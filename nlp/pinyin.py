"""Toneless pinyin typed with the input method off ("bu qu le", "zai kaolv yixia"), read back as characters.

The detector reads characters, so `hanzi(text)` replaces each run of pinyin words with the characters most likely
meant: the words of jieba's dictionary and ours (nlp/dict/*.txt), keyed by their pinyin (pypinyin's readings), and
of the ways to split the letters into syllables and the syllables into words, the one whose words are most frequent
together (a unigram path, as jieba cuts text). Our dictionaries' words are preferred: they are what candidates write
about ("纠结" over "就接", "想想" over "想象").

English parses as pinyin too ("base" is ba se, "date" da te), so a run is read only when it reads as real words: two
pinyin words or more whose syllables are, on average, common; or one word that is a dictionary word itself
("xiexie", "kaolv", "fangqi") or common words strung together ("buxiangqule"). "offer", "hr", "sorry" stay as typed.
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
MIN_FREQ = 200  # jieba words rarer than this are left out (single characters are always in)
OURS_FREQ = 200_000  # our dictionaries' words count as this common, whatever jieba says
# Average log-probability per syllable a run must reach (common chat words are around -5):
RUN_FLOOR = -8.5  # two typed words or more ("hai neng tui ma" 还能退吗 -7.5, "bu qu le" -5.3)
WORD_FLOOR = -5.6  # one typed word of 3+ syllables, not a dictionary word ("buxiangqule" -5.0; "delete" 的了特 -6.1)
# Short English words that are also pinyin syllables: a run made mostly of them is English ("can you", "give me a").
_ENGLISH = set("a an and me he she can man men ten pen hen long hang ban fan pan tan bin pin tin sun gun bun "
               "lie die tie pie ping ding song dong gang bang hi".split())
# Interjection syllables: nobody types them inside a word, and they let English split ("again" = a gai n).
_ODD = {"m", "n", "ng", "hm", "hng", "r", "ê", "e", "o", "yo", "lo", "io"}
_CONSONANT = tuple("bpmfdtnlgkhjqxrzcsyw")

_RUN = re.compile(r"[a-z]+(?:[ '’]+[a-z]+)*")
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]{1,4}")


@dataclass(frozen=True)
class _Index:
    words: dict[tuple[str, ...], tuple[str, float]]  # syllables -> (best word, log-probability)
    syllables: frozenset[str]


def _readings(word: str) -> list[tuple[str, ...]]:
    """Toneless pinyin of a word, with ü typed as v and as u."""
    if word in phrases_dict:
        marks = [p[0] for p in phrases_dict[word]]
    else:
        marks = [pinyin_dict[ord(c)].split(",")[0] for c in word if ord(c) in pinyin_dict]
        if len(marks) != len(word):
            return []
    key = tuple(map(_toneless, marks))
    return list(dict.fromkeys([key, tuple(s.replace("v", "u") for s in key)]))


@lru_cache(maxsize=None)
def _toneless(syllable: str) -> str:
    return to_normal(syllable, v_to_u=False)


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
    """The pinyin -> word index, built once per process (about a second; the detector builds it when it loads)."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                freq = _dictionary()
                total = sum(freq.values())
                words: dict[tuple[str, ...], tuple[str, float]] = {}
                for word, count in freq.items():
                    lp = math.log(count / total)
                    for key in _readings(word):
                        if len(key) <= MAX_SYLLABLES and (key not in words or words[key][1] < lp):
                            words[key] = (word, lp)
                _index = _Index(words, frozenset(k[0] for k in words if len(k) == 1 and k[0] not in _ODD))
    return _index


def _read(run: str) -> tuple[str, float, bool] | None:
    """Best characters for a run of pinyin words: (text, mean log-probability per syllable, every word of several
    syllables), or None when the letters do not split into syllables."""
    idx = index()
    parts = re.split(r"[ '’]+", run)
    letters = "".join(parts)
    cuts, pos = set(), 0
    for p in parts[:-1]:
        pos += len(p)
        cuts.add(pos)
    n = len(letters)
    # syllable edges that do not cross a typed boundary; inside a typed word a syllable starts with a consonant
    # (a vowel there would need an apostrophe: xi'an), which is also what keeps most English out ("see" = se e)
    edges: list[list[tuple[int, str]]] = [[] for _ in range(n + 1)]
    for i in range(n):
        inside = i > 0 and i not in cuts
        for j in range(i + 1, min(n, i + 6) + 1):
            syl = letters[i:j]
            if syl in idx.syllables and not any(i < c < j for c in cuts) and not (inside and not syl.startswith(_CONSONANT)):
                edges[i].append((j, syl))
    best: dict[int, tuple[float, list[str], int]] = {0: (0.0, [], 0)}  # end -> (log-probability, words, syllables)
    for i in range(n):
        if i not in best:
            continue
        score, words, count = best[i]
        stack: list[tuple[int, tuple[str, ...]]] = [(i, ())]
        while stack:
            k, key = stack.pop()
            if len(key) == MAX_SYLLABLES:
                continue
            for j, syl in edges[k]:
                longer = key + (syl,)
                if longer in idx.words:
                    word, lp = idx.words[longer]
                    cand = (score + lp, words + [word], count + len(longer))
                    if j not in best or best[j][0] < cand[0]:
                        best[j] = cand
                stack.append((j, longer))
    if n not in best:
        return None
    score, words, count = best[n]
    return "".join(words), score / count, all(len(w) > 1 for w in words)


def _pinyin_word(word: str) -> bool:
    """Do the letters split into syllables (each after the first starting with a consonant)?"""
    syllables, n = index().syllables, len(word)
    ok = [True] + [False] * n
    for j in range(1, n + 1):
        ok[j] = any(ok[i] and word[i:j] in syllables and (i == 0 or word[i] in _CONSONANT)
                    for i in range(max(0, j - 6), j))
    return ok[n]


def _english_share(run: str) -> float:
    words = run.split()
    return sum(w in _ENGLISH for w in words) / len(words)


def _convert_group(run: str) -> str:
    read = _read(run)
    if read is None:
        return run
    text, mean, whole_words = read
    several = " " in run  # typed as two words or more ("xi'an" is one)
    if several and mean >= RUN_FLOOR and _english_share(run) < 0.5:
        return text
    if not several and len(text) > 1 and (whole_words or (len(text) >= 3 and mean >= WORD_FLOOR)):
        return text
    return run


@lru_cache(maxsize=4096)
def _convert(run: str) -> str:
    """Each stretch of pinyin words in a run of Latin words, read; the other words ("offer hai neng tui ma") kept."""
    out, group = [], []
    for token in re.split(r"([ '’]+)", run):
        if not token.strip(" '’") or _pinyin_word(token):
            group.append(token)
            continue
        if group:
            out.append(_flush(group))
            group = []
        out.append(token)
    if group:
        out.append(_flush(group))
    return "".join(out)


def _flush(group: list[str]) -> str:
    """A stretch of pinyin words (with the separators around them kept outside the reading)."""
    text = "".join(group)
    core = text.strip(" '’")
    if not core:
        return text
    start = text.index(core)
    return text[:start] + _convert_group(core) + text[start + len(core):]


def hanzi(text: str) -> str:
    """The text with each run of pinyin words read as characters; lower-case input (nlp.tokenize.normalize)."""
    if not re.search(r"[a-z]{2}", text):
        return text
    return _RUN.sub(lambda m: _convert(m.group(0)), text)
