"""The NLP stage: brand matching, segmentation, keywords, sentiment and crisis terms for each mention."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.config.model import NlpConfig, BrandConfig
from monitor.mention import Mention
from monitor.nlp.brands import BrandMatcher
from monitor.nlp.segment import Segmenter
from monitor.nlp.sentiment import crisis_terms, get_scorer, label_for


@dataclass
class StageResult:
    accepted: list[Mention]
    irrelevant: int


class NlpStage:
    """Keeps mentions of a configured brand and fills in what the rules need to judge them."""

    def __init__(self, brands: tuple[BrandConfig, ...], nlp: NlpConfig) -> None:
        self._matcher = BrandMatcher(brands)
        protected = {t for b in brands for t in (*b.terms, *b.competitors)}
        self._segmenter = Segmenter(protected, nlp.user_dicts)
        self._scorer = get_scorer(nlp.sentiment.model)
        self._thresholds = (nlp.sentiment.negative_below, nlp.sentiment.positive_above)

    @property
    def model(self) -> str:
        return f"{self._scorer.name}@{self._scorer.version}"

    def process(self, mentions: list[Mention]) -> StageResult:
        kept = []
        for mention in mentions:
            full = f"{mention.title}\n{mention.text}" if mention.title else mention.text
            brands = self._matcher.match(full)
            if brands:
                mention.brands = brands
                kept.append((mention, full))
        scores = self._scorer.score_many([full for _, full in kept])
        for (mention, full), score in zip(kept, scores):
            mention.tokens = self._segmenter.tokens(full)
            mention.keywords = self._segmenter.keywords(full)
            mention.crisis_terms = crisis_terms(full)
            mention.sentiment = round(float(score), 4)
            mention.sentiment_label = label_for(score, *self._thresholds)
            mention.model = self.model
        return StageResult(accepted=[m for m, _ in kept], irrelevant=len(mentions) - len(kept))
