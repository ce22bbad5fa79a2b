from datetime import datetime, timedelta, timezone

import pytest

from monitor.config.model import BrandConfig, NlpConfig
from monitor.mention import Mention
from monitor.nlp.cluster import ClusterIndex, signatures
from monitor.nlp.pipeline import NlpStage, brand_names
from monitor.store import Query
from monitor.store.sqlite import SqliteStore

BRANDS = (BrandConfig(name="星河手机", aliases=("星河X5", "星河")),)
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
COMPLAINT = "星河X5充电的时候突然爆炸起火，差点烧伤孩子，太可怕了，质量太差了，要求厂家召回！"
OTHERS = [
    "星河手机的系统很流畅，比我之前的手机好用多了",
    "星河X5夜景模式效果惊艳，颜色很漂亮",
    "星河手机售后换屏只用了一个小时，工作人员很耐心",
    "预算三千，极光手机和星河手机选哪个好？主要打游戏",
    "星河X5更新系统以后偶尔有点卡顿，希望下个版本优化",
    "星河的影像一直很不错，期待秋季新品",
    "星河X5充电速度很快，半小时就充满了",
    "星河手机电池续航一般，重度使用撑不到晚上",
]
REPOSTERS = ["转发微博", "太可怕了", "同款遭遇！！", "[怒][怒]", "扩散", "+1", "必须严查", "", "吓人"]


@pytest.fixture(scope="module")
def stage():
    return NlpStage(BRANDS, NlpConfig())


def mention(i: int, text: str, **kw) -> Mention:
    return Mention(id=f"weibo:{i}", platform="weibo", source="s", url=f"https://weibo.example/{i}", text=text,
                   published_at=T0 + timedelta(minutes=i), crawled_at=T0 + timedelta(minutes=i), **kw)


def storm(n: int) -> list[Mention]:
    """The complaint, then n reposts of it (no native ids: as search pages show them) and distinct posts."""
    out = [mention(0, COMPLAINT)]
    for i in range(1, n + 1):
        comment = REPOSTERS[i % len(REPOSTERS)]
        out.append(mention(i, f"{comment}//@用户{i}:{COMPLAINT}" if i % 3 else f"{COMPLAINT}{comment}"))
    out += [mention(1000 + j, text) for j, text in enumerate(OTHERS)]
    return out


@pytest.fixture
def store(tmp_path):
    backend = SqliteStore(tmp_path / "brandmon.db")
    yield backend
    backend.close()


def scored(stage, mentions):
    return stage.process(mentions).accepted


def test_a_repost_storm_collapses_into_one_story(stage):
    mentions = scored(stage, storm(120))
    ClusterIndex(ignore=brand_names(BRANDS)).assign(mentions)
    storm_clusters = {m.cluster_id for m in mentions[:121]}
    assert storm_clusters == {"weibo:0"}
    assert mentions[120].cluster_size == 121
    assert len({m.cluster_id for m in mentions[121:]}) == len(OTHERS)
    assert all(m.cluster_size == 1 for m in mentions[121:])


def test_different_posts_about_the_same_brand_stay_apart(stage):
    mentions = scored(stage, [mention(i, t) for i, t in enumerate(OTHERS)])
    ClusterIndex(ignore=brand_names(BRANDS)).assign(mentions)
    assert [m.cluster_id for m in mentions] == [m.id for m in mentions]


def test_a_native_repost_joins_its_original_whatever_it_says(stage):
    original, repost = scored(stage, [mention(1, COMPLAINT),
                                      mention(2, "星河 转发微博", content_type="repost", parent_id="weibo:1")])
    ClusterIndex().assign([original, repost])
    assert (repost.cluster_id, repost.cluster_size) == ("weibo:1", 2)


def test_reposts_that_arrive_before_their_original_wait_for_it(stage):
    reposts = scored(stage, [mention(i, "星河 转发", content_type="repost", parent_id="weibo:1") for i in (2, 3)])
    index = ClusterIndex()
    index.assign(reposts)
    original = scored(stage, [mention(1, COMPLAINT)])
    index.assign(original)
    assert {m.cluster_id for m in reposts + original} == {"weibo:1"}
    assert original[0].cluster_size == 3


