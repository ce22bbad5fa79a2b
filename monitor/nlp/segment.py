"""jieba segmentation that never splits a brand name, plus per-mention keywords."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

import jieba
import jieba.analyse

jieba.setLogLevel(logging.WARNING)

_WORD = re.compile(r"[\w\u4e00-\u9fff]")
_STOPWORDS_FILE = Path(__file__).parent / "data" / "stopwords.txt"


def _load_stopwords() -> frozenset[str]:
    lines = _STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


class Segmenter:
    """A private jieba tokenizer, so brand terms added here do not leak into other users of jieba."""

    def __init__(self, protected_terms: Iterable[str], user_dicts: Iterable[Path] = ()) -> None:
        self._jieba = jieba.Tokenizer()
        for path in user_dicts:
            self._jieba.load_userdict(str(path))
        for term in protected_terms:
            self._jieba.add_word(term, freq=100000)
            if term.lower() != term:
                self._jieba.add_word(term.lower(), freq=100000)
        self._stopwords = _load_stopwords()
        self._tfidf = jieba.analyse.TFIDF()
        self._tfidf.tokenizer = self._jieba
        self._tfidf.postokenizer = None
        self._tfidf.stop_words = set(self._tfidf.stop_words) | self._stopwords

    def tokens(self, text: str) -> list[str]:
        """Words of the text, without punctuation, whitespace or stopwords."""
        return [w for w in self._jieba.lcut(text)
                if len(w.strip()) > 0 and _WORD.search(w) and w not in self._stopwords]

    def keywords(self, text: str, top: int = 5) -> list[str]:
        """The most distinctive words (jieba TF-IDF), for top-words views and new-topic detection."""
        return [w for w in self._tfidf.extract_tags(text, topK=top) if w not in self._stopwords and len(w) > 1]
