"""Hashed character n-grams of a whole batch at once, in numpy: the features of the sentiment model and
of the near-duplicate signatures. Stable across processes and Python versions (no `hash()`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

M1, M2, GOLDEN = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB), np.uint64(0x9E3779B97F4A7C15)


def mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads a value's bits over all 64."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * M1
        x = (x ^ (x >> np.uint64(27))) * M2
    return x ^ (x >> np.uint64(31))


def ngram_hashes(texts: Sequence[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every character n-gram of each text, and the index of the text each came from.

    Texts shorter than n have none. The owner array is sorted, so per-text reductions can use reduceat.
    """
    joined = "\x00".join(t.replace("\x00", " ") for t in texts) + "\x00" * n
    cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])) if len(texts) else lengths
    m = len(cp) - n
    owner = np.repeat(np.arange(len(texts)), lengths + 1)[:m]
    keep = lengths[owner] - (np.arange(m) - starts[owner]) >= n
    h = np.full(m, (n * int(GOLDEN)) & 0xFFFFFFFFFFFFFFFF, dtype=np.uint64)
    for j in range(n):
        h = mix(h ^ cp[j:j + m])
    return h[keep], owner[keep]
