"""How well complaint categories are assigned on labelled sentences: precision and recall per category."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from monitor.nlp.evaluate import PairFigures


@dataclass(frozen=True)
class CategoryFigures(PairFigures):
    name: str
    true_positives: int
    false_positives: int
    false_negatives: int


@dataclass(frozen=True)
class CategoryEvaluation:
    n: int
    per_category: tuple[CategoryFigures, ...]
    misses: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]  # text, missed, wrong

    @property
    def micro(self) -> CategoryFigures:
        return CategoryFigures("all", *(sum(getattr(c, k) for c in self.per_category)
                                        for k in ("true_positives", "false_positives", "false_negatives")))

    def to_json(self) -> dict:
        micro = self.micro
        return {"n": self.n, "precision": round(micro.precision, 4), "recall": round(micro.recall, 4),
                "f1": round(micro.f1, 4),
                "macro_f1": round(sum(c.f1 for c in self.per_category) / max(1, len(self.per_category)), 4),
                "categories": {c.name: {"precision": round(c.precision, 4), "recall": round(c.recall, 4),
                                        "support": c.true_positives + c.false_negatives}
                               for c in self.per_category}}


def read_labelled(path: Path) -> list[tuple[str, frozenset[str]]]:
    """Rows of a CSV with columns text,categories (joined by |; empty: a complaint about none of them)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = {"text", "categories"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: needs the columns text,categories (missing {', '.join(sorted(missing))})")
        rows = []
        for row in reader:
            if row["text"] is None or row["categories"] is None:
                raise ValueError(f"{path}:{reader.line_num}: expected text,categories")
            rows.append((row["text"], frozenset(c.strip() for c in row["categories"].split("|") if c.strip())))
    return rows


def evaluate_categories(categorize: Callable[[Sequence[str]], list[list[str]]], names: Sequence[str],
                        rows: Sequence[tuple[str, frozenset[str]]]) -> CategoryEvaluation:
    counts = {name: [0, 0, 0] for name in names}
    misses = []
    for (text, labelled), found in zip(rows, categorize([t for t, _ in rows])):
        found = set(found)
        for name in names:
            if name in found and name in labelled:
                counts[name][0] += 1
            elif name in found:
                counts[name][1] += 1
            elif name in labelled:
                counts[name][2] += 1
        if found != labelled:
            misses.append((text, tuple(sorted(labelled - found)), tuple(sorted(found - labelled))))
    return CategoryEvaluation(len(rows), tuple(CategoryFigures(n, *counts[n]) for n in names), tuple(misses))


def report_lines(result: CategoryEvaluation) -> list[str]:
    micro = result.micro
    lines = [f"all categories: precision {micro.precision:.3f}   recall {micro.recall:.3f}   F1 {micro.f1:.3f}"
             f"   ({result.n} texts)", "", f"{'category':<12}{'precision':>10}{'recall':>8}{'support':>9}"]
    for c in result.per_category:
        lines.append(f"{c.name:<12}{c.precision:>10.3f}{c.recall:>8.3f}{c.true_positives + c.false_negatives:>9}")
    if result.misses:
        lines += ["", "misses (- labelled but not found, + found but not labelled):"]
    for text, missed, wrong in result.misses:
        marks = " ".join([f"-{c}" for c in missed] + [f"+{c}" for c in wrong])
        lines.append(f"  {marks:<24} {text.replace(chr(10), ' ')[:120]}")
    return lines
