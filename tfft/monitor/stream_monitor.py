"""The monitor's loop: score rows in batches, tally them in windows, judge each closed window, tell the listeners.

Example:

>>> monitor = StreamMonitor(LabelScorer.for_model("saved_models/financial-phrasebank"),
...                         Windows(3600, "negative"), SurgeRule(), listeners=[AlertLog("alerts.jsonl")])
>>> summary = monitor.run(parse_rows(stream_lines("stream.csv"), StreamColumns()))
>>> summary.alerts
1
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Iterable

from tfft.data.errors import BadRow
from tfft.heartbeat import Heartbeat
from tfft.monitor.label_scorer import LabelScorer
from tfft.monitor.line_sources import IDLE
from tfft.monitor.stream_rows import TimedText
from tfft.monitor.surge_rule import SurgeRule, Verdict
from tfft.monitor.windows import Windows, WindowTally

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WindowReport:
    """A closed window of one group, its negative share and the rule's verdict on it."""

    tally: WindowTally
    negative_share: float
    verdict: Verdict

    def record(self) -> dict:
        """The window as one JSON-able line; an alert's carries the most negative texts."""
        verdict = self.verdict
        line = {**self.tally.record(), "negative_share": round(self.negative_share, 6), "alert": verdict.alert,
                "z": None if verdict.z is None else round(verdict.z, 3),
                "baseline_share": None if verdict.baseline_share is None else round(verdict.baseline_share, 6),
                "baseline_std": None if verdict.baseline_std is None else round(verdict.baseline_std, 6),
                "baseline_windows": verdict.baseline_windows}
        if verdict.alert:
            line["most_negative"] = self.tally.most_negative()
        return line


class MonitorListener:
    """What the loop tells its outputs; each method does nothing unless overridden."""

    def on_window(self, report: WindowReport) -> None:
        pass

    def on_bad_row(self, bad: BadRow) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class MonitorSummary:
    rows: int = 0
    bad_rows: int = 0
    windows: int = 0
    alerts: int = 0


class StreamMonitor:
    """Runs a stream of `TimedText` / `BadRow` / `IDLE` items through the models, the windows and the rule.

    Args:
        sentiment: the model whose ``windows.negative_label`` share is watched.
        windows: the open windows (their width, the negative label, lateness).
        rule: the surge rule windows are judged by.
        topics: a second classifier whose label is each row's group (else the row's own group column).
        batch_size: rows scored per model call; a partial batch is scored when a followed stream goes idle.
        listeners: the outputs (alert and window logs, TensorBoard, Prometheus, the trend plot).
    """

    def __init__(self, sentiment: LabelScorer, windows: Windows, rule: SurgeRule, topics: LabelScorer | None = None,
                 batch_size: int = 64, listeners: Iterable[MonitorListener] = ()):
        self.sentiment, self.windows, self.rule, self.topics = sentiment, windows, rule, topics
        self.batch_size, self.listeners = batch_size, list(listeners)
        self.summary = MonitorSummary()
        self._beat = Heartbeat("monitoring", None, "rows")

    def run(self, items: Iterable[TimedText | BadRow | None]) -> MonitorSummary:
        """Consumes ``items`` to their end, then closes the windows still open."""
        batch: list[TimedText] = []
        for item in items:
            if isinstance(item, BadRow):
                self._bad_row(item)
                continue
            if item is IDLE:  # a followed stream went quiet: score what is in hand now
                self._score(batch)
                batch = []
                continue
            batch.append(item)
            if len(batch) >= self.batch_size:
                self._score(batch)
                batch = []
        self._score(batch)
        self._judge(self.windows.flush())
        return self.summary

    def _score(self, batch: list[TimedText]) -> None:
        if not batch:
            return
        texts = [row.text for row in batch]
        labels, confidences = self.sentiment(texts)
        if self.topics is not None:
            topics, _ = self.topics(texts)
            batch = [replace(row, group=topic) for row, topic in zip(batch, topics)]
        for row, label, confidence in zip(batch, labels, confidences):
            closed = self.windows.add(row, label, confidence)
            if isinstance(closed, BadRow):
                self._bad_row(closed)
            else:
                self.summary.rows += 1
                self._judge(closed)
        self._beat.tick(self.summary.rows)

    def _judge(self, tallies: list[WindowTally]) -> None:
        for tally in tallies:
            share = tally.share(self.windows.negative_label)
            report = WindowReport(tally, share, self.rule.judge(tally.group, share, tally.count))
            self.summary.windows += 1
            self.summary.alerts += report.verdict.alert
            for listener in self.listeners:
                listener.on_window(report)

    def _bad_row(self, bad: BadRow) -> None:
        self.summary.bad_rows += 1
        for listener in self.listeners:
            listener.on_bad_row(bad)
