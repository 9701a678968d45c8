"""The latest window of each group as Prometheus gauges, for a monitor that runs as a service.

Example:

>>> gauges = PrometheusGauges()
>>> gauges.serve(9108)          # http://127.0.0.1:9108/metrics
>>> gauges.exposition()[:30]
b'# HELP tfft_monitor_negative_'
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest, start_http_server

from tfft.data.errors import BadRow
from tfft.monitor.stream_monitor import MonitorListener, WindowReport
from tfft.monitor.windows import ALL_GROUPS


class PrometheusGauges(MonitorListener):
    def __init__(self):
        self.registry = CollectorRegistry()
        metric = {"registry": self.registry}
        self.share = Gauge("tfft_monitor_negative_share", "Negative share of the group's latest closed window",
                           ["group"], **metric)
        self.rows = Gauge("tfft_monitor_window_rows", "Rows in the group's latest closed window", ["group"], **metric)
        self.z = Gauge("tfft_monitor_z_score", "z-score of the group's latest judged window", ["group"], **metric)
        self.baseline = Gauge("tfft_monitor_baseline_share", "The group's trailing baseline share", ["group"],
                              **metric)
        self.window_end = Gauge("tfft_monitor_last_window_end_seconds", "End (Unix time) of the latest closed window",
                                **metric)
        self.alerts = Counter("tfft_monitor_alerts", "Alerts raised, by group", ["group"], **metric)
        self.scored = Counter("tfft_monitor_rows", "Rows scored into closed windows", **metric)
        self.bad_rows = Counter("tfft_monitor_bad_rows", "Rows skipped as bad", **metric)

    def serve(self, port: int, address: str = "0.0.0.0") -> None:
        start_http_server(port, addr=address, registry=self.registry)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def on_window(self, report: WindowReport) -> None:
        group, verdict = report.tally.group, report.verdict
        self.share.labels(group).set(report.negative_share)
        self.rows.labels(group).set(report.tally.count)
        if verdict.z is not None:
            self.z.labels(group).set(verdict.z)
            self.baseline.labels(group).set(verdict.baseline_share)
        if verdict.alert:
            self.alerts.labels(group).inc()
        if group == ALL_GROUPS:
            self.scored.inc(report.tally.count)
            self.window_end.set(report.tally.start + report.tally.width)

    def on_bad_row(self, bad: BadRow) -> None:
        self.bad_rows.inc()
