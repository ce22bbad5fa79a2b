"""The char-CNN + LR sentiment scorer (monitor/nlp/sentiment_cnn.py), run with onnxruntime.

brandmon-cnn@1 did not beat brandmon-lr@4 on the held-out sets, so it is not shipped (runs I and J in
the data card of brandmon-lr-5). These tests run the same code on a tiny CNN exported by the same training script
(tests/fixtures/sentiment_cnn/, see its train.json), stacked with the shipped LR model.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from monitor.nlp.models import model_path
from monitor.nlp.sentiment import LABELS, LexiconLRScorer, get_scorer
from monitor.nlp.sentiment_cnn import CharCnnLRScorer, CharEncoder
from tests.nlp.test_sentiment import COMPLAINTS, PRAISE

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sentiment_cnn"
NAME = "tiny-cnn"
GARBAGE = [
    "",
    " \t\n",
    "\x00\x01\x1b[31m红色\x1b[0m\x7f",
    "\u202e反向文字\u202c\u200f",
    "\ud800孤立代理\udfff",
    "😡😡😡" * 40,
    "[怒]" * 300,
    "a" * 5000,
    "%PDF-1.4 \x89PNG\r\n\x1a\n" + "".join(chr(c) for c in range(0x2500, 0x2600)),
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """The tiny CNN stacked with brandmon-lr: the LR's combiner, plus a small weight on the CNN's logits."""
    lr = get_scorer("brandmon-lr")
    combiner = np.zeros((3, 11))
    combiner[:, :7], combiner[:, -1] = lr.combiner[:, :7], lr.combiner[:, -1]
    combiner[:, 7:10] = 0.2 * np.eye(3)
    encoder = CharEncoder.from_json(json.loads((FIXTURE / "encoder.json").read_text(encoding="utf-8")))
    model = CharCnnLRScorer(NAME, "1", lr.coef, lr.intercept, lr.lexicon, combiner, lr.label_bias, lr.orders,
                            encoder=encoder, onnx_model=(FIXTURE / "cnn.onnx").read_bytes())
    out = tmp_path_factory.mktemp("models")
    model.save(out)
    return out


@pytest.fixture(scope="module")
def cnn(model_dir):
    return get_scorer(NAME, model_dir)


def test_a_saved_model_loads_by_name_and_reads_with_the_cnn(cnn, model_dir):
    assert isinstance(cnn, CharCnnLRScorer) and (cnn.name, cnn.version) == (NAME, "1")
    assert sorted(p.name for p in (model_dir / "tiny-cnn-1").iterdir()) == ["cnn.onnx", "model.json", "weights.npz"]
    assert cnn.combiner.shape == (3, 11)
    logits = cnn.cnn_logits(["质量太差了", "非常满意"])
    assert logits.shape == (2, 3) and not np.array_equal(logits[0], logits[1])


def test_clear_complaints_and_praise_get_their_label(cnn):
    scores, labels = cnn.classify_many(COMPLAINTS + PRAISE)
    assert labels == ["negative"] * len(COMPLAINTS) + ["positive"] * len(PRAISE), list(zip(labels, scores))


def test_all_three_labels_are_called(cnn):
    labels = cnn.classify_many([COMPLAINTS[0], "请问这款车的保养周期是多久，一次大概多少钱", PRAISE[0]])[1]
    assert labels == list(LABELS)


def test_a_text_scores_the_same_alone_as_in_a_batch_of_other_lengths(cnn):
    texts = COMPLAINTS + PRAISE + GARBAGE + ["短", "这家店" * 60]
    batch_scores, batch_labels = cnn.classify_many(texts)
    for text, score, label in zip(texts, batch_scores, batch_labels):
        alone_score, alone_label = cnn.classify_many([text])
        assert alone_label == [label] and alone_score[0] == pytest.approx(score, abs=1e-5), text[:20]


def test_empty_huge_and_garbage_text_get_a_score_and_a_label(cnn):
    texts = GARBAGE + ["差" * 1_000_000]
    scores, labels = cnn.classify_many(texts)
    assert len(scores) == len(labels) == len(texts)
    assert all(0.0 <= s <= 1.0 for s in scores) and set(labels) <= set(LABELS)
    assert cnn.classify_many([]) == ([], [])


def test_the_cnn_reads_only_the_head_of_a_long_text(cnn):
    head = "质量太差了，" * 20
    assert len(head) > cnn.encoder.max_len
    a, b = cnn.cnn_logits([head, head + "非常满意" * 100])
    assert np.array_equal(a, b)


def test_the_encoder_maps_unknown_characters_and_pads_with_zero():
    enc = CharEncoder("好差", max_len=4)
    rows = enc.encode_normalized(["好差好差好", "", "龘好"])
    assert [r.tolist() for r in rows] == [[2, 3, 2, 3], [1], [1, 2]]
    assert enc.pad(rows).tolist() == [[2, 3, 2, 3], [1, 0, 0, 0], [1, 2, 0, 0]]


def test_a_network_that_no_longer_reproduces_its_probes_refuses_to_load(model_dir, tmp_path):
    broken = tmp_path / "tiny-cnn-1"
    shutil.copytree(model_dir / "tiny-cnn-1", broken)
    meta = json.loads((broken / "model.json").read_text(encoding="utf-8"))
    meta["encoder"]["chars"] = meta["encoder"]["chars"][::-1]  # every character now means another one
    (broken / "model.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match="probe"):
        CharCnnLRScorer.load(broken)


def test_each_loader_refuses_the_other_kind_with_a_clear_reason(model_dir):
    with pytest.raises(ValueError, match="char-cnn"):
        LexiconLRScorer.load(model_dir / "tiny-cnn-1")
    with pytest.raises(ValueError, match="need char-cnn"):
        CharCnnLRScorer.load(model_path("brandmon-lr"))
