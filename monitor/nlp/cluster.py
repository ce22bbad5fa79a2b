"""Near-duplicates and reposts collapse into one story: every mention gets a cluster id and the cluster's size.

Near-identical texts are found by MinHash over character 3-grams of the mention's words, brand names
left out (every mention of a brand shares those, so they say nothing about the story) and so are
punctuation, emoticons, @handles and links. 32 16-bit minimums per text; LSH in 16 bands of 2 finds
candidates, and a candidate whose estimated Jaccard similarity is at least 0.5 joins. A repost joins
its original's cluster by the native parent id, however much the reposter added.

The index of recent members lives in the store's named state, so a story keeps its cluster across
batches and restarts, and a re-crawled mention is not counted twice. `cluster_size` is the cluster's
size when the mention was stored: the newest member carries the total. Rules that count stories
rather than mentions use `Query(unique=True)` (distinct cluster ids).
"""

from __future__ import annotations

import base64
import logging
from collections import OrderedDict
from collections.abc import Iterable, Sequence

import numpy as np

from monitor.mention import Mention
from monitor.nlp.hashing import M1, M2, ngram_hashes
from monitor.nlp.normalize import fold

log = logging.getLogger(__name__)

STATE_KEY = "nlp.clusters"
SEGMENT = 1000  # members per saved segment: what one batch rewrites at most, besides full ones
SIMILARITY = 0.5  # estimated Jaccard of 3-gram sets; see tests/nlp/test_cluster.py for what joins
_K, _ROWS = 32, 2
_SHINGLE = 3
_SEEDS = np.random.default_rng(20261123).integers(1, 2**63, size=(2, _K), dtype=np.uint64)
_A, _B = _SEEDS[0] | np.uint64(1), _SEEDS[1]
_S30, _S27, _S48 = np.uint64(30), np.uint64(27), np.uint64(48)


def signatures(texts: Sequence[str]) -> np.ndarray:
    """MinHash of each text's character 3-grams: 32 16-bit minimums per text; all zero for a text shorter
    than a 3-gram, which is then too short to tell a story and never joins one."""
    out = np.zeros((len(texts), _K), dtype=np.uint16)
    step = 200  # keeps the 3-grams × 32 hashes matrix (~5 MB) in cache: three times faster than 1,000
    for i in range(0, len(texts), step):
        gram, owner = ngram_hashes(texts[i:i + step], _SHINGLE)
        if len(gram):
            with np.errstate(over="ignore"):
                x = gram[:, None] * _A[None, :]
                x += _B[None, :]
                hashed = _top16_of_mix(x)
            cuts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
            out[i + owner[cuts]] = np.minimum.reduceat(hashed, cuts, axis=0)
    return out


def _top16_of_mix(x: np.ndarray) -> np.ndarray:
    """`mix(x) >> 48` as uint16, in place (x is overwritten): the finaliser's last xor-shift (>> 31) cannot
    reach the top 16 bits, so it is skipped."""
    x ^= x >> _S30
    x *= M1
    x ^= x >> _S27
    x *= M2
    x >>= _S48
    return x.astype(np.uint16)


