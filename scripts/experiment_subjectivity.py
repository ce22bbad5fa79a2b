"""Experiment: a subjectivity stage (is this post an opinion at all?) in front of the three-way head.

The n-gram model of the default scorer is kept as trained; what changes is what the combiner reads.
Candidates (each head, combiner and label offsets, fitted on the same dev rows as the shipped model):

  shipped  the model as shipped (its own combiner and label offsets)
  base   the shipped head refitted: n-gram logits + lexicon sums (the control)
  cues   + counts of subjectivity cues (data/sentiment/subjectivity_cues.txt: questions, first and
         second person, intensifiers, hedges, exclamations, report/notice words, digits, length)
  subj   + one logit of a subjectivity model: a logistic regression over the same cues, fitted on the
         train split, neutral sources against the opinion corpora (sources weighing the same)
  both   + the cues and the subjectivity logit
  gate_cues, gate_subj   as cues / subj, but the added columns move only the neutral logit: a gate that
         says whether a post is an opinion and leaves which way it leans to the n-gram model and lexicon
  gate_opinion, gate_report   gate_cues with only the cues that mark an opinion (first and second
         person, intensity, exclamation) or only those that mark a report (hedges, report words,
         digits, length)
  *_bal  the head fitted with the three classes weighing the same in total (source groups still equal
         within a class)

    python3 scripts/experiment_subjectivity.py dev                  # dev figures of every candidate
    python3 scripts/experiment_subjectivity.py heldout --only NAME  # held-out figures of chosen ones
    python3 scripts/experiment_subjectivity.py bare                 # run W: retrain, see bare_weibo()

Run W retrains the n-gram model with the bare Weibo copies relabelled (bare_weibo); its dev, test and
held-out figures come from `scripts/train_sentiment.py --card-only` on the model it writes.

Decisions are made on `dev`; `heldout` is run only to report the chosen candidates.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.nlp.evaluate import evaluate  # noqa: E402
from monitor.nlp.normalize import normalize_many as pipeline_normalize  # noqa: E402
from monitor.nlp.sentiment import (  # noqa: E402
    DATA_DIR, _trie_regex, get_scorer, normalize_many, read_lines, read_training_csv, scores_and_labels,
    softmax,
)
from monitor.nlp.sentiment_train import (  # noqa: E402
    Example, _equal_groups, _fit_multinomial, builtin_sources, calibrate_label_bias, examples, per_source,
    read_corpora,
)

HELDOUT = ROOT / "tests" / "fixtures" / "real" / "sentiment"
HELDOUT_SETS = ("smp2020_usual.csv", "smp2020_virus.csv", "car_forum.csv")
BUILD = ROOT / "data" / "sentiment" / "build"
_DIGITS = r"[0-9]+"


class SubjectivityCues:
    """Counts of subjectivity cues per text (data/sentiment/subjectivity_cues.txt): questions, first and second
    person, intensifiers, hedges, exclamations, report words, plus digit runs and length.

    They tell an opinion from a question or a report by how it is said rather than by its topic, which the
    n-gram model learns from news and reviews and carries badly to forum and COVID posts. One regex scan
    of the joined batch; columns are log(1 + count).
    """

    def __init__(self, cues: dict[str, str]):
        self.cues = dict(cues)
        self.kinds = tuple(dict.fromkeys(self.cues.values()))
        self.names = (*self.kinds, "digits", "length")
        self._column = {t: self.kinds.index(k) for t, k in self.cues.items()}
        first = "".join(re.escape(ch) for ch in sorted({t[0] for t in self.cues}))
        self._rx = re.compile(f"(?=[{first}0-9])(?:(?P<term>{_trie_regex(sorted(self.cues))})|{_DIGITS})")

    @classmethod
    def load(cls, path: Path = ROOT / "data" / "sentiment" / "subjectivity_cues.txt") -> SubjectivityCues:
        cues: dict[str, str] = {}
        for line in read_lines(path):
            term, kind = line.rsplit("\t", 1)
            cues.setdefault(normalize_many([term.strip()])[0], kind.strip())
        return cls(cues)

    def matrix(self, norm: Sequence[str]) -> np.ndarray:
        """texts x len(names) cue columns of already normalized texts."""
        out = np.zeros((len(norm), len(self.names)))
        if not norm:
            return out
        ends = np.cumsum(np.fromiter((len(t) + 1 for t in norm), dtype=np.int64, count=len(norm)))
        starts, cols = [], []
        digits = len(self.kinds)
        for m in self._rx.finditer("\x00".join(norm)):
            term = m.group("term")
            starts.append(m.start())
            cols.append(digits if term is None else self._column[term])
        if starts:
            rows = np.searchsorted(ends, np.asarray(starts, dtype=np.int64), side="right")
            np.add.at(out, (rows, np.asarray(cols)), 1.0)
        out[:, -1] = np.diff(ends, prepend=0) - 1
        return np.log1p(out)


CANDIDATES = ("shipped", "base", "cues", "subj", "both", "gate_cues", "gate_subj", "base_bal", "gate_cues_bal",
              "gate_opinion", "gate_report")


def load_splits(corpora: Path) -> dict[str, list[Example]]:
    sources = builtin_sources()
    sources.update(read_corpora(corpora))
    return examples(sources)


def fit_subjectivity(cues: SubjectivityCues, train: list[Example], cap: int = 20000, seed: int = 7
                     ) -> tuple[np.ndarray, float]:
    """(weights, bias) of P(opinion) over the cue columns: neutral sources against the opinion corpora,
    every source group weighing the same, at most ``cap`` rows per source."""
    rng = np.random.default_rng(seed)
    by_source: dict[str, list[Example]] = {}
    for r in train:
        by_source.setdefault(r.source, []).append(r)
    rows = []
    for source, rs in sorted(by_source.items()):
        if len(rs) > cap:
            rs = [rs[i] for i in rng.choice(len(rs), cap, replace=False)]
        rows += rs
    x = cues.matrix(normalize_many([r.text for r in rows]))
    y = np.array([0 if r.label == 1 else 1 for r in rows])
    w = _equal_groups([r.source for r in rows])
    for k in (0, 1):  # neutral and opinion weigh the same in total
        w[y == k] *= w.sum() / 2 / w[y == k].sum()
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1.0, max_iter=2000).fit(x, y, sample_weight=w)
    return lr.coef_[0], float(lr.intercept_[0])


# cue subsets: the cues that mark an opinion, and those that mark a report (questions are left out of
# both: in Chinese a complaint is as often a rhetorical question as a real one)
SUBSETS = {"gate_opinion": ("first", "second", "intensity", "exclaim"),
           "gate_report": ("hedge", "report", "digits", "length")}


def columns(kind: str, base: np.ndarray, cue_x: np.ndarray, subj: np.ndarray,
            names: Sequence[str] = SubjectivityCues.load().names) -> np.ndarray:
    parts = [base]
    if kind in ("cues", "both", "gate_cues", "gate_cues_bal"):
        parts.append(cue_x)
    if kind in SUBSETS:
        parts.append(cue_x[:, [list(names).index(n) for n in SUBSETS[kind]]])
    if kind in ("subj", "both", "gate_subj"):
        parts.append(subj[:, None])
    return np.hstack(parts)


def fit_masked(x: np.ndarray, y: np.ndarray, w: np.ndarray, mask: np.ndarray, c: float = 1.0) -> np.ndarray:
    """combiner (classes x features + bias) of a weighted multinomial LR whose weight (k, j) is held at 0
    where mask[k, j] is False; L2 on the weights as sklearn's (0.5 |W|^2 + C * weighted log-loss)."""
    from scipy.optimize import minimize

    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    full_mask = np.hstack([mask, np.ones((3, 1), dtype=bool)])
    onehot = np.eye(3)[y]

    def loss(theta):
        wm = np.zeros((3, d + 1))
        wm[full_mask] = theta
        z = xb @ wm.T
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        reg = wm[:, :-1]
        value = -c * float((w[:, None] * onehot * logp).sum()) + 0.5 * float((reg ** 2).sum())
        grad_full = -c * ((w[:, None] * (onehot - np.exp(logp))).T @ xb)
        grad_full[:, :-1] += reg
        return value, grad_full[full_mask]

    res = minimize(loss, np.zeros(int(full_mask.sum())), jac=True, method="L-BFGS-B", options={"maxiter": 5000})
    combiner = np.zeros((3, d + 1))
    combiner[full_mask] = res.x
    return combiner


