"""Run (or read back) one recipe from configs/ and print its headline figures.

The shared part of the per-task benchmarks: train with a recipe, then print
one JSON line with the task's headline metrics on validation, training
throughput (real tokens/s and examples/s in the first epoch, warm-up steps
excluded) and the wall-clock time. ``--from-run`` reads a finished run folder
instead of training again (its metrics.json holds the same figures).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import benchmarks.startup  # noqa: E402,F401  (quiet TensorFlow start, tfft progress lines)

from benchmarks.record import write_record  # noqa: E402


DEFAULT_HF_PYTHON = Path.home() / ".venvs" / "peer-torch" / "bin" / "python"


def write_first_rows(source: Path, n_rows: int, folder: Path) -> Path:
    """``folder/<source name>`` with the first ``n_rows`` rows of ``source`` (0: all).

    Rows are lines after the header, or blank-line separated sentences for CoNLL ``.txt``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    text = source.read_text(encoding="utf-8")
    if source.suffix == ".txt":
        blocks = text.split("\n\n")
        kept = "\n\n".join(blocks[: n_rows + 1] if n_rows else blocks) + "\n"
    else:
        lines = text.splitlines(keepends=True)
        kept = "".join(lines[: n_rows + 1] if n_rows else lines)
    subset = folder / source.name
    subset.write_text(kept, encoding="utf-8")
    return subset


def parse_args(description: str, config: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--config", default=str(ROOT / "configs" / config))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="config override, e.g. training.epochs=1 (repeatable)")
    parser.add_argument("--from-run", help="report a finished run folder instead of training")
    parser.add_argument("--peer", action="store_true", help="also run the peer script, right after")
    parser.add_argument("--hf-python", default=str(DEFAULT_HF_PYTHON),
                        help="python of a venv with torch + transformers (for --peer)")
    return parser.parse_args()


def last_json_line(stdout: str) -> dict:
    """The figures a benchmark process printed: its final stdout line, as JSON."""
    return json.loads(stdout.strip().splitlines()[-1])


def run_peer(hf_python: str, script: str, arguments: list[str]) -> dict:
    """Runs a peer script in its own venv; returns its final JSON line."""
    if not Path(hf_python).is_file():
        return {"skipped": f"no peer python at {hf_python}"}
    completed = subprocess.run([hf_python, str(ROOT / "benchmarks" / "peers" / script), *arguments],
                               capture_output=True, text=True)
    if completed.returncode != 0:
        return {"failed": completed.stderr[-2000:]}
    return last_json_line(completed.stdout)


def headline(metrics: dict, keys: tuple[str, ...]) -> dict:
    after = metrics["validation"]["after"]
    training = metrics.get("training", {})
    throughput = training.get("throughput_first_epoch", {})
    return {
        **{f"validation_{key}": after[key] for key in keys if key in after},
        "epochs_run": training.get("epochs_run"),
        "training_seconds": training.get("seconds"),
        "train_tokens_per_second": round(throughput.get("tokens_per_second", float("nan")), 1),
        "train_examples_per_second": round(throughput.get("examples_per_second", float("nan")), 1),
    }


def run(description: str, config: str, keys: tuple[str, ...], peer=None, trainer=None) -> dict:
    """Trains (or reads) the recipe; with ``--peer``, ``peer(args)`` runs the peer after it.

    ``trainer(config, verbose)`` is `tfft.commands.train.train_and_export` unless given
    (`tfft.pretraining.run.pretrain` for pre-training recipes).
    """
    args = parse_args(description, config)
    if args.from_run:
        metrics = json.loads((Path(args.from_run) / "metrics.json").read_text())
        result = {"run": args.from_run, **headline(metrics, keys)}
    else:
        from tfft.config import load_config
        from tfft.commands.train import train_and_export

        started = time.perf_counter()
        outcome = (trainer or train_and_export)(load_config(args.config, args.set), verbose=2)
        result = {"run": str(outcome.run_dir), **headline(outcome.metrics, keys),
                  "total_seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(result))
    other = None
    if args.peer and peer is not None:
        other = peer(args)
        print(json.dumps(other))
        if "train_tokens_per_second" in other:
            ratio = result["train_tokens_per_second"] / other["train_tokens_per_second"]
            print(f"tfft / {other.get('framework', 'peer')} training tokens/s: {ratio:.2f}x "
                  f"({result['train_tokens_per_second']:,.0f} vs {other['train_tokens_per_second']:,.0f})")
    write_record(Path(sys.argv[0]).stem, {"tfft": result, "peer": other})
    return result
