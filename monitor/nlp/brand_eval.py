"""How well a brand config finds its brands in labelled sentences: precision, recall and F1 over
(text, brand) pairs, with every miss, so PR staff can check a config before going live."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from monitor.nlp.evaluate import PairFigures


@dataclass(frozen=True)
class Miss:
    text: str
    missed: tuple[str, ...]  # labelled but not found
    wrong: tuple[str, ...]  # found but not labelled


@dataclass(frozen=True)
class BrandEvaluation(PairFigures):
    n: int
    true_positives: int
    false_positives: int
    false_negatives: int
    misses: tuple[Miss, ...] = field(default=())

    def to_json(self) -> dict:
        return {"n": self.n, "precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4), "true_positives": self.true_positives,
                "false_positives": self.false_positives, "false_negatives": self.false_negatives}


def read_labelled(path: Path) -> list[tuple[str, frozenset[str]]]:
    """Rows of a CSV with columns text,brands (brand names joined by |; empty: about none of them).
    Raises ValueError naming the file and line of the first problem."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = {"text", "brands"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: needs the columns text,brands (missing {', '.join(sorted(missing))})")
        rows = []
        for row in reader:
            if row["text"] is None or row["brands"] is None:
                raise ValueError(f"{path}:{reader.line_num}: expected text,brands")
            rows.append((row["text"], frozenset(b.strip() for b in row["brands"].split("|") if b.strip())))
    return rows


def evaluate_brands(match: Callable[[str], Sequence[str]], rows: Sequence[tuple[str, frozenset[str]]]) -> BrandEvaluation:
    tp = fp = fn = 0
    misses = []
    for text, labelled in rows:
        found = set(match(text))
        tp += len(found & labelled)
        fp += len(found - labelled)
        fn += len(labelled - found)
        if found != labelled:
            misses.append(Miss(text, tuple(sorted(labelled - found)), tuple(sorted(found - labelled))))
    return BrandEvaluation(len(rows), tp, fp, fn, tuple(misses))


def report_lines(result: BrandEvaluation) -> list[str]:
    lines = [f"precision {result.precision:.3f}   recall {result.recall:.3f}   F1 {result.f1:.3f}   "
             f"({result.n} texts; {result.true_positives} brand mentions found, {result.false_positives} wrongly, "
             f"{result.false_negatives} missed)"]
    if result.misses:
        lines += ["", "misses (- labelled but not found, + found but not labelled):"]
    for miss in result.misses:
        marks = [f"-{b}" for b in miss.missed] + [f"+{b}" for b in miss.wrong]
        lines.append(f"  {' '.join(marks):<14} {miss.text.replace(chr(10), ' ')[:160]}")
    return lines
