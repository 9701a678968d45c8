#!/usr/bin/env python
"""Distilled student against its teacher: SST-2 dev accuracy, size, batch-1 and batch-32 serving latency.

Both runs are exported into a temporary folder and scored on all of dev; then
batch-1 latency is timed interleaved (teacher, student, teacher, ...) on the
same sentences through ``serving_default`` on raw strings, so drift on a shared
machine hits both alike; once as Python calls the signature (what ``tfft serve``
does) and once as one session run on the SignatureDef's tensors (what TF Serving
does, `benchmarks/session_runner.py`):

    tfft train --config configs/sst2_lora.yaml            # the teacher (runs/sst2-lora)
    tfft train --config configs/sst2_distill_l3.yaml      # the 3-layer student
    python benchmarks/distillation.py --teacher runs/sst2-lora --student runs/sst2-distill-l3 \\
        --data-dir ../shared/data/sst2 [--quantize bfloat16]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import benchmarks.startup  # noqa: E402,F401  (quiet TensorFlow start, tfft progress lines)

from benchmarks.quantization import measure_exports, print_table, timing_texts  # noqa: E402
from benchmarks.record import write_record  # noqa: E402
from tfft.config import QUANTIZATION_MODES  # noqa: E402
from tfft.export.from_run import export_run  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--teacher", required=True, help="the teacher's finished run folder")
    parser.add_argument("--student", required=True, help="the distilled student's finished run folder")
    parser.add_argument("--data-dir", required=True, help="folder with dev.tsv (sentence, label)")
    parser.add_argument("--calls", type=int, default=200, help="batch-1 calls timed")
    parser.add_argument("--quantize", choices=QUANTIZATION_MODES, help="export both models this way")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    dev = Path(args.data_dir) / "dev.tsv"
    texts = timing_texts(dev, args.calls)
    with tempfile.TemporaryDirectory() as folder:
        exports = {name: export_run(Path(run), Path(folder) / name, quantization=args.quantize)
                   for name, run in (("teacher", args.teacher), ("student", args.student))}
        results = measure_exports(exports, dev, texts, args.calls)
    teacher, student = results["teacher"], results["student"]
    print_table("model", results, accuracy=lambda value: f"{100 * value:.2f}")
    summary = {"accuracy_kept": round(student["accuracy"] / teacher["accuracy"], 4),
               "batch1_speedup": round(teacher["batch1_p50_ms"] / student["batch1_p50_ms"], 2),
               "batch1_session_speedup": round(teacher["batch1_session_p50_ms"] / student["batch1_session_p50_ms"], 2),
               "batch32_speedup": round(teacher["batch32_p50_ms"] / student["batch32_p50_ms"], 2)}
    print(f"student keeps {100 * summary['accuracy_kept']:.1f}% of the teacher's accuracy; "
          f"batch-1 {summary['batch1_speedup']}x (Python signature call; "
          f"{summary['batch1_session_speedup']}x through a session, as TF Serving runs it), "
          f"batch-32 {summary['batch32_speedup']}x faster")
    payload = {"teacher_run": args.teacher, "student_run": args.student, "quantization": args.quantize,
               **results, **summary}
    write_record("distillation", payload)
    print(json.dumps(payload))


if __name__ == "__main__":
    main()
