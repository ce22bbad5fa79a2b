"""The NLP stage: brand matching, words, keywords, sentiment and crisis terms for each mention.

Built from (brands, nlp config) alone, so the daemon can build one in each worker process; call it
with whole batches, which is what makes normalisation and scoring fast. Clustering needs the store,
so it happens after this stage, in the process that owns the store (monitor/nlp/cluster.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from monitor.config.model import BrandConfig, NlpConfig
from monitor.mention import Mention
from monitor.nlp.brands import BrandMatcher
from monitor.nlp.normalize import normalize_many
from monitor.nlp.query import parse_query
from monitor.nlp.segment import Segmenter
from monitor.nlp.sentiment import classify, crisis_terms_many, get_scorer


@dataclass
class StageResult:
    accepted: list[Mention]
    irrelevant: int


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
        self._matcher = BrandMatcher(brands)
        self._segmenter = Segmenter(dictionary_terms(brands), nlp.user_dicts, not_keywords=brand_names(brands))
        self._scorer = get_scorer(nlp.sentiment.model, nlp.models_dir)
        self._thresholds = (nlp.sentiment.negative_below, nlp.sentiment.positive_above)

    @property
    def model(self) -> str:
        return f"{self._scorer.name}@{self._scorer.version}"

    def process(self, mentions: list[Mention]) -> StageResult:
        texts = [f"{m.title}\n{m.text}" if m.title else m.text for m in mentions]
        kept = []
        for mention, norm in zip(mentions, normalize_many(texts)):
            brands = self._matcher.match_folded(norm.plain.lower())
            if brands:
                mention.brands = brands
                kept.append((mention, norm))
        # A repost storm is one text many times over once handles and links are gone: read it once.
        distinct = list({norm: None for _, norm in kept})
        scores, labels = classify(self._scorer, [norm.scored for norm in distinct], *self._thresholds)
        crisis = crisis_terms_many([norm.plain for norm in distinct])
        understood = {norm: (*self._segmenter.analyse(norm.plain), terms, round(float(score), 4), label)
                      for norm, score, label, terms in zip(distinct, scores, labels, crisis)}
        for mention, norm in kept:
            tokens, keywords, terms, score, label = understood[norm]
            mention.tokens, mention.keywords, mention.crisis_terms = list(tokens), list(keywords), list(terms)
            mention.sentiment = score
            mention.sentiment_label = label
            mention.model = self.model
        return StageResult(accepted=[m for m, _ in kept], irrelevant=len(mentions) - len(kept))
