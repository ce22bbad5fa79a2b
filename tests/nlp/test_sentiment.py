"""Behavioural tests for the sentiment scorers, model files and crisis-term detector."""

import json

import numpy as np
import pytest

from monitor.nlp.sentiment import (
    DATA_DIR,
    DEFAULT_SCORER,
    LABELS,
    LexiconLRScorer,
    classify,
    crisis_terms,
    crisis_terms_many,
    get_scorer,
    label_for,
    read_labelled_txt,
    read_training_csv,
    strip_emoticons,
)
from monitor.nlp.sentiment_train import (
    TRAIN_ONLY, Example, builtin_sources, calibrate_label_bias, examples, split_of, train_model,
)

COMPLAINTS = [
    "等了两个小时外卖还没到，客服电话打不通，太坑了",
    "质量太差了，用了三天就坏了，要求退款",
    "这家店服务态度恶劣，再也不来了[怒]",
    "垃圾产品，虚假宣传，大家避雷",
    "不推荐，味道很一般还特别贵",
    "买完就降价，客服还不给价保，吃相难看",
]
PRAISE = [
    "物流很快，包装完好，东西很好用，五星好评",
    "味道超级好，分量也足，下次还点",
    "客服很耐心，问题很快就解决了，点赞[赞]",
    "酒店干净整洁，前台服务热情，推荐入住",
    "这款面霜太好用了，已经回购三次",
    "性价比很高，做工精细，非常满意",
]


@pytest.fixture(scope="module")
def default():
    return get_scorer()


def test_default_is_named_and_versioned(default):
    assert default.name == DEFAULT_SCORER == "brandmon-lr"
    assert default.version


def test_clear_complaints_negative_and_praise_positive(default):
    scores, labels = default.classify_many(COMPLAINTS + PRAISE)
    assert labels == ["negative"] * len(COMPLAINTS) + ["positive"] * len(PRAISE), list(zip(labels, scores))
    assert max(scores[:len(COMPLAINTS)]) < 0.3 < 0.7 < min(scores[len(COMPLAINTS):]), scores


def test_plain_notices_and_questions_are_mostly_neutral(default):
    """calibration_neutral.txt is hand-written and never trained on."""
    labels = default.classify_many([t for t in (DATA_DIR / "calibration_neutral.txt").read_text(
        encoding="utf-8").splitlines() if t and not t.startswith("#")])[1]
    assert labels.count("neutral") / len(labels) >= 0.6, {k: labels.count(k) for k in LABELS}


def test_probabilities_sum_to_one_and_the_score_is_their_polarity(default):
    p = default.proba_many(COMPLAINTS[:2] + [""])
    assert p.shape == (3, 3) and np.allclose(p.sum(axis=1), 1.0)
    assert default.score_many(COMPLAINTS[:2] + [""]) == pytest.approx((p[:, 2] + p[:, 1] / 2).tolist())


def test_configured_cut_offs_label_by_the_score_instead(default):
    scores, labels = classify(default, COMPLAINTS[:1] + PRAISE[:1], 0.0, 1.0)
    assert labels == ["neutral", "neutral"] and scores == default.score_many(COMPLAINTS[:1] + PRAISE[:1])
    assert classify(default, PRAISE[:1]) == default.classify_many(PRAISE[:1])


def test_scores_are_floats_in_unit_interval(default):
    texts = COMPLAINTS + PRAISE + ["", " ", "。", "@某人 https://t.cn/abc", "😡", "[哈哈]" * 50]
    scores = default.score_many(texts)
    assert len(scores) == len(texts)
    assert all(isinstance(s, float) and 0.0 <= s <= 1.0 for s in scores)
    assert default.score(PRAISE[0]) == pytest.approx(scores[len(COMPLAINTS)])
    assert default.score_many([]) == []


def test_negation_and_emoticons_move_the_score(default):
    assert default.score("不满意") < 0.5 < default.score("很满意")
    assert default.score("又下雨了[泪]") < 0.5 < default.score("又下雨了[哈哈]")


def test_heldout_accuracy_guard(default):
    """Regression guard on our hand-written held-out sets (never trained on)."""
    for fname in ("heldout_social.txt", "heldout_reviews.txt"):
        rows = read_labelled_txt(DATA_DIR / fname)
        scores = default.score_many([t for _, t in rows])
        acc = np.mean([(s >= 0.5) == bool(y) for s, (y, _) in zip(scores, rows)])
        assert acc >= 0.85, (fname, acc)


def test_emoticons_and_emoji_are_stripped_to_the_words():
    assert strip_emoticons("又下雨了[泪][泪] 😭") == "又下雨了"
    assert strip_emoticons("[哈哈]") == ""
    assert strip_emoticons("价格[约]100元") == "价格100元"


