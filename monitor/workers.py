"""The NLP stage in worker processes, so scoring never holds up the crawler and uses every core."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time

from monitor.config.model import BrandConfig, NlpConfig
from monitor.mention import Mention
from monitor.nlp.pipeline import NlpStage, StageResult

log = logging.getLogger(__name__)

_STAGE: NlpStage | None = None


class NlpUnavailable(Exception):
    """The batch could not be scored now (the pool is stopping or closed); the caller keeps it."""


class NlpFailed(NlpUnavailable):
    """Scoring this batch failed (raised in the worker, or took longer than nlp_timeout): counted as one
    of the batch's attempts, so a batch that always fails ends in the dead-letter file."""


def _initialise(brands: tuple[BrandConfig, ...], nlp: NlpConfig) -> None:
    # Ctrl-C reaches the whole process group: the parent decides when the workers stop (close)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
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
        stopping = self._deadline is not None and self._deadline - time.monotonic() < limit
        if stopping:
            limit = max(0.0, self._deadline - time.monotonic())
        try:
            return pending.get(timeout=limit)
        except multiprocessing.TimeoutError:
            if stopping:
                raise NlpUnavailable("the daemon is stopping") from None
            raise NlpFailed(f"no result within {limit:.0f} s") from None
        except Exception as exc:  # raised inside the worker: keep the batch rather than drop it
            raise NlpFailed(f"{type(exc).__name__}: {exc}") from exc

    def finish_by(self, deadline: float) -> None:
        """From now on, batches still waiting at this monotonic time give up (and stay in the queue)."""
        self._deadline = deadline

    def close(self, timeout: float = 5.0) -> None:
        """Stop the workers within `timeout` seconds: terminate, and kill whatever is still there after
        it (Pool.terminate can wait forever on a worker that died or was stopped by a signal)."""
        workers = [p for p in getattr(self._pool, "_pool", ()) if p.pid]
        stopper = threading.Thread(target=self._terminate, name="nlp-close", daemon=True)
        stopper.start()
        stopper.join(timeout)
        if stopper.is_alive():
            log.warning("NLP workers did not stop within %.0f s; killing them", timeout)
            for worker in workers:
                try:
                    os.kill(worker.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            stopper.join(2.0)

    def _terminate(self) -> None:
        self._pool.terminate()
        self._pool.join()
