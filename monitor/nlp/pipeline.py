"""The NLP stage: brand matching, words, keywords, sentiment, crisis terms and complaint categories.

Built from (brands, nlp config) alone, so the daemon can build one in each worker process; call it
with whole batches, which is what makes normalisation and scoring fast. Clustering needs the store,
so it happens after this stage, in the process that owns the store (monitor/nlp/cluster.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from monitor.config.model import BrandConfig, NlpConfig
from monitor.mention import Mention
from monitor.nlp.attribution import CrisisAttribution, owned
from monitor.nlp.brands import BrandMatcher
from monitor.nlp.categories import Categorizer
from monitor.nlp.normalize import clean, normalize_many
from monitor.nlp.query import parse_query
from monitor.nlp.segment import Segmenter
from monitor.nlp.sentiment import classify, crisis_terms_many, get_scorer
from monitor.reply.accounts import OfficialAccounts


# What a mention may hold: longer titles and texts are cut (a 1 MB "title" is a broken page, not a title).
MAX_TITLE_CHARS = 1_000
MAX_TEXT_CHARS = 100_000
# What the NLP stage reads of title + text: enough for any post or article lede, and a bound on the work
# one mention can cost (segmentation and scoring are linear, regexes near it).
MAX_READ_CHARS = 10_000


@dataclass
class StageResult:
    accepted: list[Mention]
    irrelevant: int
    # CPU seconds of this thread per step (normalise, brands, sentiment, crisis, words, categories): where a
    # batch's time went, for bench/nlp.py and for anyone asking why the stage is slow
    cpu_seconds: dict[str, float] = field(default_factory=dict)


def brand_names(brands: Iterable[BrandConfig]) -> set[str]:
    """Names, aliases (product names) and competitors: they say who a mention is about, not what."""
    return {t for b in brands for t in (*b.terms, *b.competitors)}


def dictionary_terms(brands: Iterable[BrandConfig]) -> set[str]:
    """Words the segmenter must keep whole: brand names plus the terms of brand queries."""
    brands = tuple(brands)
    return brand_names(brands) | {t for b in brands if b.query for t in parse_query(b.query).terms()}


class NlpStage:
    """Keeps mentions of a configured brand and fills in what the rules need to judge them."""

    def __init__(self, brands: tuple[BrandConfig, ...], nlp: NlpConfig) -> None:
        self._segmenter = self._segmenter_for(brands, nlp)
        self._matcher = BrandMatcher(brands, self._segmenter)
        self._attribution = CrisisAttribution(brands)
        self._official = OfficialAccounts(brands)
        self._categorizer = Categorizer(nlp.categories.terms, nlp.categories.only)
        self._scorer = get_scorer(nlp.sentiment.model, nlp.models_dir)
        self._thresholds = (nlp.sentiment.negative_below, nlp.sentiment.positive_above)

    @staticmethod
    def _segmenter_for(brands: tuple[BrandConfig, ...], nlp: NlpConfig) -> Segmenter:
        return Segmenter(dictionary_terms(brands), nlp.user_dicts, not_keywords=brand_names(brands))

    @classmethod
    def brand_matcher(cls, brands: tuple[BrandConfig, ...], nlp: NlpConfig) -> BrandMatcher:
        """The stage's brand matcher alone (same dictionary), without loading the sentiment model."""
        return BrandMatcher(brands, cls._segmenter_for(brands, nlp))

    @property
    def segmenter(self) -> Segmenter:
        return self._segmenter

    @property
    def model(self) -> str:
        return f"{self._scorer.name}@{self._scorer.version}"

    def process(self, mentions: list[Mention], keep_sentiment: bool = False) -> StageResult:
        """`keep_sentiment` keeps the labels (and scores) the mentions came with, for imported history."""
        clock = _StepClock()
        for m in mentions:
            m.text = clean(m.text[:MAX_TEXT_CHARS])
            if m.title:
                m.title = clean(m.title[:MAX_TITLE_CHARS])
        texts = [(f"{m.title}\n{m.text}" if m.title else m.text)[:MAX_READ_CHARS] for m in mentions]
        normalized = normalize_many(texts)
        clock.step("normalise")
        kept = []
        for mention, norm in zip(mentions, normalized):
            # an official account's reply is kept even when it names no brand: it answers a complaint
            brands = self._matcher.match_normalized(norm.plain, norm.handles) or self._official.brands_of(mention)
            if brands:
                mention.brands = brands
                kept.append((mention, norm))
        clock.step("brands")
        # A repost storm is one text many times over once links are gone: read it once.
        distinct = list({norm: None for _, norm in kept})
        if keep_sentiment:
            scores, labels = [None] * len(distinct), [None] * len(distinct)
        else:
            scores, labels = classify(self._scorer, [norm.scored for norm in distinct], *self._thresholds)
        clock.step("sentiment")
        crisis = crisis_terms_many([norm.plain for norm in distinct])
        crisis = [self._attribution.said_of(norm.plain.lower(), terms) for norm, terms in zip(distinct, crisis)]
        clock.step("crisis")
        understood = {norm: (*self._segmenter.analyse(norm.plain), terms,
                             None if score is None else round(float(score), 4), label)
                      for norm, score, label, terms in zip(distinct, scores, labels, crisis)}
        clock.step("words")
        categories: dict = {}
        for mention, norm in kept:
            tokens, keywords, said, score, label = understood[norm]
            terms, mention.crisis_brands = owned(said, mention.brands)
            mention.tokens, mention.keywords, mention.crisis_terms = list(tokens), list(keywords), terms
            if label is not None:
                mention.sentiment, mention.sentiment_label, mention.model = score, label, self.model
            if mention.sentiment_label == "negative" or terms:  # a complaint: what about?
                if norm not in categories:
                    categories[norm] = self._categorizer.categorize(norm.plain)
                mention.categories = list(categories[norm])
            else:
                mention.categories = []
        clock.step("categories")
        return StageResult(accepted=[m for m, _ in kept], irrelevant=len(mentions) - len(kept),
                           cpu_seconds=clock.seconds)


class _StepClock:
    """CPU time of this thread between steps (a batch's worth each: a few calls per batch, not per mention)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.thread_time()

    def step(self, name: str) -> None:
        now = time.thread_time()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._last
        self._last = now
