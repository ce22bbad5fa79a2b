"""NLP stage throughput: the full stage (normalise, brand queries, jieba words and keywords, sentiment,
crisis terms, near-duplicate clusters) against plain `SnowNLP(text).sentiments`, on one core, with each
step's share (`cpu_ms_per_1000_posts`) and the segmenter used (rjieba when installed, else pure-Python jieba).

The posts are generated deterministically from templates and the project's lexicons, with Weibo's
length spread (most under 140 characters, one in eight a long post of up to ~1,500), Weibo habits
(@handles, t.cn links, #topics#, [emoticons], //@ repost chains, HTML from search pages, full-width
letters, some Traditional script) and one in ten posts about no configured brand (小米粥 and friends).
snownlp is slow, so it scores a subset; both figures are mentions per CPU second of this process (the machine may
be shared: wall-clock rates and the load average are in `detail`), medians of --repeat runs, each on posts it has
not seen before (caches stay warm, as in the daemon, but never hold the batch being timed); model loading
is timed apart (`load_seconds`).

    python bench/nlp.py [--n 10000] [--baseline-n 300] [--repeat 3] [--seed 7] [--segmenter rjieba|python]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.config.model import BrandConfig, NlpConfig  # noqa: E402
from monitor.mention import Mention  # noqa: E402
from monitor.nlp.cluster import ClusterIndex  # noqa: E402
from monitor.nlp.pipeline import NlpStage, brand_names  # noqa: E402
from monitor.nlp.sentiment import DATA_DIR  # noqa: E402

BRANDS = (
    BrandConfig(name="星河手机", aliases=("星河X5", "星河", "Xinghe"), exclude=("星河湾", "银河"),
                competitors=("极光手机",), query="NOT (星河湾 OR 星河大道)"),
    BrandConfig(name="云朵奶茶", aliases=("云朵", "Yunduo Tea"), exclude=("云朵面包",)),
    BrandConfig(name="小米", aliases=("Xiaomi", "雷军", "红米"), exclude=("小米粥", "小米椒", "小米辣")),
)
PRODUCTS = ("星河X5", "星河手机", "星河Pro", "云朵奶茶", "云朵的芋泥波波", "小米14", "Xiaomi SU7", "红米K70", "XINGHE X5")
ASPECTS = ("电池", "续航", "拍照", "屏幕", "客服", "售后", "物流", "包装", "味道", "价格", "系统", "信号", "外卖", "门店")
OPENERS = ("说真的，", "今天", "刚刚", "家人们，", "笑死，", "救命，", "有一说一，", "我宣布", "", "", "")
FILLER = ("昨天下班路上顺便买的", "排了半小时队", "朋友推荐的", "用了快一个月了", "第一次买这个牌子",
          "双十一囤的货", "公司楼下新开的店", "老婆让我帮她看看", "刷到好多人在讨论", "说一下我的真实体验")
IRRELEVANT = ("早上喝了一碗小米粥，配点小米椒，舒服", "住在星河湾的朋友说今晚停电了", "银河系真美，今晚看到了流星",
              "今天的云朵好像棉花糖", "周末去爬山，天气不错", "加班到十点，地铁上人好多")
HANDLES = ("@数码老王", "@科技日报", "@吃货小分队", "@一只猫", "@消费观察", "@小林同学")


def _lexicon(name: str, sign: int) -> list[str]:
    words = []
    for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            term, _, weight = line.partition("\t")
            if sign == 0 or (float(weight or 0) * sign > 0):
                words.append(term)
    return words


def _jieba_vocabulary() -> tuple[list[str], list[int]]:
    import itertools

    import jieba

    from monitor.nlp.normalize import to_simplified

    words, freqs = [], []
    with jieba.get_dict_file() as f:
        for line in f.read().decode("utf-8").splitlines():
            word, freq = line.split(" ")[:2]
            if to_simplified(word) == word:  # jieba's dictionary has Traditional entries too; posts below add some
                words.append(word)
                freqs.append(int(freq))
    return words, list(itertools.accumulate(freqs))


def posts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    good, bad, crisis = _lexicon("sentiment_lexicon.txt", 1), _lexicon("sentiment_lexicon.txt", -1), \
        _lexicon("crisis_lexicon.txt", 0)
    emoticons_good = [w for w in good if w.startswith("[")]
    emoticons_bad = [w for w in bad if w.startswith("[")]

    vocabulary, weights = _jieba_vocabulary()

    def chatter() -> str:
        """Everyday words drawn by their frequency in jieba's dictionary: the long tail templates lack."""
        return "".join(rng.choices(vocabulary, cum_weights=weights, k=rng.randint(3, 9)))

    def clause(tone: int) -> str:
        words = good if tone > 0 else bad
        extra = f"，{rng.choice(crisis)}" if tone < 0 and rng.random() < 0.4 else ""
        opener = rng.choice(FILLER) if rng.random() < 0.3 else chatter()
        return f"{opener}，{rng.choice(PRODUCTS)}的{rng.choice(ASPECTS)}{rng.choice(words)}{extra}，{chatter()}"

    def post() -> str:
        if rng.random() < 0.1:
            return rng.choice(IRRELEVANT)
        tone = rng.choice((1, -1, -1))
        long = rng.random() < 0.125
        parts = [rng.choice(OPENERS) + clause(tone)]
        target = rng.randint(150, 1500) if long else int(rng.lognormvariate(3.9, 0.5))
        while sum(map(len, parts)) < target:
            parts.append(clause(tone if rng.random() < 0.8 else -tone))
        text = "，".join(parts) + rng.choice(("。", "！", "！！", "？", "...", ""))
        if rng.random() < 0.5:
            text += rng.choice(emoticons_good if tone > 0 else emoticons_bad)
        if rng.random() < 0.2:
            text = f"#{rng.choice(PRODUCTS)}{rng.choice(('翻车', '测评', '新品', '维权'))}# {text}"
        if rng.random() < 0.2:
            text += f" {rng.choice(HANDLES)} http://t.cn/A6{rng.randrange(36 ** 5):05x}"
        if rng.random() < 0.05:
            text = text.replace("星河", "<em class=\"red\">星河</em>")
        if rng.random() < 0.03:
            text = text.replace("X5", "Ｘ５").replace("这", "這").replace("说", "說").replace("买", "買")
        return text

    out: list[str] = []
    while len(out) < n:
        if out and rng.random() < 0.08:  # a repost: someone's comment plus the original
            out.append(f"{rng.choice(('转发微博', '太真实了', '同款遭遇', '+1'))}//{rng.choice(HANDLES)}:{rng.choice(out)}")
        else:
            out.append(post())
    return out[:n]


