"""The NLP stage in worker processes, so scoring never holds up the crawler and uses every core."""

from __future__ import annotations

import multiprocessing
import time

from monitor.config.model import BrandConfig, NlpConfig
from monitor.mention import Mention
from monitor.nlp.pipeline import NlpStage, StageResult

_STAGE: NlpStage | None = None


class NlpUnavailable(Exception):
    """The batch could not be scored now (pool stopping, worker crashed or too slow); the caller keeps it."""


def _initialise(brands: tuple[BrandConfig, ...], nlp: NlpConfig) -> None:
    global _STAGE
    _STAGE = NlpStage(brands, nlp)


def _process(mentions: list[Mention]) -> StageResult:
    return _STAGE.process(mentions)


class NlpPool:
    """`process(mentions) -> StageResult` like NlpStage, run in processes that each load the models once.

    Processes are spawned, not forked: the daemon has threads (the reactor, the HTTP server) that a fork
    would copy in whatever state they were in.
    """

    def __init__(self, brands: tuple[BrandConfig, ...], nlp: NlpConfig, workers: int = 1,
                 timeout: float = 300.0) -> None:
        self.config = (brands, nlp)
        self._timeout = timeout
        self._deadline: float | None = None
        self._pool = multiprocessing.get_context("spawn").Pool(workers, initializer=_initialise,
                                                                initargs=(brands, nlp))

    def process(self, mentions: list[Mention]) -> StageResult:
        if not mentions:
            return StageResult(accepted=[], irrelevant=0)
        try:
            pending = self._pool.apply_async(_process, (mentions,))
        except ValueError as exc:  # the pool is closed
            raise NlpUnavailable(str(exc)) from None
        limit = self._timeout
        if self._deadline is not None:
            limit = min(limit, max(0.0, self._deadline - time.monotonic()))
        try:
            return pending.get(timeout=limit)
        except multiprocessing.TimeoutError:
            raise NlpUnavailable(f"no result within {limit:.0f} s") from None
        except Exception as exc:  # raised inside the worker: keep the batch rather than drop it
            raise NlpUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def finish_by(self, deadline: float) -> None:
        """From now on, batches still waiting at this monotonic time give up (and are spooled by the caller)."""
        self._deadline = deadline

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()
