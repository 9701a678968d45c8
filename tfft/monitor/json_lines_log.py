"""The monitor's files: one JSON line per closed window (or per alert), and the bad rows with their place.

Example:

>>> listeners = [WindowLog("out/windows.jsonl"), WindowLog("out/alerts.jsonl", alerts_only=True),
...              BadRowLog("out/bad_rows.txt")]
"""

from __future__ import annotations

import json
from pathlib import Path

from tfft.data.errors import BadRow
from tfft.monitor.stream_monitor import MonitorListener, WindowReport


class WindowLog(MonitorListener):
    """Appends each window's record (or only the alerts') to a new JSON-lines file, flushed per line."""

    def __init__(self, path: str | Path, alerts_only: bool = False):
        self.file = open(path, "x", encoding="utf-8")
        self.alerts_only = alerts_only

    def on_window(self, report: WindowReport) -> None:
        if report.verdict.alert or not self.alerts_only:
            self.file.write(json.dumps(report.record(), ensure_ascii=False) + "\n")
            self.file.flush()

    def close(self) -> None:
        self.file.close()


class BadRowLog(MonitorListener):
    """One line per skipped row: file, line, column and why."""

    def __init__(self, path: str | Path):
        self.file = open(path, "x", encoding="utf-8")

    def on_bad_row(self, bad: BadRow) -> None:
        self.file.write(f"{bad}\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()
