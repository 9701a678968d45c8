"""A log line now and then while long work without a progress bar goes on (evaluation, decoding).

Example:

>>> beat = Heartbeat("evaluating", total=28, unit="batches")
>>> for done, batch in enumerate(batches, 1):
...     run(batch); beat.tick(done)     # "evaluating: 12/28 batches, 0:31 elapsed, eta 0:41" every 30 s
"""

from __future__ import annotations

import logging
import time

logger = logging.getLogger(__name__)

EVERY_SECONDS = 30.0


class Heartbeat:
    """Logs ``<what>: done/total <unit>, elapsed, eta`` at most every `EVERY_SECONDS`."""

    def __init__(self, what: str, total: int | None, unit: str = "rows"):
        self.what, self.total, self.unit = what, total, unit
        self.started = self.last = time.monotonic()

    def tick(self, done: int) -> None:
        now = time.monotonic()
        if now - self.last < EVERY_SECONDS:
            return
        self.last = now
        elapsed = now - self.started
        of = f"/{self.total}" if self.total else ""
        eta = ""
        if self.total and done:
            eta = f", eta {clock_time(elapsed / done * (self.total - done))}"
        logger.info(f"{self.what}: {done}{of} {self.unit}, {clock_time(elapsed)} elapsed{eta}")


def clock_time(seconds: float) -> str:
    """``3725`` → ``1:02:05``; ``65`` → ``1:05``."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