def test_clusters_survive_a_restart_and_a_recrawl_is_not_counted_twice(stage, store):
    mentions = scored(stage, storm(30))
    ClusterIndex(store, ignore=brand_names(BRANDS)).assign(mentions[:10])

    restarted = ClusterIndex(store, ignore=brand_names(BRANDS))
    restarted.assign(mentions[5:31])  # five seen before: a re-crawl
    assert {m.cluster_id for m in mentions[:31]} == {"weibo:0"}
    assert mentions[30].cluster_size == 31

    again = scored(stage, [mention(0, COMPLAINT)])
    ClusterIndex(store, ignore=brand_names(BRANDS)).assign(again)
    assert (again[0].cluster_id, again[0].cluster_size) == ("weibo:0", 31)


def test_rules_can_count_stories_or_raw_mentions(stage, store):
    mentions = scored(stage, storm(40))
    ClusterIndex(store, ignore=brand_names(BRANDS)).assign(mentions)
    store.upsert(mentions)
    window = Query(brand="星河手机", start=T0, end=T0 + timedelta(days=1))
    assert store.count(window) == 41 + len(OTHERS)
    assert store.count(Query(brand="星河手机", start=T0, end=T0 + timedelta(days=1), unique=True)) == 1 + len(OTHERS)
    hourly = store.histogram(Query(brand="星河手机", start=T0, end=T0 + timedelta(hours=1), unique=True),
                             timedelta(hours=1))
    assert hourly == [(T0, 1)]  # the storm's first hour: 41 reposts of one complaint


def test_the_index_forgets_the_oldest_members_first(stage):
    mentions = scored(stage, storm(6))
    index = ClusterIndex(ignore=brand_names(BRANDS), max_members=3)
    index.assign(mentions[:4])
    late = scored(stage, [mention(99, COMPLAINT + "转发")])
    index.assign(late)
    assert late[0].cluster_id == "weibo:0"  # recent members still hold the story
    index.assign(scored(stage, [mention(200 + i, t) for i, t in enumerate(OTHERS[:3])]))
    later = scored(stage, [mention(300, COMPLAINT + "再转发")])
    index.assign(later)
    assert later[0].cluster_id == "weibo:300"


def test_texts_too_short_to_compare_never_join():
    index = ClusterIndex()
    short = [mention(i, "好", tokens=["好"]) for i in range(3)]
    index.assign(short)
    assert [m.cluster_id for m in short] == [m.id for m in short]
    assert not signatures(["好", "", "好用"]).any()


def test_signatures_of_a_batch_match_one_at_a_time():
    texts = [COMPLAINT, "", *OTHERS, "短"]
    together = signatures(texts)
    assert all((together[i] == signatures([t])[0]).all() for i, t in enumerate(texts))


def test_the_saved_index_is_bounded_and_a_batch_rewrites_only_its_newest_segment(stage, store):
    mentions = scored(stage, storm(30))
    index = ClusterIndex(store, ignore=brand_names(BRANDS), max_members=6, segment=2)
    for i in range(0, 30, 3):
        index.assign(mentions[i:i + 3])
    keys = [row[0] for row in store._db.execute("SELECT key FROM state WHERE key LIKE 'nlp.clusters%'")]
    assert len(keys) == 1 + 4  # the head and ceil(6 / 2) + 1 slots, reused in turn
    first, last = store.get_state("nlp.clusters")["segments"]
    assert last - first + 1 <= 4 and last == 14

    restarted = ClusterIndex(store, ignore=brand_names(BRANDS), max_members=6, segment=2)
    late = scored(stage, [mention(500, COMPLAINT + "又转发")])
    restarted.assign(late)
    assert (late[0].cluster_id, late[0].cluster_size) == ("weibo:0", 31)


def test_signatures_stay_the_minhash_the_saved_index_holds():
    """Saved members keep their signatures across upgrades: each is still mix(a·gram + b) >> 48, minimum per text."""
    import numpy as np

    from monitor.nlp.cluster import _A, _B, _K, signatures
    from monitor.nlp.hashing import mix, ngram_hashes

    texts = [f"星河X5第{i}次充电爆炸，售后说是我自己的问题，{'真的' * (i % 40)}气死" for i in range(450)] + ["", "ab"]
    gram, owner = ngram_hashes(texts, 3)
    with np.errstate(over="ignore"):
        hashed = (mix(gram[:, None] * _A[None, :] + _B[None, :]) >> np.uint64(48)).astype(np.uint16)
    expected = np.zeros((len(texts), _K), dtype=np.uint16)
    for row, text_index in zip(hashed, owner):
        expected[text_index] = np.minimum(expected[text_index], row) if expected[text_index].any() else row
    assert (signatures(texts) == expected).all()