def head(x: np.ndarray, rows: list[Example], kind: str = "base") -> tuple[np.ndarray, np.ndarray]:
    y = np.array([r.label for r in rows])
    w = _equal_groups([r.source for r in rows])
    if kind.endswith("_bal"):
        for k in np.unique(y):
            w[y == k] *= w.sum() / len(np.unique(y)) / w[y == k].sum()
    if kind.startswith("gate"):
        mask = np.ones((3, x.shape[1]), dtype=bool)
        mask[[0, 2], 7:] = False  # the added columns move the neutral logit only
        combiner = fit_masked(x, y, w, mask)
    else:
        coef, bias = _fit_multinomial(x, y, w, 1.0, 2000)
        combiner = np.hstack([coef, bias[:, None]])
    p = softmax(x @ combiner[:, :-1].T + combiner[:, -1])
    return combiner, calibrate_label_bias(p, y, w)


def labels_of(x: np.ndarray, combiner: np.ndarray, offsets: np.ndarray) -> tuple[list[float], list[str]]:
    return scores_and_labels(softmax(x @ combiner[:, :-1].T + combiner[:, -1]), offsets)


def figures_of(x, rows, combiner, offsets) -> dict[str, dict]:
    return per_source(rows, *labels_of(x, combiner, offsets))


def dev_mean(figs: dict[str, dict]) -> float:
    """Mean macro-F1 over sources with at least 20 rows, as in the data card (calibration_neutral, fitted
    on only, left out)."""
    return float(np.mean([f["macro_f1"] for s, f in figs.items() if f["n"] >= 20 and s != "calibration_neutral"]))


