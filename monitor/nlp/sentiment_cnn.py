"""The char-CNN sentiment model stacked with the n-gram LR ("brandmon-cnn"), run with onnxruntime.

A small convolutional network over character embeddings (trained with torch by
scripts/train_sentiment_cnn.py, exported to ONNX) reads character order and shares what it learned
between similar characters, which hashed n-grams cannot; its three logits join the LR logits and the
lexicon sums in the combiner. torch is needed only to train: scoring needs onnxruntime and numpy.

The network sees the first ``max_len`` characters of the normalized text; padded positions are masked,
so a text scores the same alone or in a batch. Texts are run in batches of similar length, so one long
post does not make the whole batch pay for its padding.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from monitor.nlp.sentiment import LABELS, LexiconLRScorer

_PAD, _UNKNOWN = 0, 1
_BATCH = 256  # texts per onnxruntime call: long enough to amortise the call, short enough to pad little
_CODEPOINTS = 0x110000


class CharEncoder:
    """Characters → ids (0 padding, 1 unknown, then the vocabulary), by one table lookup per batch."""

    def __init__(self, chars: str, max_len: int):
        if max_len < 1:
            raise ValueError(f"max_len must be at least 1, got {max_len}")
        self.chars, self.max_len = chars, int(max_len)
        self._table = np.full(_CODEPOINTS, _UNKNOWN, dtype=np.int32)
        self._table[np.fromiter((ord(c) for c in chars), dtype=np.int64, count=len(chars))] = \
            np.arange(2, len(chars) + 2)

    @classmethod
    def fit(cls, texts: Sequence[str], min_count: int, max_size: int, max_len: int) -> CharEncoder:
        """The ``max_size`` most frequent characters seen at least ``min_count`` times in normalized texts."""
        from monitor.nlp.sentiment import normalize_many

        counts = Counter("".join(normalize_many(texts)))
        counts.pop("\x00", None)
        kept = [c for c, n in counts.most_common(max_size) if n >= min_count]
        return cls("".join(kept), max_len)

    def encode_rows(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Ids of each normalized text's first max_len characters; an empty text is one unknown character."""
        from monitor.nlp.sentiment import normalize_many

        return self.encode_normalized(normalize_many(texts))

    def encode_normalized(self, norm: Sequence[str]) -> list[np.ndarray]:
        heads = [t[:self.max_len] or "\x00" for t in norm]
        # utf-32 gives one code unit per character; surrogatepass keeps a lone surrogate as one (unknown) unit
        codes = np.frombuffer("".join(heads).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        ids = self._table[codes]
        ids[codes == 0] = _UNKNOWN
        return np.split(ids, np.cumsum([len(h) for h in heads])[:-1])

    @staticmethod
    def pad(rows: Sequence[np.ndarray]) -> np.ndarray:
        out = np.zeros((len(rows), max((len(r) for r in rows), default=1)), dtype=np.int64)
        for i, r in enumerate(rows):
            out[i, :len(r)] = r
        return out

    def to_json(self) -> dict:
        return {"chars": self.chars, "max_len": self.max_len}

    @classmethod
    def from_json(cls, data: dict) -> CharEncoder:
        return cls(data["chars"], data["max_len"])


class CharCnnLRScorer(LexiconLRScorer):
    """LR logits, lexicon sums and the CNN's logits, mixed by one combiner (columns: lr 3, lexicon 4, cnn 3)."""

    KIND = "char-cnn+lr"
    FORMAT = 1
    OWN_KEYS = ("encoder", "onnx")

    def __init__(self, *args, encoder: CharEncoder, onnx_model: bytes, **kwargs):
        import onnxruntime

        self.encoder = encoder
        self._onnx = onnx_model
        options = onnxruntime.SessionOptions()
        # one thread: the daemon scales by worker processes, and the bench counts CPU seconds
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(onnx_model, options, providers=["CPUExecutionProvider"])
        super().__init__(*args, **kwargs)
        if self.combiner.shape != (len(LABELS), 11):
            raise ValueError(f"combiner must be 3 x 11 (lr 3, lexicon 4, cnn 3, bias), got {self.combiner.shape}")

    def cnn_logits(self, norm: Sequence[str]) -> np.ndarray:
        """The CNN's three logits per normalized text, run in batches of similar length."""
        rows = self.encoder.encode_normalized(norm)
        out = np.zeros((len(rows), len(LABELS)), dtype=np.float32)
        order = np.argsort([len(r) for r in rows], kind="stable")
        for i in range(0, len(order), _BATCH):
            part = order[i:i + _BATCH]
            out[part] = self._session.run(None, {"ids": self.encoder.pad([rows[j] for j in part])})[0]
        return out

    def _features(self, norm: Sequence[str]) -> np.ndarray:
        return np.hstack([super()._features(norm), self.cnn_logits(norm)])

    def _save_extra(self, out: Path) -> dict:
        (out / "cnn.onnx").write_bytes(self._onnx)
        return {"encoder": self.encoder.to_json(), "onnx": "cnn.onnx"}

    @classmethod
    def _load_extra(cls, path: Path, meta: dict) -> dict:
        return {"encoder": CharEncoder.from_json(meta["encoder"]), "onnx_model": (path / meta["onnx"]).read_bytes()}
