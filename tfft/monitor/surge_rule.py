"""When a window's negative share is a surge: a z-score against the group's trailing windows.

The spread a share is compared with joins the baseline's own window-to-window
spread and this window's sampling noise (binomial, at the baseline share), so a
quiet baseline with zero spread still needs a real jump, and a small window a
larger one.

Example:

>>> rule = SurgeRule(z_threshold=3.0, min_count=20, baseline_windows=24)
>>> for share in (0.18, 0.22, 0.20, 0.19):
...     calm = rule.judge("markets", share, count=60)
>>> verdict = rule.judge("markets", share=0.42, count=60)
>>> verdict.alert, round(verdict.z, 1)
(True, 4.1)
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """How one window compares with its group's baseline (``z`` is None while the baseline is too short)."""

    alert: bool
    z: float | None
    baseline_share: float | None
    baseline_std: float | None
    baseline_windows: int


@dataclass
class SurgeRule:
    """Alert when share ≥ baseline mean + ``z_threshold`` spreads, in a window of at least ``min_count`` rows.

    Args:
        z_threshold: how many spreads above the baseline a share must be.
        min_count: windows with fewer rows are neither judged nor added to the baseline.
        baseline_windows: how many trailing judged windows of the group form its baseline.
        min_baseline_windows: no verdict before the group has this many.
    """

    z_threshold: float = 3.0
    min_count: int = 20
    baseline_windows: int = 24
    min_baseline_windows: int = 3

    def __post_init__(self):
        for name in ("z_threshold", "min_count", "baseline_windows", "min_baseline_windows"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}={getattr(self, name)!r} is not allowed: expected a positive number")
        if self.min_baseline_windows > self.baseline_windows:
            raise ValueError(f"min_baseline_windows={self.min_baseline_windows} is not allowed: expected at most "
                             f"baseline_windows ({self.baseline_windows})")
        self._history: dict[str, deque] = defaultdict(lambda: deque(maxlen=self.baseline_windows))

    def judge(self, group: str, share: float, count: int) -> Verdict:
        """The verdict on this window; a window that did not alert joins the group's baseline."""
        history = self._history[group]
        if count < self.min_count:
            return Verdict(False, None, None, None, len(history))
        if len(history) < self.min_baseline_windows:
            history.append(share)
            return Verdict(False, None, None, None, len(history) - 1)
        mean = sum(history) / len(history)
        std = math.sqrt(sum((value - mean) ** 2 for value in history) / (len(history) - 1))
        expected = min(max(mean, 1.0 / count), 1.0 - 1.0 / count)  # a zero baseline still has sampling noise
        spread = math.sqrt(std ** 2 + expected * (1.0 - expected) / count)
        z = (share - mean) / spread
        alert = z >= self.z_threshold
        verdict = Verdict(alert, z, mean, std, len(history))
        if not alert:  # a surge must not raise the baseline it is judged against
            history.append(share)
        return verdict
