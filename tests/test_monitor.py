"""tfft monitor: stream rows, windows, the surge rule, its outputs, and a replay stream with one injected surge.

The monitor's classifiers here are keyword rules saved as real SavedModels
(the same signature outputs as a tfft classification export), so every row's
label is known and the windows' shares can be asserted exactly.
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
import time
import tracemalloc

import numpy as np
import pytest
import tensorflow as tf

from tfft.cli import main
from tfft.data.errors import BadRow, DataError
from tfft.monitor.label_scorer import LabelScorer
from tfft.monitor.line_sources import IDLE, stream_lines
from tfft.monitor.prometheus_gauges import PrometheusGauges
from tfft.monitor.stream_monitor import StreamMonitor
from tfft.monitor.stream_rows import StreamColumns, TimedText, parse_rows
from tfft.monitor.surge_rule import SurgeRule
from tfft.monitor.windows import ALL_GROUPS, Windows

START = datetime.datetime(2026, 3, 2, tzinfo=datetime.timezone.utc)
SURGE_HOUR, HOURS = 30, 36
NEGATIVE_TEXT, CALM_TEXT = "shares plunged after an awful quarter", "shares were steady after the quarter"


class _KeywordClassifier(tf.Module):
    """``labels[0]`` where the text contains ``keyword``, else ``labels[1]``; probability 0.9."""

    def __init__(self, keyword: str, labels: list[str]):
        super().__init__()
        self.keyword, self.labels = keyword, tf.constant(labels)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def serve(self, text):
        hit = tf.strings.regex_full_match(text, f".*{self.keyword}.*")
        label_id = tf.where(hit, 0, 1)
        probabilities = tf.where(hit[:, None], [[0.9, 0.1]], [[0.1, 0.9]])
        return {"label": tf.gather(self.labels, label_id), "label_id": label_id, "probabilities": probabilities}


def _save_classifier(root, keyword: str, labels: list[str]):
    module = _KeywordClassifier(keyword, labels)
    version = root / "1"
    tf.saved_model.save(module, str(version), signatures={"serving_default": module.serve})
    (version / "assets.extra").mkdir()
    (version / "assets.extra" / "labels.json").write_text(json.dumps({"labels": labels}))
    return root


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return {"sentiment": _save_classifier(root / "sentiment", "awful", ["negative", "positive"]),
            "topics": _save_classifier(root / "topics", "shares", ["markets", "sport"])}


def _replay_stream(path, seed: int = 0) -> None:
    """Hourly windows, two topics; markets' negative share is 20% except in SURGE_HOUR (40%, doubled)."""
    rng = np.random.default_rng(seed)
    rows = []
    for hour in range(HOURS):
        negative_share = 0.4 if hour == SURGE_HOUR else 0.2
        texts = [NEGATIVE_TEXT if k < negative_share * 100 else CALM_TEXT for k in range(100)]
        texts += ["the match ended awful for the home side" if k < 30 else "the match was fun" for k in range(60)]
        for second, text in zip(np.sort(rng.uniform(0, 3600, len(texts))), rng.permutation(texts)):
            moment = START + datetime.timedelta(hours=hour, seconds=float(second))
            rows.append(json.dumps({"time": moment.isoformat(), "text": str(text)}))
    rows.insert(50, json.dumps({"time": "yesterday", "text": CALM_TEXT}))
    rows.insert(90, json.dumps({"time": START.isoformat(), "text": "  "}))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_monitor_raises_the_injected_surge_and_nothing_in_calm_windows(models, tmp_path, capsys):
    stream = tmp_path / "stream.jsonl"
    _replay_stream(stream)
    out = tmp_path / "watch"
    status = main(["monitor", str(models["sentiment"]), str(stream), "--topic-model", str(models["topics"]),
                   "--window", "1h", "--out", str(out)])
    assert status == 3  # alerts fired in a batch run
    alerts = [json.loads(line) for line in (out / "alerts.jsonl").read_text().splitlines()]
    surge = (START + datetime.timedelta(hours=SURGE_HOUR)).isoformat()
    # the surging topic, and the stream as a whole (43.75% against 31.25%), in the surge window only
    assert [(a["window_start"], a["group"]) for a in alerts] == [(surge, ALL_GROUPS), (surge, "markets")]
    markets = alerts[1]
    assert markets["negative_share"] == pytest.approx(0.4) and markets["baseline_share"] == pytest.approx(0.2)
    assert markets["most_negative"][0]["text"] == NEGATIVE_TEXT and markets["count"] == 100
    windows = [json.loads(line) for line in (out / "windows.jsonl").read_text().splitlines()]
    assert len(windows) == HOURS * 3  # markets, sport and (all) per hour
    sport = [w for w in windows if w["group"] == "sport"]
    assert {w["negative_share"] for w in sport} == {0.5} and not any(w["alert"] for w in sport)
    bad = (out / "bad_rows.txt").read_text().splitlines()
    assert bad == [f"{stream}, line 51, column 'time': time 'yesterday' is not ISO 8601 (2026-03-02T16:05:00Z) "
                   f"or Unix seconds", f"{stream}, line 91, column 'text': text is missing or empty"]
    assert (out / "trend.png").read_bytes()[:4] == b"\x89PNG"
    events = list((out / "tensorboard").glob("events.out.tfevents.*"))
    tags = {value.tag for event in tf.compat.v1.train.summary_iterator(str(events[0])) for value in event.summary.value}
    assert {"negative_share/markets", "rows/sport", "alert/markets", f"z_score/{ALL_GROUPS}"} <= tags
    captured = capsys.readouterr()
    assert f"ALERT {surge} markets: negative share 40.0% of 100 rows" in captured.err
    assert "2 bad row(s) skipped" in captured.out
    assert "ALERT" in (out / "monitor.log").read_text()
    # the output folder is never reused
    assert main(["monitor", str(models["sentiment"]), str(stream), "--out", str(out)]) == 2
    assert "never overwrites" in capsys.readouterr().err


