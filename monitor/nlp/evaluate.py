"""How good a sentiment scorer is on labelled texts, and which stored mentions are worth labelling next."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.mention import Mention
from monitor.nlp.sentiment import label_for

LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Evaluation:
    """Binary figures at a 0.5 cut-off, plus where the configured three-way labels put each class."""

    n: int
    accuracy: float
    macro_f1: float
    confusion: tuple[tuple[int, int], tuple[int, int]]  # [actual negative/positive][called negative/positive]
    labelled: tuple[tuple[int, int, int], tuple[int, int, int]]  # [actual][negative, neutral, positive]

    def to_json(self) -> dict:
        return {"n": self.n, "accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4),
                "confusion": [list(r) for r in self.confusion], "labelled": [list(r) for r in self.labelled]}


def evaluate(labels: Sequence[int], scores: Sequence[float], negative_below: float = 0.3,
             positive_above: float = 0.6) -> Evaluation:
    """labels: 1 positive, 0 negative; scores: P(positive)."""
    if len(labels) != len(scores):
        raise ValueError("one score per label")
    if not labels:
        raise ValueError("nothing to evaluate: no labelled texts")
    confusion = [[0, 0], [0, 0]]
    labelled = [[0, 0, 0], [0, 0, 0]]
    for y, s in zip(labels, scores):
        confusion[y][int(s >= 0.5)] += 1
        labelled[y][LABELS.index(label_for(s, negative_below, positive_above))] += 1
    f1 = []
    for c in (0, 1):
        tp = confusion[c][c]
        called, actual = confusion[0][c] + confusion[1][c], sum(confusion[c])
        f1.append(2 * tp / (called + actual) if called + actual else 0.0)
    correct = confusion[0][0] + confusion[1][1]
    return Evaluation(len(labels), correct / len(labels), sum(f1) / 2,
                      (tuple(confusion[0]), tuple(confusion[1])), (tuple(labelled[0]), tuple(labelled[1])))


def report_lines(result: Evaluation, negative_below: float, positive_above: float) -> list[str]:
    """The figures as a person reads them."""
    (tn, fp), (fn, tp) = result.confusion
    width = len(str(result.n))
    lines = [
        f"accuracy {result.accuracy:.3f}   macro-F1 {result.macro_f1:.3f}   ({result.n} texts, cut-off 0.5)",
        "",
        f"{'':20}{'called negative':>17}{'called positive':>17}",
        f"{'actually negative':20}{tn:>17}{fp:>17}",
        f"{'actually positive':20}{fn:>17}{tp:>17}",
        "",
        f"with the configured labels (negative < {negative_below}, positive > {positive_above}):",
        f"{'':20}" + "".join(f"{name:>{max(11, width + 2)}}" for name in LABELS),
    ]
    for name, row in zip(("actually negative", "actually positive"), result.labelled):
        lines.append(f"{name:20}" + "".join(f"{v:>{max(11, width + 2)}}" for v in row))
    return lines


def uncertain(mentions: Iterable[Mention], n: int) -> list[Mention]:
    """The n scored mentions closest to the 0.5 decision boundary, one per story (cluster) and text."""
    seen: set[str] = set()
    out = []
    for m in sorted((m for m in mentions if m.sentiment is not None), key=lambda m: abs(m.sentiment - 0.5)):
        keys = {m.cluster_id or m.id, m.text.strip()}
        if keys & seen:
            continue
        seen |= keys
        out.append(m)
        if len(out) == n:
            break
    return out
