"""Bulk writes to Elasticsearch: batched, retried with backoff while the cluster is busy, and
reporting every document it refused with the reason, so none disappears without a word.

A batch may go as several requests in flight at once (`concurrency`, as elasticsearch-py's
parallel_bulk or Beats' `worker`): one request leaves the writer idle while the node indexes and the
node idle while the writer encodes; with two, the node indexes on two cores and the writer encodes the
next chunk meanwhile. Each document is in exactly one request, and `send` returns (or raises) only
after every request it sent has been answered, so a caller's retry never races its own first try."""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from elasticsearch import ApiError, ConnectionError as EsConnectionError, ConnectionTimeout, Elasticsearch

log = logging.getLogger(__name__)
T = TypeVar("T")

# no spaces, UTF-8 as is: ~20% fewer bytes for Chinese mentions than json.dumps's defaults; one encoder, not one per call
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)
BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0)  # seconds before each retry; then the batch counts as undeliverable
MIN_SPLIT = 100  # documents: a batch is split over concurrent requests only into chunks at least this big


def retryable(status: int) -> bool:
    """Busy (429) or failing (5xx): worth another try later. Other errors are the document's fault."""
    return status == 429 or status >= 500


def _blocked(error: Any) -> bool:
    """A write block on the index (one being rebuilt: ElasticStore.verify): "not now", like 429."""
    return isinstance(error, dict) and error.get("type") == "cluster_block_exception"


class Unreachable(Exception):
    """Elasticsearch did not take the batch: down, or busy past every retry. Nothing of it is lost
    only if the caller keeps the batch (in the daemon's queue)."""


@dataclass(frozen=True)
class Action:
    """One bulk operation: `op` is 'index', 'create' or 'delete' (no doc); with `seq`, (seq_no, primary_term),
    only if the document is still that version (else 409)."""

    op: str
    index: str
    id: str
    doc: dict[str, Any] | None = None
    seq: tuple[int, int] | None = None

    def lines(self) -> str:
        meta: dict[str, Any] = {"_index": self.index, "_id": self.id}
        if self.seq is not None:
            meta["if_seq_no"], meta["if_primary_term"] = self.seq
        head = _COMPACT.encode({self.op: meta})
        if self.doc is None:
            return head + "\n"
        return head + "\n" + _COMPACT.encode(self.doc) + "\n"


@dataclass(frozen=True)
class DocError:
    id: str
    index: str
    status: int
    reason: str

    def __str__(self) -> str:
        return f"{self.id} → {self.index}: HTTP {self.status}: {self.reason}"


@dataclass
class BulkReport:
    done: int = 0
    errors: list[DocError] = field(default_factory=list)
    attempts: int = 0


def _reason(error: Any) -> str:
    if isinstance(error, dict):
        text = f"{error.get('type', 'error')}: {error.get('reason', '')}"
        cause = error.get("caused_by")
        return f"{text} (caused by {_reason(cause)})" if cause else text
    return str(error)


class BulkSender:
    """Sends actions in chunks of at most `max_docs` documents and `max_bytes` bytes, up to `concurrency`
    of them in flight at once: a batch is cut into `concurrency` equal shares (no smaller than MIN_SPLIT
    documents), and each chunk is encoded while the ones before it are being indexed."""

    def __init__(self, es: Elasticsearch, max_docs: int = 500, max_bytes: int = 5 << 20,
                 backoff: Sequence[float] = BACKOFF, concurrency: int = 1) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")
        self.es = es
        self.max_docs = max_docs
        self.max_bytes = max_bytes
        self.backoff = tuple(backoff)
        self.concurrency = concurrency
        # one thread more than the requests in flight: for the lookup the caller runs beside them (`beside`)
        self._pool = ThreadPoolExecutor(concurrency + 1, thread_name_prefix="es-bulk") if concurrency > 1 else None

    def send(self, actions: Sequence[Action]) -> BulkReport:
        shares = max(1, min(self.concurrency, len(actions) // MIN_SPLIT))
        limit = min(self.max_docs, -(-len(actions) // shares) or 1)
        if self._pool is None or len(actions) <= limit:
            report = BulkReport()
            for chunk in self._chunks(actions, limit):
                self._send_chunk(chunk, report)
            return report
        parts: list[BulkReport] = []
        in_flight: deque[Future] = deque()
        failed: list[BaseException] = []
        try:
            for chunk in self._chunks(actions, limit):
                if len(in_flight) == self.concurrency:
                    failed += _failure(in_flight.popleft())
                    if failed:
                        break  # what is in flight still ends before the error is raised
                parts.append(BulkReport())
                in_flight.append(self._pool.submit(self._send_chunk, chunk, parts[-1]))
        finally:
            while in_flight:
                failed += _failure(in_flight.popleft())
        if failed:
            raise failed[0]
        return BulkReport(done=sum(p.done for p in parts), errors=[e for p in parts for e in p.errors],
                          attempts=sum(p.attempts for p in parts))

    def beside(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run a read in a sender thread while the caller goes on (with `concurrency` 1, at once, in the
        caller's): the store looks up where a batch's mentions are stored while it builds their documents."""
        if self._pool is not None:
            return self._pool.submit(fn, *args)
        done: Future[T] = Future()
        try:
            done.set_result(fn(*args))
        except Exception as exc:
            done.set_exception(exc)
        return done

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def _chunks(self, actions: Sequence[Action], limit: int) -> Iterator[list[tuple[Action, str]]]:
        """Encoded lazily: the next chunk's JSON is made while the requests before it are in flight."""
        chunk: list[tuple[Action, str]] = []
        size = 0
        for action in actions:
            lines = action.lines()
            n = len(lines.encode("utf-8"))
            if chunk and (len(chunk) >= limit or size + n > self.max_bytes):
                yield chunk
                chunk, size = [], 0
            chunk.append((action, lines))
            size += n
        if chunk:
            yield chunk

    def _send_chunk(self, chunk: list[tuple[Action, str]], report: BulkReport) -> None:
        """Retry what the cluster was too busy for; record what it refused; raise Unreachable when
        it cannot be reached or is still busy after the last retry."""
        waits = iter(self.backoff)
        while chunk:
            report.attempts += 1
            try:
                response = self.es.bulk(operations="".join(lines for _, lines in chunk))
            except (EsConnectionError, ConnectionTimeout) as exc:
                raise Unreachable(f"Elasticsearch unreachable: {exc}") from exc
            except ApiError as exc:
                if not retryable(exc.meta.status):
                    raise
                again, why = chunk, f"HTTP {exc.meta.status} for the whole batch"
            else:
                again = []
                for (action, lines), item in zip(chunk, response["items"]):
                    result = item[action.op]
                    status = result.get("status", 500)
                    if action.op == "delete" and status == 404:
                        report.done += 1  # already gone: what a delete wants
                    elif status < 300:
                        report.done += 1
                    elif retryable(status) or _blocked(result.get("error")):
                        again.append((action, lines))
                    else:
                        report.errors.append(DocError(action.id, action.index, status, _reason(result.get("error"))))
                why = f"{len(again)} of {len(chunk)} documents busy (429/5xx or a write block)"
            if not again:
                return
            wait = next(waits, None)
            if wait is None:
                raise Unreachable(f"Elasticsearch still refusing after {report.attempts} attempts: {why}")
            log.warning("Elasticsearch busy, retrying in %.1f s: %s", wait, why)
            time.sleep(wait)
            chunk = again


def _failure(future: Future) -> list[BaseException]:
    """Wait for one request; its error, if it raised one."""
    error = future.exception()
    return [error] if error is not None else []