def test_monitor_scores_through_a_running_server_with_a_group_column(models, tmp_path, capsys):
    from tfft.serving.model_registry import config_for_paths
    from tfft.serving.model_server import ModelServer

    stream = tmp_path / "stream.csv"
    lines = ["time,text,desk"]
    for hour in range(8):
        for k in range(40):
            negative = k < (20 if hour == 6 else 4)
            lines.append(f"{int(START.timestamp()) + hour * 3600 + k * 60},"
                         f"\"{NEGATIVE_TEXT if negative else CALM_TEXT}, again\",equities")
    stream.write_text("\n".join(lines) + "\n")
    with ModelServer(config_for_paths([models["sentiment"]], keep_versions=1), rest_port=0, grpc_port=0) as server:
        for scheme, port in (("http", server.rest_port), ("grpc", server.grpc_port)):
            out = tmp_path / scheme
            assert main(["monitor", "sentiment", str(stream), "--server", f"{scheme}://127.0.0.1:{port}",
                         "--group-column", "desk", "--out", str(out)]) == 3
            alerts = [json.loads(line) for line in (out / "alerts.jsonl").read_text().splitlines()]
            assert [(a["group"], a["negative_share"]) for a in alerts] == [(ALL_GROUPS, 0.5), ("equities", 0.5)]


def test_bad_input_names_the_file_line_and_column(models, tmp_path, capsys):
    stream = tmp_path / "s.csv"
    stream.write_text("when,text\n2026-03-02T00:00:00Z,hello\n")
    assert main(["monitor", str(models["sentiment"]), str(stream), "--out", str(tmp_path / "a")]) == 2
    assert f"{stream}, line 1, column 'time': column not found in header ['when', 'text']" in capsys.readouterr().err
    assert main(["monitor", str(models["sentiment"]), str(stream), "--time-column", "when", "--window", "1 hour",
                 "--out", str(tmp_path / "b")]) == 2
    assert "duration '1 hour' is not allowed" in capsys.readouterr().err
    assert main(["monitor", str(models["sentiment"]), str(stream), "--negative-label", "bad",
                 "--out", str(tmp_path / "c")]) == 2
    assert "--negative-label 'bad' is not a label of" in capsys.readouterr().err
    assert main(["monitor", str(models["sentiment"]), str(tmp_path / "missing.csv"), "--out", str(tmp_path / "d")]) == 2


def test_rows_out_of_order_beyond_the_lateness_are_reported_not_counted():
    windows = Windows(width=60, negative_label="negative", allowed_lateness=30)
    row = lambda t, line: TimedText("s.jsonl", line, float(t), "x")  # noqa: E731
    assert windows.add(row(10, 1), "negative", 0.9) == []
    assert windows.add(row(70, 2), "positive", 0.9) == []          # 70 - 30 is still in window 0
    assert windows.add(row(50, 3), "negative", 0.8) == []          # late but allowed
    closed = windows.add(row(95, 4), "positive", 0.9)              # 95 - 30 = 65: window 0 closes
    assert [(t.start, t.group, t.count, t.share("negative")) for t in closed] == [(0.0, ALL_GROUPS, 2, 1.0)]
    late = windows.add(row(20, 5), "negative", 0.9)
    assert isinstance(late, BadRow) and late.line == 5 and "had closed" in late.reason
    assert [(t.start, t.count) for t in windows.flush()] == [(60.0, 2)]


