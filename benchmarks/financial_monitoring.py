#!/usr/bin/env python
"""Financial opinion monitoring recipe: a sentiment model and a topic model watching a replay stream.

    python benchmarks/financial_monitoring.py --prepare-only   # data + the replay stream under runs/data/
    python benchmarks/financial_monitoring.py                  # also train both models, monitor, record

Steps (all seeded):
1. Financial PhraseBank (50% agreement) split 80/20 as in benchmarks/domain_adaptation.py;
   AG News' 5,000-row training sample and its test set written as text,label CSVs.
2. A replay stream of 48 hourly windows from held-out sentences only (the PhraseBank test part
   and AG News test): each hour 40 AG News texts and 20 PhraseBank sentences with timestamps.
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
HOURS, NEWS_PER_HOUR, PHRASES_PER_HOUR = 48, 40, 20
SURGE_HOUR, SURGE_NEGATIVE_SHARE = 40, 0.6
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument("--work", default=str(ROOT / "runs" / "financial-monitoring"),
                        help="folder for this run's monitor output (a new one)")
    args = parser.parse_args()
    prepare(PHRASEBANK_SOURCE, PHRASEBANK)
    prepare_ag_news(AG_NEWS_SOURCE, AG_NEWS)
    stream = write_stream(STREAM)
    if args.prepare_only:
        return
    raise SystemExit("training and monitoring come next")


if __name__ == "__main__":
    main()
