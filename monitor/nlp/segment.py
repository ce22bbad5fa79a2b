"""jieba segmentation that never splits a brand name, and per-mention keywords from the same words.

jieba's accurate mode (dictionary DAG + max-probability route, HMM for unknown words) gives the words. When
rjieba (jieba-rs, compiled) is installed, it cuts the text over the same dictionary (same words, same
frequencies, same total), about ten times faster than Python; jieba's own splits of the Latin and digit runs its
HMM meets (2.4T → 2.4|T) are restored, and clauses with equal-probability routes (哈哈哈) and texts with CJK
characters beyond jieba's range take the pure-Python route. That route, also the fallback without rjieba, re-runs
jieba's route search in one tight loop, remembering the words of recent clauses (reposts and quotes repeat them)
and the HMM's answers for unknown-word runs. Text is segmented once for both words and keywords.
tests/nlp/test_segment.py holds both paths to jieba's output.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Iterable
from pathlib import Path

import jieba
import jieba.analyse
from jieba import finalseg

from monitor.nlp.normalize import fold

try:
    import rjieba
except ImportError:  # an optional, compiled speed-up: the pure-Python route search below gives the same words
    rjieba = None

jieba.setLogLevel(logging.WARNING)
log = logging.getLogger(__name__)

_WORD = re.compile(r"[\w\u4e00-\u9fff]")
_HAN = jieba.re_han_default
_SPACE = jieba.re_skip_default
_ENG = re.compile(r"[a-zA-Z0-9]")
_HAN_CHAR = re.compile("[\u4E00-\u9FD5]")
# a sign touching a letter or digit: what jieba-rs keeps inside a Latin or digit run and jieba's HMM splits at
_SIGN = re.compile(r"[a-zA-Z0-9][+#&._%\-]|[+#&._%\-][a-zA-Z0-9]")
# What the pure-Python route cuts: clauses with 哈哈哈 (routes of equal probability, which jieba-rs breaks the other
# way) and texts with CJK characters outside jieba's range that jieba-rs takes for Han (extension A, compatibility,
# planes 2-3)
_TRIPLE = re.compile("([\u4E00-\u9FD5])\\1\\1")
_BEYOND = re.compile("[\u3400-\u4DBF\u9FD6-\u9FFF\uF900-\uFAFF\U00020000-\U0003FFFF]")
_PROBE = "的是"  # two words, not one: jieba scores it from their frequencies and the dictionary's total
_TOTAL = "\x00"  # a dictionary entry no clause can hold (clauses are _HAN runs): keeps jieba-rs's total jieba's
_STOPWORDS_FILE = Path(__file__).parent / "data" / "stopwords.txt"
_MEMO = 50_000  # distinct entries kept by each of the segmenter's caches
_DROP, _WORD_ONLY, _KEYWORD = 0, 1, 2
_ABSENT = object()
_NEVER = float("-inf")


@functools.cache
def _stopwords() -> frozenset[str]:
    lines = _STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    words = {w.strip() for w in lines if w.strip() and not w.startswith("#")}
    return frozenset(words | jieba.analyse.TFIDF.STOP_WORDS)


def _forms(term: str) -> set[str]:
    """A term as written, lower-cased and folded (jieba cannot hold a word with spaces)."""
    return {f for f in (term, term.lower(), fold(term)) if f and not any(ch.isspace() for ch in f)}


@functools.cache
def _idf() -> tuple[dict[str, float], float]:
    loader = jieba.analyse.TFIDF().idf_loader
    return loader.idf_freq, loader.median_idf


def _hmm_words(run: str) -> list[str]:
    """finalseg.cut(run) with its Viterbi unrolled over the four states (B, M, E, S) and back-pointers instead
    of copied paths: the same sums in the same order and the same tie-breaks (max over (prob, state) tuples),
    so the same words, about three times as fast. jieba's forced splits (Tokenizer.del_word) still apply."""
    out: list[str] = []
    for block in finalseg.re_han.split(run):
        if not block:
            continue
        if finalseg.re_han.match(block):
            forced = finalseg.Force_Split_Words
            for word in _viterbi_words(block):
                if word in forced:
                    out.extend(word)
                else:
                    out.append(word)
        else:
            out.extend(x for x in finalseg.re_skip.split(block) if x)
    return out


