"""Tumbling time windows per group: label counts and the most negative texts, closed as the stream moves on.

Example:

>>> windows = Windows(width=3600, negative_label="negative")
>>> closed = windows.add(row, label="negative", confidence=0.97)   # tallies of windows now complete
>>> closed += windows.flush()                                         # at the end of the stream
>>> closed[0].share("negative")
0.25
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from dataclasses import dataclass, field

from tfft.data.errors import BadRow
from tfft.monitor.stream_rows import TimedText
from tfft.monitor.time_values import iso_time

ALL_GROUPS = "(all)"


@dataclass
class WindowTally:
    """Counts of one (window, group) and its ``examples`` most confidently negative texts."""

    start: float
    width: float
    group: str
    counts: Counter = field(default_factory=Counter)
    examples: list[tuple[float, str]] = field(default_factory=list)  # a min-heap of (confidence, text)

    @property
    def count(self) -> int:
        return sum(self.counts.values())

    def share(self, label: str) -> float:
        return self.counts[label] / self.count if self.count else 0.0

    def keep_example(self, confidence: float, text: str, limit: int) -> None:
        if len(self.examples) < limit:
            heapq.heappush(self.examples, (confidence, text))
        elif confidence > self.examples[0][0]:
            heapq.heapreplace(self.examples, (confidence, text))

    def most_negative(self) -> list[dict]:
        return [{"text": text, "confidence": round(confidence, 4)}
                for confidence, text in sorted(self.examples, reverse=True)]

    def record(self) -> dict:
        shares = {label: round(n / self.count, 6) for label, n in sorted(self.counts.items())}
        return {"window_start": iso_time(self.start), "window_end": iso_time(self.start + self.width),
                "group": self.group, "count": self.count, "counts": dict(sorted(self.counts.items())),
                "shares": shares}


class Windows:
    """Open tallies by (window start, group); a window closes once the stream's newest time passes its end.

    ``allowed_lateness`` (seconds) keeps a window open that much longer for rows
    that arrive out of order; a row for a window already closed comes back as a
    `BadRow`. Every row also counts in the `ALL_GROUPS` tally of its window.
    """

    def __init__(self, width: float, negative_label: str, examples: int = 3, allowed_lateness: float = 0.0):
        self.width, self.negative_label = width, negative_label
        self.examples, self.allowed_lateness = examples, allowed_lateness
        self.open: dict[tuple[float, str], WindowTally] = {}
        self.newest = -math.inf
        self.closed_before = -math.inf  # windows starting before this have closed

    def start_of(self, moment: float) -> float:
        return math.floor(moment / self.width) * self.width

    def add(self, row: TimedText, label: str, confidence: float) -> list[WindowTally] | BadRow:
        start = self.start_of(row.time)
        if start < self.closed_before:
            return BadRow(row.source, row.line, None, f"time {iso_time(row.time)} falls in the window of "
                                                      f"{iso_time(start)}, which had closed (rows out of order; "
                                                      f"see --allowed-lateness)")
        for group in ([row.group] if row.group else []) + [ALL_GROUPS]:
            tally = self.open.setdefault((start, group), WindowTally(start, self.width, group))
            tally.counts[label] += 1
            if label == self.negative_label:
                tally.keep_example(confidence, row.text, self.examples)
        self.newest = max(self.newest, row.time)
        return self._close(self.start_of(self.newest - self.allowed_lateness))

    def flush(self) -> list[WindowTally]:
        """Closes every open window (the end of a stream)."""
        return self._close(math.inf)

    def _close(self, before: float) -> list[WindowTally]:
        if before <= self.closed_before:
            return []
        self.closed_before = before
        done = sorted((key for key in self.open if key[0] < before), key=lambda key: (key[0], key[1] != ALL_GROUPS, key[1]))
        return [self.open.pop(key) for key in done]