def test_surge_rule_needs_a_baseline_a_minimum_count_and_keeps_surges_out_of_the_baseline():
    rule = SurgeRule(z_threshold=3.0, min_count=20, baseline_windows=4, min_baseline_windows=3)
    assert [rule.judge("g", 0.1, 50).z for _ in range(3)] == [None, None, None]
    quiet = rule.judge("g", 0.1, 50)  # zero spread between windows: sampling noise alone
    assert quiet.z == pytest.approx(0.0) and quiet.baseline_std == pytest.approx(0.0)
    assert not rule.judge("g", 0.9, 10).alert                   # too few rows to judge
    surge = rule.judge("g", 0.3, 50)
    assert surge.alert and surge.z == pytest.approx(0.2 / np.sqrt(0.1 * 0.9 / 50))
    assert rule.judge("g", 0.3, 50).alert                       # the surge did not become the baseline
    with pytest.raises(ValueError, match="min_count=0 is not allowed"):
        SurgeRule(min_count=0)


def test_a_followed_folder_picks_up_appended_lines_and_new_files(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"time": 1, "text": "one"}\n{"time": 2, "te')
    seen, stop = [], threading.Event()

    def follow():
        for item in parse_rows(stream_lines(str(tmp_path), follow=True, poll_seconds=0.05, should_stop=stop.is_set),
                               StreamColumns()):
            if item is not IDLE:
                seen.append((item.source.rsplit("/", 1)[-1], item.line, item.text))

    reader = threading.Thread(target=follow)
    reader.start()
    time.sleep(0.3)
    assert seen == [("a.jsonl", 1, "one")]  # the half-written line waits
    with open(tmp_path / "a.jsonl", "a") as file:
        file.write('xt": "two"}\n')
    (tmp_path / "b.csv").write_text("time,text\n3,three\n")
    time.sleep(0.3)
    stop.set()
    reader.join(5)
    assert seen == [("a.jsonl", 1, "one"), ("a.jsonl", 2, "two"), ("b.csv", 2, "three")]


def test_a_stream_of_100k_rows_runs_in_bounded_memory_and_shows_progress(models, tmp_path, monkeypatch, caplog):
    import tfft.heartbeat

    stream = tmp_path / "big.csv"
    with open(stream, "w") as file:
        file.write("time,text\n")
        for k in range(100_000):
            file.write(f"{1772409600 + k * 2},{NEGATIVE_TEXT if k % 5 == 0 else CALM_TEXT} number {k}\n")
    monkeypatch.setattr(tfft.heartbeat, "EVERY_SECONDS", 1.0)
    gauges = PrometheusGauges()
    monitor = StreamMonitor(LabelScorer.for_model(str(models["sentiment"])), Windows(3600, "negative"),
                            SurgeRule(), batch_size=256, listeners=[gauges])
    tracemalloc.start()
    with caplog.at_level(logging.INFO, logger="tfft"):
        summary = monitor.run(parse_rows(stream_lines(str(stream)), StreamColumns()))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert summary.rows == 100_000 and summary.windows == 56 and summary.alerts == 0
    assert peak < 4 * 2 ** 20  # the 7 MB file and its 100k rows are never held at once
    assert any("monitoring:" in record.message and "rows" in record.message for record in caplog.records)
    metrics = gauges.exposition().decode()
    assert 'tfft_monitor_negative_share{group="(all)"} 0.2' in metrics and "tfft_monitor_rows_total 100000.0" in metrics


def test_a_label_scorer_refuses_an_export_that_is_not_a_single_label_classifier(tmp_path):
    module = tf.Module()
    module.serve = tf.function(lambda text: {"vector": tf.zeros([tf.shape(text)[0], 4])},
                               input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    tf.saved_model.save(module, str(tmp_path / "1"), signatures={"serving_default": module.serve})
    with pytest.raises(ValueError, match="not a single-label text classifier"):
        LabelScorer.for_model(str(tmp_path))
    with pytest.raises(DataError, match="column not found"):
        list(parse_rows(stream_lines(str(_write(tmp_path / "x.csv", "a,b\n1,2\n"))), StreamColumns()))


def _write(path, text):
    path.write_text(text)
    return path