def bare_weibo(model, cues: SubjectivityCues) -> Callable[[list[Example]], list[Example]]:
    """Run W's relabelling of the train split: an emoticon-stripped Weibo copy whose words hold no
    opinion (no lexicon word, no intensifier or exclamation, and ``model`` calls it neutral) was labelled
    by the emoticon that is gone; it becomes a neutral example (source "weibo_senti_100k+bare"), the
    social-register neutral text that no allowlisted corpus has."""
    cols = [cues.names.index("intensity"), cues.names.index("exclaim")]

    def relabel(train: list[Example]) -> list[Example]:
        idx = [i for i, r in enumerate(train) if r.source == "weibo_senti_100k+plain"]
        norm = normalize_many([train[i].text for i in idx])
        words = model._features(norm)[:, 3:5]
        emphasis = cues.matrix(norm)[:, cols]
        _, labels = model.classify_many([train[i].text for i in idx])
        out = list(train)
        for j, i in enumerate(idx):
            if not words[j].any() and not emphasis[j].any() and labels[j] == "neutral":
                out[i] = Example("weibo_senti_100k+bare", 1, train[i].text)
        print(f"relabelled {sum(r.source.endswith('+bare') for r in out)} of {len(idx)} bare Weibo copies neutral",
              file=sys.stderr, flush=True)
        return out

    return relabel


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=("dev", "heldout", "bare"))
    ap.add_argument("--model-dir", type=Path, default=BUILD / "models", help="where run W writes its model")
    ap.add_argument("--model", default="brandmon-lr@5")
    ap.add_argument("--corpora", type=Path, default=BUILD / "corpora.tsv")
    ap.add_argument("--only", default=",".join(CANDIDATES))
    ap.add_argument("--out", type=Path, default=BUILD / "subjectivity.json")
    args = ap.parse_args()
    t0 = time.perf_counter()
    model = get_scorer(args.model)
    cues = SubjectivityCues.load()
    if args.command == "bare":
        from monitor.nlp.sentiment_train import train_model

        out = train_model([], args.model_dir, name="brandmon-lr", version="w", corpora=args.corpora,
                          n_features=2**19, relabel=bare_weibo(model, cues),
                          progress=lambda s: print(s, file=sys.stderr, flush=True))
        print(f"wrote {args.model_dir}/brandmon-lr-w ({time.perf_counter() - t0:.0f}s); dev mean macro-F1 "
              f"{dev_mean(out.meta['figures']['dev']):.4f}", file=sys.stderr)
        return
    data = load_splits(args.corpora)
    dev = data["dev"] + [Example("calibration_neutral", 1, t) for t in read_lines(DATA_DIR / "calibration_neutral.txt")]
    w_subj, b_subj = fit_subjectivity(cues, data["train"])
    print(f"subjectivity weights {dict(zip(cues.names, np.round(w_subj, 2).tolist()))} bias {b_subj:.2f} "
          f"({time.perf_counter() - t0:.0f}s)", file=sys.stderr, flush=True)

    def feats(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        norm = normalize_many(texts)
        base = model._features(norm)
        cue_x = cues.matrix(norm)
        return base, cue_x, cue_x @ w_subj + b_subj

    dev_f = feats([r.text for r in dev])
    test_f = feats([r.text for r in data["test"]])
    report = json.loads(args.out.read_text(encoding="utf-8")) if args.out.is_file() else {}
    for kind in filter(None, args.only.split(",")):
        if kind == "shipped":
            combiner, offsets = model.combiner, model.label_bias
        else:
            combiner, offsets = head(columns(kind, *dev_f), dev, kind)
        dev_figs = figures_of(columns(kind, *dev_f), dev, combiner, offsets)
        test_figs = figures_of(columns(kind, *test_f), data["test"], combiner, offsets)
        entry = {"dev_mean_macro_f1": round(dev_mean(dev_figs), 4), "test_mean_macro_f1": round(dev_mean(test_figs), 4),
                 "offsets": offsets.round(2).tolist(), "dev": dev_figs, "test": test_figs,
                 "subjectivity": {"weights": dict(zip(cues.names, w_subj.round(4).tolist())), "bias": b_subj}}
        if args.command == "heldout":
            entry["heldout"] = {}
            for name in HELDOUT_SETS:
                rows = read_training_csv(HELDOUT / name)
                x = columns(kind, *feats([n.scored for n in pipeline_normalize([t for _, t in rows])]))
                scores, labels = labels_of(x, combiner, offsets)
                entry["heldout"][name] = evaluate([y for y, _ in rows], scores, labels).to_json()
        report[kind] = {**report.get(kind, {}), **entry}
        line = {k: entry[k] for k in ("dev_mean_macro_f1", "test_mean_macro_f1", "offsets")}
        line["dev_neutral"] = {s: dev_figs[s]["accuracy"] for s in ("news", "own_neutral", "calibration_neutral")}
        if "heldout" in entry:
            line["heldout"] = {n: [f[m] for m in ("macro_f1", "polar_accuracy", "negative_precision", "negative_recall")]
                               for n, f in entry["heldout"].items()}
        print(kind, json.dumps(line, ensure_ascii=False), file=sys.stderr, flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