class ClusterIndex:
    """Recent members (mention id → MinHash row, cluster id) and cluster sizes, optionally kept in a store.

    The store holds the members in segments of SEGMENT, newest last, under STATE_KEY.<slot>, with
    STATE_KEY naming the live range: a batch rewrites only the newest segment, never the whole index.
    """

    def __init__(self, store=None, ignore: Iterable[str] = (), max_members: int = 20_000,
                 segment: int = SEGMENT) -> None:
        self._store = store
        self._ignore = {fold(t) for t in ignore}
        self._max = max_members
        self._rows: OrderedDict[str, int] = OrderedDict()  # oldest first
        self._sigs = np.zeros((max_members, _K), dtype=np.uint16)
        self._clusters: list[str] = [""] * max_members
        self._free = list(range(max_members - 1, -1, -1))
        self._bands: dict[bytes, set[int]] = {}
        self._sizes: dict[str, int] = {}
        self._loaded = store is None
        self._per_segment = segment
        self._keep = -(-max_members // segment) + 1  # segments that always cover max_members
        self._first = self._last = 0
        self._segment: list[list] = []  # records of segment self._last
        self._unsaved: dict[int, list[list]] = {}

    def story_text(self, mention: Mention) -> str:
        """What is compared: the mention's words without brand names (or its text when it has no words)."""
        words = [t for t in mention.tokens if t.lower() not in self._ignore]
        return "".join(words) if mention.tokens else mention.text

    def assign(self, mentions: Sequence[Mention]) -> None:
        """Set cluster_id and cluster_size on each mention, in order, and save what changed."""
        self._load()
        texts = [self.story_text(m) for m in mentions]
        for mention, sig in zip(mentions, signatures(texts)):
            row = self._rows.get(mention.id)
            if row is not None:  # a re-crawl: same story, not a new member
                self._rows.move_to_end(mention.id)
                cluster = self._clusters[row]
            else:
                cluster = self._cluster_for(mention, sig if sig.any() else None)
                self._add(mention.id, sig, cluster)
                self._sizes[cluster] = self._sizes.get(cluster, 0) + 1
                self._record([mention.id, base64.b64encode(sig.tobytes()).decode(), cluster, self._sizes[cluster]])
            mention.cluster_id, mention.cluster_size = cluster, self._sizes[cluster]
        if len(self._sizes) > 2 * self._max:
            live = {self._clusters[row] for row in self._rows.values()}
            self._sizes = {c: n for c, n in self._sizes.items() if c in live}
        self._save()

    def _cluster_for(self, mention: Mention, sig: np.ndarray | None) -> str:
        if mention.content_type == "repost" and mention.parent_id:
            parent = self._rows.get(mention.parent_id)
            return self._clusters[parent] if parent is not None else mention.parent_id
        if mention.id in self._sizes or sig is None:  # reposts of this mention arrived before it did
            return mention.id
        candidates = set().union(*(self._bands.get(key, ()) for key in _band_keys(sig)))
        if not candidates:
            return mention.id
        rows = np.fromiter(candidates, dtype=np.int64, count=len(candidates))
        shared = (self._sigs[rows] == sig).sum(axis=1)
        best = int(np.argmax(shared))
        return self._clusters[rows[best]] if shared[best] >= SIMILARITY * _K else mention.id

    def _add(self, mention_id: str, sig: np.ndarray, cluster: str) -> None:
        if not self._free:
            self._evict_oldest()
        row = self._free.pop()
        self._rows[mention_id] = row
        self._sigs[row], self._clusters[row] = sig, cluster
        if sig.any():
            for key in _band_keys(sig):
                self._bands.setdefault(key, set()).add(row)

    def _evict_oldest(self) -> None:
        _, row = self._rows.popitem(last=False)
        for key in _band_keys(self._sigs[row]):
            members = self._bands.get(key)
            if members is not None:
                members.discard(row)
                if not members:
                    del self._bands[key]
        self._free.append(row)

    # persistence
    def _slot(self, segment: int) -> str:
        return f"{STATE_KEY}.{segment % self._keep}"

    def _record(self, record: list) -> None:
        if len(self._segment) >= self._per_segment:
            self._last += 1
            self._segment = []
            self._first = max(self._first, self._last - self._keep + 1)
        self._segment.append(record)
        self._unsaved[self._last] = self._segment

    def _save(self) -> None:
        if self._store is None or not self._unsaved:
            return
        try:
            for segment, records in sorted(self._unsaved.items()):
                if segment >= self._first:
                    self._store.put_state(self._slot(segment), records)
            self._store.put_state(STATE_KEY, {"v": 1, "segments": [self._first, self._last]})
            self._unsaved = {}
        except Exception as exc:  # the clusters are set; the next batch tries again
            log.warning("could not save the cluster index: %s", exc)

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        head = self._store.get_state(STATE_KEY)
        if not isinstance(head, dict) or head.get("v") != 1:
            return
        first, last = head["segments"]
        self._first = max(first, last - self._keep + 1)
        for segment in range(self._first, last + 1):
            records = self._store.get_state(self._slot(segment)) or []
            for mention_id, sig, cluster, size in records:
                if mention_id not in self._rows:
                    self._add(mention_id, np.frombuffer(base64.b64decode(sig), dtype=np.uint16), cluster)
                self._sizes[cluster] = max(self._sizes.get(cluster, 0), size)
            self._last, self._segment = segment, records


def _band_keys(sig: np.ndarray) -> list[bytes]:
    raw = sig.tobytes()
    step = 2 * _ROWS
    return [bytes([i]) + raw[i * step:(i + 1) * step] for i in range(_K // _ROWS)]
