"""How good a sentiment scorer is on labelled texts, and which stored mentions are worth labelling next."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.mention import Mention
from monitor.nlp.sentiment import LABELS


class PairFigures:
    """Precision, recall and F1 of anything that counts true_positives, false_positives and false_negatives
    over (text, label) pairs: the brand and the category evaluations share one definition."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        labelled = self.true_positives + self.false_negatives
        return self.true_positives / labelled if labelled else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Evaluation:
    """Three-way figures of the labels as called, plus positive-vs-negative accuracy of the score.

    ``confusion[actual][called]`` over negative, neutral, positive. Macro-F1 averages the classes that
    occur in the gold labels (a file of 0/1 labels is judged on negative and positive, and a text called
    neutral there is a miss). ``polar_accuracy`` cuts the score at 0.5 on the texts labelled negative or
    positive: how well the model tells praise from complaint, whatever the neutral band does.
    """

    n: int
    accuracy: float
    macro_f1: float
    f1: dict[str, float]
    negative_precision: float
    negative_recall: float
    polar_accuracy: float | None
    confusion: tuple[tuple[int, int, int], ...]

    def to_json(self) -> dict:
        return {"n": self.n, "accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4),
                "f1": {k: round(v, 4) for k, v in self.f1.items()},
                "negative_precision": round(self.negative_precision, 4),
                "negative_recall": round(self.negative_recall, 4),
                "polar_accuracy": None if self.polar_accuracy is None else round(self.polar_accuracy, 4),
                "confusion": [list(r) for r in self.confusion], "labels": list(LABELS)}


def evaluate(labels: Sequence[str], scores: Sequence[float], called: Sequence[str]) -> Evaluation:
    """labels: the gold negative|neutral|positive; scores: the polarity scores; called: the model's labels."""
    if not len(labels) == len(scores) == len(called):
        raise ValueError("one score and one called label per label")
    if not labels:
        raise ValueError("nothing to evaluate: no labelled texts")
    confusion = [[0, 0, 0] for _ in LABELS]
    for gold, label in zip(labels, called):
        confusion[LABELS.index(gold)][LABELS.index(label)] += 1
    f1 = {}
    for k, name in enumerate(LABELS):
        actual, said = sum(confusion[k]), sum(row[k] for row in confusion)
        if actual:
            f1[name] = 2 * confusion[k][k] / (actual + said)
    said_negative = sum(row[0] for row in confusion)
    polar = [(gold == "positive", s >= 0.5) for gold, s in zip(labels, scores) if gold != "neutral"]
    return Evaluation(
        n=len(labels), accuracy=sum(confusion[k][k] for k in range(len(LABELS))) / len(labels),
        macro_f1=sum(f1.values()) / len(f1), f1=f1,
        negative_precision=confusion[0][0] / said_negative if said_negative else 0.0,
        negative_recall=confusion[0][0] / sum(confusion[0]) if sum(confusion[0]) else 0.0,
        polar_accuracy=sum(a == b for a, b in polar) / len(polar) if polar else None,
        confusion=tuple(tuple(r) for r in confusion))


def report_lines(result: Evaluation) -> list[str]:
    """The figures as a person reads them."""
    width = max(11, len(str(result.n)) + 2)
    polar = "n/a" if result.polar_accuracy is None else f"{result.polar_accuracy:.3f}"
    lines = [
        f"accuracy {result.accuracy:.3f}   macro-F1 {result.macro_f1:.3f}   ({result.n} texts)",
        "F1 " + "   ".join(f"{k} {v:.3f}" for k, v in result.f1.items()),
        f"negative precision {result.negative_precision:.3f}   negative recall {result.negative_recall:.3f}",
        f"positive-vs-negative accuracy (score cut at 0.5) {polar}",
        "",
        f"{'':20}" + "".join(f"{'called ' + name:>{width + 7}}" for name in LABELS),
    ]
    for name, row in zip(LABELS, result.confusion):
        if sum(row):
            lines.append(f"{'actually ' + name:20}" + "".join(f"{v:>{width + 7}}" for v in row))
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