def test_split_keeps_a_post_and_its_stripped_copy_together():
    data = examples({"weibo": [(0, "又下雨了，不想上班[泪]"), (2, "今天升职加薪[哈哈]")] +
                     [(1, f"第{i}条通知") for i in range(40)]})
    for split, rows in data.items():
        assert all(split_of(r.text) == split for r in rows)
    plain = [r for rows in data.values() for r in rows if r.source == "weibo+plain"]
    assert sorted(r.text for r in plain) == ["今天升职加薪", "又下雨了，不想上班"]
    assert sum(len(v) for v in data.values()) == 44


def test_train_only_sources_are_trained_on_whole_and_never_measured():
    """Written posts kept out of dev: their near twins in train made neutral look easy to the band fit."""
    texts = [f"第{i}条车主保养记录，跑了{i}千公里" for i in range(60)]
    data = examples({"own_car": [(1, t) for t in texts], "news": [(1, t) for t in texts]})
    assert sorted(r.text for r in data["train"] if r.source == "own_car") == sorted(texts)
    assert not [r for r in data["dev"] + data["test"] if r.source == "own_car"]
    assert {split for split, rows in data.items() if any(r.source == "news" for r in rows)} == {"train", "dev", "test"}


def test_the_shipped_sources_include_the_written_train_only_posts():
    sources = builtin_sources(news_limit=10)
    assert TRAIN_ONLY <= set(sources)
    assert all(sources[s] for s in TRAIN_ONLY)
    assert {y for s in TRAIN_ONLY - {"own_social2"} for y, _ in sources[s]} == {1}  # neutral files
    assert {y for y, _ in sources["own_social2"]} == {0, 2}


def test_label_offsets_are_fitted_to_the_data():
    """A model that is shy of calling neutral gets the neutral band widened by the calibration."""
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 200)
    p = np.full((600, 3), 0.1)
    p[np.arange(600), y] = 0.5
    p[y == 1, 0] += 0.5  # neutral texts lean negative: plain argmax calls them complaints
    p /= p.sum(axis=1, keepdims=True)
    p = np.clip(p + rng.normal(0, 0.02, p.shape), 1e-3, None)
    bias = calibrate_label_bias(p, y, np.ones(600))
    picks = np.argmax(np.log(p) + bias, axis=1)
    assert (picks == y).mean() > 0.9 > (np.argmax(p, axis=1) == y).mean()


def test_label_for_buckets():
    assert label_for(0.1, 0.35, 0.65) == "negative"
    assert label_for(0.5, 0.35, 0.65) == "neutral"
    assert label_for(0.9, 0.35, 0.65) == "positive"
    assert label_for(0.35, 0.35, 0.65) == "neutral"
    with pytest.raises(ValueError):
        label_for(0.5, 0.7, 0.3)


def test_unknown_scorer_lists_known_names():
    with pytest.raises(ValueError) as err:
        get_scorer("nope")
    assert "snownlp" in str(err.value) and DEFAULT_SCORER in str(err.value)


def test_snownlp_scorer():
    scorer = get_scorer("snownlp")
    assert scorer.name == "snownlp"
    scores = scorer.score_many(["很好用，推荐", ""])
    assert all(0.0 <= s <= 1.0 for s in scores) and scores[1] == 0.5


