"""A PNG of each group's negative share per window, alerts marked, baseline shown for the alerting groups.

Example:

>>> plot = TrendPlot()                 # a listener: collects one point per closed window
>>> plot.save("runs/monitor/trend.png", title="negative share per hour")
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from pathlib import Path

from tfft.monitor.stream_monitor import MonitorListener, WindowReport

MAX_GROUPS = 8  # more lines than this read as noise: the groups with the most rows are drawn
BASELINE_MARK_WINDOWS = 3  # how far left of an alert its baseline is drawn


class TrendPlot(MonitorListener):
    def __init__(self):
        self.points: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self.rows: dict[str, int] = defaultdict(int)
        self.alerts: list[tuple[str, float, float, float, float | None]] = []

    def on_window(self, report: WindowReport) -> None:
        tally = report.tally
        self.points[tally.group].append((tally.start, report.negative_share))
        self.rows[tally.group] += tally.count
        if report.verdict.alert:
            self.alerts.append((tally.group, tally.start, tally.width, report.negative_share,
                                report.verdict.baseline_share))

    def save(self, path: str | Path, title: str) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axes = plt.subplots(figsize=(10, 4.5), dpi=110)
        groups = sorted(self.points, key=lambda group: -self.rows[group])[:MAX_GROUPS]
        colours = {}
        for group in groups:
            times, shares = zip(*self.points[group])
            line, = axes.plot([_datetime(t) for t in times], shares, marker=".", linewidth=1.2, label=group)
            colours[group] = line.get_color()
        for number, (group, start, width, share, baseline) in enumerate(self.alerts):
            if group in colours:
                axes.scatter([_datetime(start)], [share], s=140, facecolors="none", edgecolors="red", linewidths=2,
                             zorder=3, label="alert" if number == 0 else None)
                if baseline is not None:
                    axes.hlines(baseline, _datetime(start - BASELINE_MARK_WINDOWS * width), _datetime(start),
                                colors=colours[group], linestyles="dotted")
        axes.set_ylabel("negative share")
        axes.set_title(title)
        axes.set_ylim(bottom=0)
        axes.grid(alpha=0.3)
        axes.legend(loc="upper left", fontsize="small", ncol=2)
        figure.autofmt_xdate()
        figure.tight_layout()
        figure.savefig(path)
        plt.close(figure)


def _datetime(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
