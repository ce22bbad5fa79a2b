"""Named recurring jobs on threads, in lanes with their own concurrency, so a slow crawl never delays escalation."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

STALL_SECONDS = 10.0
_RNG = random.Random()


def jittered(seconds: float, jitter: float, rng: random.Random = _RNG) -> float:
    """An interval stretched or shrunk by up to ±jitter, so sources on the same interval drift apart."""
    return seconds * (1 + rng.uniform(-jitter, jitter))


@dataclass(eq=False)
class Job:
    name: str
    run: Callable[[], object]
    next_delay: Callable[[], float]
    lane: str
    due: float
    running: bool = False
    again: bool = False


class Scheduler:
    def __init__(self, lanes: dict[str, int],
                 report: Callable[[str, BaseException | None], None] | None = None) -> None:
        """`report(job, exception or None)` hears how each run ended (the daemon logs a fault once per
        change, not once per run); without it a failure is logged with its traceback."""
        self._slots = dict(lanes)
        self._report = report
        self._jobs: dict[str, Job] = {}
        self._active: set[Job] = set()
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._beat = time.monotonic()

    def every(self, name: str, run: Callable[[], object], next_delay: Callable[[], float], first_delay: float,
              lane: str) -> None:
        """Add a job, or give an existing one new work and timing from its next run on (a reload must not
        set every source crawling at once)."""
        with self._cond:
            job = self._jobs.get(name)
            if job is None:
                self._jobs[name] = Job(name, run, next_delay, lane, time.monotonic() + first_delay)
            else:
                job.run, job.next_delay = run, next_delay
            self._cond.notify()

    def remove(self, name: str) -> None:
        with self._cond:
            self._jobs.pop(name, None)

    def names(self) -> set[str]:
        with self._cond:
            return set(self._jobs)

    def trigger(self, name: str) -> None:
        """Run the job as soon as its lane has room, or once more right after its current run."""
        with self._cond:
            job = self._jobs.get(name)
            if job is None:
                return
            if job.running:
                job.again = True
            else:
                job.due = time.monotonic()
            self._cond.notify()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def alive(self) -> tuple[bool, str]:
        if self._thread is None or not self._thread.is_alive():
            return False, "scheduler is not running"
        quiet = time.monotonic() - self._beat
        if quiet > STALL_SECONDS:
            return False, f"scheduler has not looped for {quiet:.0f} s"
        return True, "ok"

    def _loop(self) -> None:
        with self._cond:
            while not self._stopping:
                now = self._beat = time.monotonic()
                for job in sorted(self._jobs.values(), key=lambda j: j.due):
                    if not job.running and job.due <= now and self._slots.get(job.lane, 0) > 0:
                        self._slots[job.lane] -= 1
                        job.running = True
                        self._active.add(job)
                        threading.Thread(target=self._run, args=(job,), name=f"job:{job.name}", daemon=True).start()
                later = [j.due - now for j in self._jobs.values() if not j.running and j.due > now]
                self._cond.wait(timeout=min([1.0, *later]))  # a job waiting for its lane is woken by _run

    def _run(self, job: Job) -> None:
        outcome: BaseException | None = None
        try:
            job.run()
        except Exception as exc:  # one failing job must not stop the others or the scheduler
            outcome = exc
            if self._report is None:
                log.exception("job %s failed", job.name)
        finally:
            if self._report is not None:
                try:
                    self._report(job.name, outcome)
                except Exception:
                    log.exception("reporting the end of job %s failed", job.name)
            with self._cond:
                self._slots[job.lane] += 1
                self._active.discard(job)
                job.running = False
                job.due = time.monotonic() + (0.0 if job.again else job.next_delay())
                job.again = False
                self._cond.notify_all()

    def stop(self) -> None:
        """Start nothing new; jobs already running go on."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()

    def wait_idle(self, deadline: float) -> list[str]:
        """Wait until no job runs or the monotonic deadline passes; returns the jobs still running."""
        with self._cond:
            while True:
                running = sorted(j.name for j in self._active)
                left = deadline - time.monotonic()
                if not running or left <= 0:
                    return running
                self._cond.wait(timeout=min(left, 0.5))