def _mentions(texts: list[str]) -> list[Mention]:
    now = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
    return [Mention(id=f"weibo:{i}", platform="weibo", source="bench", url=f"https://weibo.example/{i}",
                    text=t, published_at=now, crawled_at=now) for i, t in enumerate(texts)]


def _rate(run, n: int, repeat: int) -> tuple[float, float]:
    """(per CPU second, per wall second), medians of `repeat` runs. The CPU-time rate is the headline: on a
    shared machine wall time measures the neighbours as much as the code."""
    cpu, wall = [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        run()
        cpu.append(n / max(time.process_time() - c0, 1e-9))
        wall.append(n / (time.perf_counter() - t0))
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--baseline-n", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--segmenter", choices=("rjieba", "python"), default="rjieba",
                    help="python: as if rjieba were not installed (the stage's fallback)")
    args = ap.parse_args()
    if args.segmenter == "python":
        import monitor.nlp.segment

        monitor.nlp.segment.rjieba = None
    # each timed run reads posts it has not seen: the stage's caches (words of a clause, unknown-word runs)
    # stay warm as in a long-running daemon, but never hold the very batch being timed
    stream = posts(args.n * args.repeat, args.seed)
    texts = stream[:args.n]
    batches = iter([stream[i:i + args.n] for i in range(0, len(stream), args.n)])
    lengths = sorted(map(len, texts))

    loading, loading_cpu = time.perf_counter(), time.process_time()
    stage = NlpStage(BRANDS, NlpConfig())
    stage.process(_mentions(texts[:50]))  # load dictionaries and models outside the timing
    load_seconds, load_cpu = time.perf_counter() - loading, time.process_time() - loading_cpu

    steps: list[dict[str, float]] = []  # per timed run: CPU seconds of each step

    def project() -> None:
        result = stage.process(_mentions(next(batches)))
        c0 = time.thread_time()
        ClusterIndex(ignore=brand_names(BRANDS)).assign(result.accepted)
        steps.append({**result.cpu_seconds, "clusters": time.thread_time() - c0})

    project_rate, project_wall = _rate(project, len(texts), args.repeat)
    # where the time goes: CPU milliseconds per 1,000 posts of each step, medians over the runs
    split = {name: round(statistics.median(run[name] for run in steps) * 1000 * 1000 / len(texts), 1)
             for name in steps[0]}
    result = stage.process(_mentions(texts))
    clusters = ClusterIndex(ignore=brand_names(BRANDS))
    clusters.assign(result.accepted)

    from snownlp import SnowNLP

    subset = texts[:: max(1, len(texts) // args.baseline_n)][: args.baseline_n]
    SnowNLP(subset[0]).sentiments
    baseline_rate, baseline_wall = _rate(lambda: [SnowNLP(t).sentiments for t in subset], len(subset), args.repeat)

    labels = [m.sentiment_label for m in result.accepted]
    detail = {
        "posts": len(texts), "baseline_posts": len(subset), "repeat": args.repeat,
        "chars_median": lengths[len(lengths) // 2], "chars_p90": lengths[int(len(lengths) * 0.9)],
        "share_over_140": round(sum(n > 140 for n in lengths) / len(lengths), 3),
        "accepted": len(result.accepted), "irrelevant": result.irrelevant,
        "clusters": len({m.cluster_id for m in result.accepted}),
        "labels": {k: labels.count(k) for k in ("negative", "neutral", "positive")},
        "model": stage.model, "segmenter": "rjieba" if stage.segmenter.compiled else "jieba (pure Python)",
        "load_seconds": round(load_seconds, 2), "load_cpu_seconds": round(load_cpu, 2),
        "cpu_ms_per_1000_posts": split,
        "timing": "CPU time of this process (time.process_time); wall-clock rates below",
        "project_wall": round(project_wall), "baseline_wall": round(baseline_wall),
        "load_avg_1min": round(os.getloadavg()[0], 2), "target": 3000,
    }
    print(f"project (full NLP stage): {project_rate:,.0f} mentions per CPU second; baseline (SnowNLP sentiments "
          f"only): {baseline_rate:,.0f} (wall clock: {project_wall:,.0f} and {baseline_wall:,.0f})", file=sys.stderr)
    print(json.dumps({"metric": "nlp_stage_throughput", "unit": "mentions/s", "project": round(project_rate),
                      "baseline": round(baseline_rate), "ratio": round(project_rate / baseline_rate, 1),
                      "detail": detail}, ensure_ascii=False))


if __name__ == "__main__":
    main()