_MIN = finalseg.MIN_FLOAT
_START = tuple(finalseg.start_P[s] for s in "BMES")
_EMIT = tuple(finalseg.emit_P[s].get for s in "BMES")  # emission log probability lookups
_TRANS = {(a, b): finalseg.trans_P[a].get(b, _MIN) for a in "BMES" for b in "BMES"}


def _viterbi_words(obs: str) -> list[str]:
    e_b, e_m, e_e, e_s = _EMIT
    t_eb, t_sb, t_mm, t_bm = _TRANS["E", "B"], _TRANS["S", "B"], _TRANS["M", "M"], _TRANS["B", "M"]
    t_ss, t_es, t_be, t_me = _TRANS["S", "S"], _TRANS["E", "S"], _TRANS["B", "E"], _TRANS["M", "E"]
    c = obs[0]
    vb, vm, ve, vs = (_START[0] + e_b(c, _MIN), _START[1] + e_m(c, _MIN), _START[2] + e_e(c, _MIN),
                      _START[3] + e_s(c, _MIN))
    back = []  # per position after the first: the previous state of B, M, S, E (True: the first candidate)
    for c in obs[1:]:
        em = e_b(c, _MIN)
        from_e, from_s = ve + t_eb + em, vs + t_sb + em
        b_from_e = from_e > from_s  # a tie goes to S, the larger state name
        nb = from_e if b_from_e else from_s
        em = e_m(c, _MIN)
        from_m, from_b = vm + t_mm + em, vb + t_bm + em
        m_from_b = from_b > from_m  # a tie goes to M
        nm = from_b if m_from_b else from_m
        em = e_s(c, _MIN)
        from_s, from_e = vs + t_ss + em, ve + t_es + em
        s_from_e = from_e > from_s  # a tie goes to S
        ns = from_e if s_from_e else from_s
        em = e_e(c, _MIN)
        from_b, from_m = vb + t_be + em, vm + t_me + em
        e_from_b = from_b > from_m  # a tie goes to M
        ne = from_b if e_from_b else from_m
        back.append((b_from_e, m_from_b, s_from_e, e_from_b))
        vb, vm, vs, ve = nb, nm, ns, ne
    state = "E" if ve > vs else "S"
    states = [state]
    for b_from_e, m_from_b, s_from_e, e_from_b in reversed(back):
        if state == "B":
            state = "E" if b_from_e else "S"
        elif state == "M":
            state = "B" if m_from_b else "M"
        elif state == "S":
            state = "E" if s_from_e else "S"
        else:
            state = "B" if e_from_b else "M"
        states.append(state)
    states.reverse()
    words, begin, nexti = [], 0, 0
    for i, pos in enumerate(states):
        if pos == "B":
            begin = i
        elif pos == "E":
            words.append(obs[begin:i + 1])
            nexti = i + 1
        elif pos == "S":
            words.append(obs[i])
            nexti = i + 1
    if nexti < len(obs):
        words.append(obs[nexti:])
    return words


class _Tokenizer(jieba.Tokenizer):
    """jieba's tokenizer, remembering the words added to its dictionary so a compiled copy can be given them."""

    def __init__(self) -> None:
        super().__init__()
        self.added: dict[str, int] = {}  # word → its frequency before the first addition (0: absent)
        self.counted = 0  # what the additions added to jieba's total

    def add_word(self, word, freq=None, tag=None) -> None:
        self.check_initialized()
        self.added.setdefault(word, self.FREQ.get(word) or 0)
        super().add_word(word, freq, tag)
        self.counted += self.FREQ[word]


