"""jieba tokenising with the domain dictionaries in nlp/dict/*.txt, loaded once per process."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import jieba

DICT_DIR = Path(__file__).parent / "dict"

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None

jieba.setLogLevel(logging.WARNING)


def tokenizer() -> jieba.Tokenizer:
    """Our own jieba instance (never the global one), with every domain dictionary loaded."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                tk = jieba.Tokenizer()
                tk.initialize()
                for path in sorted(DICT_DIR.glob("*.txt")):
                    tk.load_userdict(str(path))
                _tokenizer = tk
    return _tokenizer


_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower-case Latin letters, collapse white space."""
    text = unicodedata.normalize("NFKC", text or "")
    return _SPACE.sub(" ", text).strip().lower()


@lru_cache(maxsize=4096)
def _cut(text: str) -> tuple[tuple[int, str], ...]:
    """(position, token) of every token of `text`, white space dropped."""
    out, pos = [], 0
    for token in tokenizer().lcut(text):
        if token.strip():
            out.append((pos, token))
        pos += len(token)
    return tuple(out)


def tokens(text: str) -> list[str]:
    """Tokens of the normalised text, white space dropped."""
    return [token for _, token in _cut(normalize(text))]


def token_spans(text: str) -> list[tuple[int, str]]:
    """(position in `normalize(text)`, token) of the tokens of the normalised text, white space dropped."""
    return list(_cut(normalize(text)))
