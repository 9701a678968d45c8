#!/usr/bin/env python
"""Financial opinion monitoring recipe: a sentiment model and a topic model watching a replay stream.

    python benchmarks/financial_monitoring.py --prepare-only   # data + the replay stream under runs/data/
    python benchmarks/financial_monitoring.py                  # also train both models, monitor, record

Steps (all seeded):
1. Financial PhraseBank (50% agreement) split 80/20 as in benchmarks/domain_adaptation.py;
   AG News' 5,000-row training sample and its test set written as text,label CSVs.
2. A replay stream of 36 hourly windows from held-out sentences only (the PhraseBank test part
   and AG News test): each hour 60 AG News texts and 40 PhraseBank sentences with timestamps.
   In hour SURGE_HOUR the PhraseBank sentences are drawn from its negative ones at SURGE_NEGATIVE_SHARE
   (the calm hours draw them as they come, about 12% negative).
3. ``tfft train`` configs/financial_phrasebank.yaml (exported) and configs/ag_news.yaml.
4. ``tfft monitor`` the stream, sentiment by the first model, grouped by the second's topic;
   the record lists every alert and the trend plot goes to docs/images/financial_monitor_trend.png.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import benchmarks.startup  # noqa: E402,F401  (quiet TensorFlow start, tfft progress lines)

from benchmarks.domain_adaptation import PREPARED as PHRASEBANK, SOURCE as PHRASEBANK_SOURCE, prepare  # noqa: E402
from benchmarks.record import write_record  # noqa: E402

AG_NEWS_SOURCE = ROOT.parent / "shared" / "data" / "ag_news"
AG_NEWS = ROOT / "runs" / "data" / "ag_news"
STREAM = ROOT / "runs" / "data" / "financial_stream.csv"
TOPICS = ["World", "Sports", "Business", "Sci/Tech"]
HOURS, NEWS_PER_HOUR, PHRASES_PER_HOUR = 36, 60, 40
SURGE_HOUR, SURGE_NEGATIVE_SHARE = 30, 0.8
START = datetime.datetime(2026, 3, 2, tzinfo=datetime.timezone.utc)
PLOT = ROOT / "docs" / "images" / "financial_monitor_trend.png"


def prepare_ag_news(source: Path, target: Path) -> None:
    """train.csv (the 5,000-row sample, 0-based labels) and test.csv (title + description, 1-based) as text,label."""
    target.mkdir(parents=True, exist_ok=True)
    with open(source / "train_sample5000.csv", newline="", encoding="utf-8") as file:
        train = [(text, TOPICS[int(label)]) for text, label in csv.reader(file)]
    with open(source / "test.csv", newline="", encoding="utf-8") as file:
        test = [(f"{title} {description}".replace("\\", " "), TOPICS[int(label) - 1])
                for label, title, description in csv.reader(file)]
    for name, rows in (("train.csv", train), ("test.csv", test)):
        with open(target / name, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["text", "label"])
            writer.writerows(rows)
    print(f"wrote {len(train)} training and {len(test)} test rows to {target}", file=sys.stderr)


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def write_stream(target: Path, seed: int = 7) -> dict:
    """The replay stream (time,text,source,gold_sentiment); returns what was injected where."""
    rng = np.random.default_rng(seed)
    news = _rows(AG_NEWS / "test.csv")
    phrases = _rows(PHRASEBANK / "test.csv")
    negative = [row for row in phrases if row["label"] == "negative"]
    news_order, phrase_order = rng.permutation(len(news)), rng.permutation(len(phrases))
    rows, used_phrases = [], 0
    for hour in range(HOURS):
        hour_news = [news[i] for i in news_order[hour * NEWS_PER_HOUR:(hour + 1) * NEWS_PER_HOUR]]
        if hour == SURGE_HOUR:
            surged = int(PHRASES_PER_HOUR * SURGE_NEGATIVE_SHARE)
            hour_phrases = [negative[i] for i in rng.choice(len(negative), surged, replace=False)]
            hour_phrases += [phrases[i] for i in rng.choice(len(phrases), PHRASES_PER_HOUR - surged, replace=False)]
        else:
            picked = [phrase_order[(used_phrases + k) % len(phrases)] for k in range(PHRASES_PER_HOUR)]
            used_phrases += PHRASES_PER_HOUR
            hour_phrases = [phrases[i] for i in picked]
        texts = [(row["text"], "ag_news", "") for row in hour_news]
        texts += [(row["text"], "financial_phrasebank", row["label"]) for row in hour_phrases]
        seconds = np.sort(rng.uniform(0, 3600, len(texts)))
        for second, index in zip(seconds, rng.permutation(len(texts))):
            moment = START + datetime.timedelta(hours=hour, seconds=float(second))
            rows.append((moment.isoformat(timespec="seconds"), *texts[index]))
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["time", "text", "source", "gold_sentiment"])
        writer.writerows(rows)
    surge_start = START + datetime.timedelta(hours=SURGE_HOUR)
    print(f"wrote {len(rows)} stream rows over {HOURS} hours to {target} (surge at {surge_start})", file=sys.stderr)
    return {"rows": len(rows), "hours": HOURS, "surge_window": surge_start.isoformat(),
            "surge_negative_share_of_phrasebank": SURGE_NEGATIVE_SHARE}


def _trained_export(config: str, given: str | None) -> Path:
    if given:
        return Path(given)
    from tfft.commands.train import train_and_export
    from tfft.config import load_config

    return train_and_export(load_config(str(ROOT / "configs" / config), ["export.enabled=true"]), verbose=2).export_path


def _test_scores(export: Path) -> dict:
    from tfft.export.loaded import LoadedExport

    metrics = LoadedExport.read_metadata(export).get("metrics", {})
    return {name: metrics.get(name) for name in ("test_accuracy", "test_macro_f1")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument("--sentiment", help="a trained Financial PhraseBank export (default: train one)")
    parser.add_argument("--topics", help="a trained AG News export (default: train one)")
    parser.add_argument("--work", default=str(ROOT / "runs" / "financial-monitoring"),
                        help="a new folder for the monitor's output")
    args = parser.parse_args()
    prepare(PHRASEBANK_SOURCE, PHRASEBANK)
    prepare_ag_news(AG_NEWS_SOURCE, AG_NEWS)
    stream = write_stream(STREAM)
    if args.prepare_only:
        return

    from tfft.cli import main as tfft_main

    started = time.perf_counter()
    sentiment = _trained_export("financial_phrasebank.yaml", args.sentiment)
    topics = _trained_export("ag_news.yaml", args.topics)
    trained_s = time.perf_counter() - started
    started = time.perf_counter()
    status = tfft_main(["monitor", str(sentiment), str(STREAM), "--topic-model", str(topics), "--window", "1h",
                        "--out", args.work])
    monitor_s = time.perf_counter() - started
    out = Path(args.work)
    windows = [json.loads(line) for line in (out / "windows.jsonl").read_text(encoding="utf-8").splitlines()]
    alerts = [window for window in windows if window["alert"]]
    calm = [window for window in windows if window["window_start"] != stream["surge_window"] and window["z"] is not None]
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out / "trend.png", PLOT)
    write_record("financial_monitoring", {
        "stream": stream, "window": "1h", "rule": {"z": 3.0, "min_count": 20, "baseline_windows": 24},
        "sentiment_model": {"export": str(sentiment), **_test_scores(sentiment)},
        "topic_model": {"export": str(topics), **_test_scores(topics)},
        "exit_status": status, "window_tallies": len(windows),
        "alerts": [{key: alert[key] for key in ("window_start", "group", "count", "negative_share", "baseline_share",
                                                 "z", "most_negative")} for alert in alerts],
        "alerts_in_surge_window": sum(alert["window_start"] == stream["surge_window"] for alert in alerts),
        "alerts_in_calm_windows": sum(alert["window_start"] != stream["surge_window"] for alert in alerts),
        "largest_calm_z": max(window["z"] for window in calm),
        "seconds": {"training": round(trained_s, 1), "monitoring": round(monitor_s, 1)},
        "rows_per_second": round(stream["rows"] / monitor_s, 1), "plot": str(PLOT.relative_to(ROOT)),
    })


if __name__ == "__main__":
    main()