@functools.cache
def _pure_python_once() -> None:
    log.warning("rjieba is not installed: segmenting with pure-Python jieba, the same words about 3× slower "
                "(pip install rjieba for the compiled segmenter)")


def _compiled(tokenizer: _Tokenizer):
    """A jieba-rs copy of the tokenizer's dictionary, or None (rjieba absent, or a word deleted by freq 0:
    jieba then forces its split in the HMM too, which jieba-rs cannot be told)."""
    if rjieba is None:
        _pure_python_once()
        return None
    if any(tokenizer.FREQ[w] == 0 for w in tokenizer.added):
        log.info("a user dictionary deletes words (frequency 0): segmenting with pure-Python jieba")
        return None
    fast = rjieba.Jieba()  # jieba-rs's built-in dictionary is jieba's dict.txt: the same words and total
    added = 0
    for word, before in tokenizer.added.items():
        fast.add_word(word, tokenizer.FREQ[word], None)
        added += tokenizer.FREQ[word] - before
    # jieba adds each addition's frequency to its total even when the word was there already; jieba-rs replaces
    # the old count: an entry of the difference keeps the two totals, and so every route probability, equal
    if tokenizer.counted > added:
        fast.add_word(_TOTAL, tokenizer.counted - added, None)
    if fast.suggest_freq(_PROBE) != tokenizer.suggest_freq(_PROBE, False):  # another jieba or jieba-rs release
        log.warning("rjieba's dictionary is not jieba's: segmenting with pure-Python jieba")
        return None
    return fast


