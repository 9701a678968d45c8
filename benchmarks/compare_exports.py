"""Batch-1 latency of several exports of one model, timed interleaved: which graph is faster?

Each SST-2 dev sentence goes to every export in turn, from Python and in a
session (`benchmarks/interleaved.py`), so the machine's drift hits all alike;
the ratios are against the first export.

Example:

    python benchmarks/compare_exports.py saved_models/sst2-lora/4 saved_models/sst2-lora/7 \\
        --data-dir ../shared/data/sst2 --calls 400
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import benchmarks.startup  # noqa: E402,F401  (quiet TensorFlow start, tfft progress lines)

from benchmarks.interleaved import WARMUP_CALLS, interleaved_batch1_ms  # noqa: E402
from benchmarks.record import write_record  # noqa: E402
from benchmarks.serving_latency import dev_sentences  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exports", nargs="+", help="export version folders (saved_models/<name>/<v>)")
    parser.add_argument("--data-dir", required=True, help="folder with SST-2's dev.tsv")
    parser.add_argument("--calls", type=int, default=400, help="timed sentences per export")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    exports = {str(path): Path(path) for path in args.exports}
    texts = dev_sentences(args.data_dir)[: args.calls + WARMUP_CALLS]
    medians = interleaved_batch1_ms(exports, texts)
    first = medians[args.exports[0]]
    print("| export | from Python p50 ms | in a session p50 ms | Python / first | session / first |")
    print("|---|---|---|---|---|")
    for name, p50 in medians.items():
        print(f"| {name} | {p50['signature']:.2f} | {p50['session']:.2f} | "
              f"{p50['signature'] / first['signature']:.3f} | {p50['session'] / first['session']:.3f} |")
    print(json.dumps(medians))
    write_record("compare_exports", medians)


if __name__ == "__main__":
    main()
