"""Per-group scalars of every closed window in TensorBoard: negative share, rows, z-score and alerts.

The step is the window's number counted from the stream's first window, so a
1 h window makes step 24 one day in.

Example:

>>> listeners = [TensorBoardScalars("runs/monitor/tensorboard")]   # tensorboard --logdir runs/monitor
"""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from tfft.monitor.stream_monitor import MonitorListener, WindowReport
from tfft.summaries import recording


class TensorBoardScalars(MonitorListener):
    def __init__(self, logdir: str | Path):
        self.writer = tf.summary.create_file_writer(str(logdir))
        self.first_start: float | None = None

    def on_window(self, report: WindowReport) -> None:
        tally, verdict = report.tally, report.verdict
        if self.first_start is None:
            self.first_start = tally.start
        step = int(round((tally.start - self.first_start) / tally.width))
        with recording(self.writer):
            tf.summary.scalar(f"negative_share/{tally.group}", report.negative_share, step=step)
            tf.summary.scalar(f"rows/{tally.group}", tally.count, step=step)
            if verdict.z is not None:
                tf.summary.scalar(f"z_score/{tally.group}", verdict.z, step=step)
            tf.summary.scalar(f"alert/{tally.group}", float(verdict.alert), step=step)

    def close(self) -> None:
        self.writer.flush()
        self.writer.close()