class Segmenter:
    """A private jieba dictionary, so brand terms added here do not leak into other users of jieba."""

    def __init__(self, protected_terms: Iterable[str], user_dicts: Iterable[Path] = (), hmm: bool = True,
                 not_keywords: Iterable[str] | None = None, compiled: bool = True) -> None:
        """protected_terms are never split; not_keywords (default: the protected terms) are never keywords;
        compiled=False keeps to pure-Python jieba even when rjieba is installed."""
        self._jieba = _Tokenizer()
        for path in user_dicts:
            self._jieba.load_userdict(str(path))
        protected_terms = list(protected_terms)
        # what the dictionary said of each protected form before it was forced whole: word_margin reads it
        self._natural = {form: self._jieba.FREQ.get(form) or 0 for term in protected_terms for form in _forms(term)}
        for term in protected_terms:
            for form in _forms(term):
                self._jieba.add_word(form, freq=100000)
        self._jieba.check_initialized()
        self._fast = _compiled(self._jieba) if compiled else None
        names = protected_terms if not_keywords is None else not_keywords
        self._not_keywords = frozenset(form.lower() for term in names for form in _forms(term))
        self._stopwords = _stopwords()
        self._idf, self._median_idf = _idf()
        logtotal = self._logtotal = math.log(self._jieba.total)
        # every dictionary word → its log probability; a prefix that is not itself a word → None
        self._dag = {w: math.log(f) - logtotal if f else None for w, f in self._jieba.FREQ.items()}
        self._unknown = -logtotal
        self._hmm = hmm
        self._hmm_cache: dict[str, list[str]] = {}
        self._blocks: dict[str, list[str]] = {}  # Han block → its words: reposts and quotes repeat whole clauses
        self._kinds: dict[str, int] = {}
        self._weights: dict[str, float] = {}  # keyword → its IDF, remembered with its kind (_kinds)

    def tokens(self, text: str) -> list[str]:
        """Words of the text, without punctuation, whitespace or stopwords."""
        return self.analyse(text)[0]

    def keywords(self, text: str, top: int = 5) -> list[str]:
        """The most distinctive words (TF-IDF with jieba's IDF), brand names aside: they say who, not what."""
        return self.analyse(text, top)[1]

    def analyse(self, text: str, top: int = 5) -> tuple[list[str], list[str]]:
        """(words, keywords) from one segmentation of the text."""
        pieces = self.cut(text)
        kinds, weights = self._kinds, self._weights
        if len(kinds) >= _MEMO:
            kinds.clear()
            weights.clear()
        for piece in set(pieces).difference(kinds):  # what a piece is, remembered per distinct piece
            kinds[piece] = self._kind(piece)
        words = [w for w in pieces if kinds[w]]
        candidates = [w for w in words if w in weights]
        scores = dict.fromkeys(candidates, 0.0)  # term frequency × IDF, summed one occurrence at a time
        for w in candidates:
            scores[w] += weights[w]
        return words, sorted(scores, key=scores.__getitem__, reverse=True)[:top]

    def _kind(self, piece: str) -> int:
        """Whether a piece is a word, and whether it may be a keyword (then its IDF goes to _weights)."""
        if not _WORD.search(piece) or piece in self._stopwords:
            return _DROP
        if len(piece) > 1 and piece.lower() not in self._not_keywords and piece.lower() not in self._stopwords:
            self._weights[piece] = self._idf.get(piece, self._median_idf)
            return _KEYWORD
        return _WORD_ONLY

    @property
    def compiled(self) -> bool:
        """Whether rjieba cuts the text."""
        return self._fast is not None

    def cut(self, text: str) -> list[str]:
        """Every piece of the text, as jieba's accurate mode cuts it."""
        if self._fast is None or _BEYOND.search(text):
            return self._cut_pure(text)
        if not _TRIPLE.search(text):
            return self._cut_compiled(text)
        out: list[str] = []
        at = 0
        for m in _HAN.finditer(text):  # 哈哈哈: the clause takes jieba's route, the rest of the text rjieba's
            if _TRIPLE.search(m.group()):
                if at < m.start():
                    out += self._cut_compiled(text[at:m.start()])
                out += self._han_words(m.group())
                at = m.end()
        if at < len(text):
            out += self._cut_compiled(text[at:])
        return out

    def _cut_pure(self, text: str) -> list[str]:
        out: list[str] = []
        for block in _HAN.split(text):
            if not block:
                continue
            if _HAN.match(block):
                out.extend(self._han_words(block))
            else:
                for piece in _SPACE.split(block):
                    if _SPACE.match(piece):
                        out.append(piece)
                    else:
                        out.extend(piece)
        return out

    def _han_words(self, block: str) -> list[str]:
        """The words of a run of _HAN characters by jieba's route, remembered."""
        words = self._blocks.get(block)
        if words is None:
            if len(self._blocks) >= _MEMO:
                self._blocks.clear()
            words = self._blocks[block] = []
            self._cut_block(block, words)
        return words

    def _cut_compiled(self, text: str) -> list[str]:
        words = self._fast.cut(text, self._hmm)
        if not self._hmm or not _SIGN.search(text):
            return words
        # jieba's HMM splits a Latin or digit run it meets at letters, numbers and signs (2.4T → 2.4|T, t.cn →
        # t|.|cn); jieba-rs keeps the run whole. Dictionary words (C++, A股) came from the route: kept.
        out: list[str] = []
        dictionary = self._dag
        for w in words:
            if len(w) > 1 and dictionary.get(w) is None and not _HAN_CHAR.search(w):
                out.extend(x for x in finalseg.re_skip.split(w) if x)
            else:
                out.append(w)
        return out

    def natural_frequency(self, word: str) -> int:
        """The word's count in the dictionary before brand names were forced whole (0: not a word)."""
        if word in self._natural:
            return self._natural[word]
        return self._jieba.FREQ.get(word) or 0

    def is_word(self, piece: str) -> bool:
        return self.natural_frequency(piece) > 0

    def word_margin(self, block: str, start: int, end: int, frequency: int) -> float:
        """How much likelier (natural log) the best reading of block is that keeps block[start:end] inside one
        word (itself, counted `frequency` times, or a longer word) than the best that cuts it, on the dictionary
        as it was before brand names were forced whole: below 0 its characters belong to other words (精华|为什么)."""
        n = len(block)
        name = block[start:end]
        words = self._words(block, name, math.log(max(frequency, 1)) - self._logtotal)
        inside = range(start + 1, end)
        forward, kept = [_NEVER] * (n + 1), [_NEVER] * (n + 1)
        forward[0] = kept[0] = 0.0
        for k in range(n):
            for i, p in words[k]:
                forward[i] = max(forward[i], forward[k] + p)
                if k not in inside and i not in inside:
                    kept[i] = max(kept[i], kept[k] + p)
        backward = [_NEVER] * (n + 1)
        backward[n] = 0.0
        for k in range(n - 1, -1, -1):
            backward[k] = max(p + backward[i] for i, p in words[k])
        return kept[n] - max(forward[p] + backward[p] for p in inside)

    def _words(self, block: str, name: str, name_logp: float) -> list[list[tuple[int, float]]]:
        """For each position, the dictionary words starting there (end, log probability); an unknown
        character is a word of its own."""
        lookup, natural, absent, logtotal = self._dag.get, self._natural, _ABSENT, self._logtotal
        out = []
        n = len(block)
        for k in range(n):
            found = []
            i = k + 1
            while i <= n:
                piece = block[k:i]
                p = lookup(piece, absent)
                if p is absent:
                    break
                if piece == name:
                    p = name_logp
                elif piece in natural:
                    p = math.log(natural[piece]) - logtotal if natural[piece] else None
                if p is not None:
                    found.append((i, p))
                i += 1
            if not found or found[0][0] != k + 1:
                found.insert(0, (k + 1, self._unknown))
            out.append(found)
        return out

    def _route(self, block: str) -> list[int]:
        """For each position, where the most probable word starting there ends (jieba's DAG + calc)."""
        n = len(block)
        score = [0.0] * (n + 1)
        end = [0] * (n + 1)
        lookup, unknown, absent = self._dag.get, self._unknown, _ABSENT
        for k in range(n - 1, -1, -1):
            best, best_end = _NEVER, k + 1
            i = k + 1
            p = lookup(block[k], absent)
            while p is not absent:
                if p is not None:
                    candidate = p + score[i]
                    if candidate >= best:  # ties go to the longer word, as in jieba
                        best, best_end = candidate, i
                if i >= n:
                    break
                i += 1
                p = lookup(block[k:i], absent)
            score[k] = best if best != _NEVER else unknown + score[k + 1]
            end[k] = best_end
        return end

    def _cut_block(self, block: str, out: list[str]) -> None:
        end = self._route(block)
        x, n, buf = 0, len(block), ""
        while x < n:
            y = end[x]
            if self._hmm:
                if y - x == 1:
                    buf += block[x]
                else:
                    if buf:
                        self._flush(buf, out)
                        buf = ""
                    out.append(block[x:y])
            elif y - x == 1 and _ENG.match(block[x]):
                buf += block[x]
            else:
                if buf:
                    out.append(buf)
                    buf = ""
                out.append(block[x:y])
            x = y
        if buf and self._hmm:
            self._flush(buf, out)
        elif buf:
            out.append(buf)

    def _flush(self, run: str, out: list[str]) -> None:
        """A run of single characters: the HMM finds unknown words in it, unless it is a dictionary word."""
        if len(run) == 1:
            out.append(run)
        elif self._dag.get(run) is not None:
            out.extend(run)
        else:
            cached = self._hmm_cache.get(run)
            if cached is None:
                if len(self._hmm_cache) >= _MEMO:
                    self._hmm_cache.clear()
                cached = self._hmm_cache[run] = _hmm_words(run)
            out.extend(cached)
