"""``tfft monitor``: a sentiment model over a stream of timestamped texts; alerts when a group's negative share surges.

Example:

    tfft monitor saved_models/financial-phrasebank stream.csv --topic-model saved_models/ag-news \\
        --window 1h --out runs/monitor
    tail -f posts.jsonl | tfft monitor --server grpc://127.0.0.1:8500 sentiment - --group-column topic --out m/
    tfft monitor saved_models/financial-phrasebank incoming/ --follow --prometheus-port 9108 --out m/

Exit status: 0, or ALERT_STATUS when a batch run (not ``--follow``) raised an alert; 2 for bad input.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

from tfft.data.errors import BadRow
from tfft.monitor.json_lines_log import BadRowLog, WindowLog
from tfft.monitor.label_scorer import LabelScorer
from tfft.monitor.line_sources import stream_lines
from tfft.monitor.prometheus_gauges import PrometheusGauges
from tfft.monitor.stream_monitor import MonitorListener, StreamMonitor, WindowReport
from tfft.monitor.stream_rows import StreamColumns, parse_rows
from tfft.monitor.surge_rule import SurgeRule
from tfft.monitor.tensorboard_scalars import TensorBoardScalars
from tfft.monitor.time_values import parse_duration
from tfft.monitor.trend_plot import TrendPlot
from tfft.monitor.windows import Windows

logger = logging.getLogger("tfft.monitor")

ALERT_STATUS = 3
BAD_ROWS_SHOWN = 5
OUTPUTS = {"windows": "windows.jsonl", "alerts": "alerts.jsonl", "bad_rows": "bad_rows.txt", "log": "monitor.log",
           "plot": "trend.png", "tensorboard": "tensorboard"}


class _Terminal(MonitorListener):
    """Alerts and the first bad rows as log lines (stderr and monitor.log)."""

    def __init__(self):
        self.bad_rows = 0

    def on_window(self, report: WindowReport) -> None:
        if not report.verdict.alert:
            return
        record = report.record()
        example = record["most_negative"][0]["text"] if record["most_negative"] else ""
        logger.warning(f"ALERT {record['window_start']} {record['group']}: negative share "
                       f"{record['negative_share']:.1%} of {record['count']} rows, baseline "
                       f"{record['baseline_share']:.1%} (z {record['z']:.1f}); e.g. {example[:120]!r}")

    def on_bad_row(self, bad: BadRow) -> None:
        self.bad_rows += 1
        if self.bad_rows <= BAD_ROWS_SHOWN:
            logger.warning(f"skipped {bad}")


def _out_folder(path: str) -> Path:
    out = Path(path)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} already exists and is not an empty folder; tfft monitor never overwrites "
                              f"earlier output, name a new --out folder")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _scorers(args) -> tuple[LabelScorer, LabelScorer | None]:
    options = {"timeout": args.timeout} if args.server else {}
    sentiment = LabelScorer.for_model(args.model, args.server, **options)
    sentiment.check_label(args.negative_label, "--negative-label")
    topics = LabelScorer.for_model(args.topic_model, args.server, **options) if args.topic_model else None
    return sentiment, topics


def _stop_on_signals() -> threading.Event:
    """Ctrl-C or SIGTERM ends a followed stream cleanly: open windows are closed and the outputs written."""
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    return stop


def _listeners(args, out: Path) -> tuple[list[MonitorListener], TrendPlot]:
    plot = TrendPlot()
    listeners = [WindowLog(out / OUTPUTS["windows"]), WindowLog(out / OUTPUTS["alerts"], alerts_only=True),
                 BadRowLog(out / OUTPUTS["bad_rows"]), TensorBoardScalars(out / OUTPUTS["tensorboard"]), plot,
                 _Terminal()]
    if args.prometheus_port:
        gauges = PrometheusGauges()
        gauges.serve(args.prometheus_port)
        listeners.append(gauges)
        logger.info(f"Prometheus gauges at http://0.0.0.0:{args.prometheus_port}/metrics")
    return listeners, plot


def run(args) -> int:
    if args.topic_model and args.group_column:
        raise ValueError("group rows by --group-column or by --topic-model's label, not both")
    windows = Windows(parse_duration(args.window), args.negative_label, args.examples,
                      parse_duration(args.allowed_lateness, zero_allowed=True))
    rule = SurgeRule(args.z, args.min_count, args.baseline_windows, args.min_baseline_windows)
    poll = parse_duration(args.poll)
    sentiment, topics = _scorers(args)
    out = _out_folder(args.out)
    log_file = logging.FileHandler(out / OUTPUTS["log"], encoding="utf-8")
    log_file.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logging.getLogger("tfft").addHandler(log_file)
    listeners, plot = _listeners(args, out)
    stop = _stop_on_signals() if args.follow else threading.Event()
    monitor = StreamMonitor(sentiment, windows, rule, topics, args.batch_size, listeners)
    columns = StreamColumns(args.time_column, args.text_column, args.group_column)
    try:
        summary = monitor.run(parse_rows(stream_lines(args.source, args.follow, poll, stop.is_set), columns))
    finally:
        for listener in listeners:
            listener.close()
        logging.getLogger("tfft").removeHandler(log_file)
        log_file.close()
    plot.save(out / OUTPUTS["plot"], f"negative share ('{args.negative_label}') per {args.window} window")
    print(f"scored {summary.rows} rows into {summary.windows} window tallies; {summary.alerts} alert(s); "
          f"{summary.bad_rows} bad row(s) skipped\n"
          + "\n".join(f"  {name}: {out / file}" for name, file in OUTPUTS.items()))
    return ALERT_STATUS if summary.alerts and not args.follow else 0