def _write_csv(path, n=15, neutral=False):
    pos = ["这个牌子的服务真好{}", "物流很快很满意{}", "味道不错下次还来{}"]
    neg = ["这个牌子的服务太差{}", "物流太慢很失望{}", "味道难吃再也不来{}"]
    neu = ["请问门店几点开门{}", "快递明天发货{}", "这款有两种颜色{}"]
    lines = ["label,text"]
    for i in range(n):
        lines += [f"1,{pos[i % 3].format(i)}", f"negative,\"{neg[i % 3].format(i)}\""]
        if neutral:
            lines.append(f"neutral,{neu[i % 3].format(i)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_train_save_load_round_trip(tmp_path):
    csv_path = tmp_path / "labels.csv"
    _write_csv(csv_path, neutral=True)
    rows = read_training_csv(csv_path)
    assert len(rows) == 45 and {y for y, _ in rows} == set(LABELS)
    model_dir = tmp_path / "models"
    trained = train_model(rows, model_dir, base=None, name="acme", n_features=2**16)
    assert (trained.name, trained.version) == ("acme", "1")
    assert (model_dir / "acme-1" / "model.json").is_file()
    with np.load(model_dir / "acme-1" / "weights.npz", allow_pickle=False) as w:
        assert set(w.files) == {"index", "value"}

    probe = ["服务真好", "物流太慢了", "请问几点开门", ""]
    loaded = get_scorer("acme", model_dir)
    assert (loaded.name, loaded.version) == ("acme", "1")
    assert loaded.score_many(probe) == pytest.approx(trained.score_many(probe), abs=1e-9)
    assert loaded.classify_many(probe[:3])[1] == ["positive", "negative", "neutral"]

    second = train_model(rows[:-2], model_dir, base=None, name="acme", n_features=2**16)
    assert second.version == "2"
    assert get_scorer("acme", model_dir).version == "2"
    assert get_scorer("acme@1", model_dir).version == "1"
    assert get_scorer(None, model_dir).name == DEFAULT_SCORER  # shipped default still reachable


def test_a_model_of_two_labels_never_calls_the_third(tmp_path):
    csv_path = tmp_path / "labels.csv"
    _write_csv(csv_path)
    model = train_model(read_training_csv(csv_path), tmp_path, base=None, name="acme", n_features=2**16)
    assert set(model.classify_many(["请问门店几点开门", "服务真好", "物流太慢"])[1]) <= {"negative", "positive"}
    assert model.score("服务真好") > 0.5 > model.score("物流太慢了")


def test_a_relabel_hook_rewrites_the_train_split_before_the_fit(tmp_path):
    csv_path = tmp_path / "labels.csv"
    _write_csv(csv_path, neutral=True)
    seen = []

    def complaints_become_neutral(train):
        seen.append(len(train))
        return [Example(r.source, 1, r.text) if r.label == 0 else r for r in train]

    model = train_model(read_training_csv(csv_path), tmp_path, base=None, name="acme", n_features=2**16,
                        relabel=complaints_become_neutral)
    assert seen == [45]
    assert model.classify_many(["物流太慢很失望", "物流很快很满意"])[1] == ["neutral", "positive"]
    assert model.proba_many(["物流太慢很失望"])[0, 0] < 0.01  # no negative row was left to learn from


def test_model_that_no_longer_reproduces_probes_refuses_to_load(tmp_path):
    csv_path = tmp_path / "labels.csv"
    _write_csv(csv_path)
    train_model(read_training_csv(csv_path), tmp_path, base=None, name="acme", n_features=2**16)
    meta_path = tmp_path / "acme-1" / "model.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    first = next(iter(meta["probes"]))
    meta["probes"][first] = meta["probes"][first][::-1]
    meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match="probe"):
        LexiconLRScorer.load(tmp_path / "acme-1")


def test_training_rejects_bad_input(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("label,text\n2,好\n", encoding="utf-8")
    with pytest.raises(ValueError, match="label"):
        read_training_csv(bad)
    with pytest.raises(ValueError, match="each label"):
        train_model([("positive", "好")] * 3 + [("negative", "差")] * 3, tmp_path, base=None)
    with pytest.raises(ValueError, match="base"):
        train_model([("positive", "好")], tmp_path, base="other")
    with pytest.raises(ValueError, match="label must be one of"):
        train_model([("good", "好")] * 20, tmp_path, base=None)


def test_crisis_terms_found():
    assert crisis_terms("这家店虚假宣传，我要投诉！") == ["虚假宣传", "投诉"]
    assert crisis_terms("吃完他家的外卖全家食物中毒") == ["食物中毒"]
    assert crisis_terms("3·15晚会曝光了这个品牌") == ["曝光"]
    assert crisis_terms("315曝光，投诉，再投诉") == ["315", "曝光", "投诉"]
    assert crisis_terms("新车刚买就自燃了") == ["自燃"]
    assert crisis_terms("今天天气真好") == []


def test_a_crisis_number_counts_only_as_a_number_of_its_own():
    assert crisis_terms("打12315投诉了") == ["12315", "投诉"]
    assert crisis_terms("等315晚会吧") == ["315"]
    assert crisis_terms("用了315天，还行") == []  # a quantity, not 3·15
    assert crisis_terms("优惠券315块钱") == []
    assert crisis_terms("订单号2315807") == []
    assert crisis_terms("价格1.315万，涨到315,000") == []
    assert crisis_terms("等315，再投诉") == ["315", "投诉"]


def test_crisis_terms_negation():
    assert crisis_terms("用了半年，没有投诉过") == []
    assert crisis_terms("东西挺好，不用退款了") == []
    assert crisis_terms("至今没有出现任何质量问题") == []
    assert crisis_terms("官方称并未召回") == []
    # refusing a refund is a complaint, not a negation
    assert crisis_terms("商家不给退款") == ["退款"]
    assert crisis_terms("没收到退款") == ["退款"]


def test_crisis_terms_batch_matches_single():
    texts = ["没有投诉", "要求退款并投诉", "", "起火了！"]
    assert crisis_terms_many(texts) == [crisis_terms(t) for t in texts]


def test_crisis_lexicon_is_a_sizeable_data_file():
    terms = [s for s in (DATA_DIR / "crisis_lexicon.txt").read_text(encoding="utf-8").splitlines()
             if s.strip() and not s.startswith("#")]
    assert len(terms) >= 60
    assert {"避雷", "维权", "召回", "自燃", "食物中毒", "致癌"} <= set(terms)
