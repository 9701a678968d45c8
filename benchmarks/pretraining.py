#!/usr/bin/env python
"""Tiny Shakespeare: a small GPT-2 pre-trained from scratch by `tfft pretrain`; validation
perplexity per epoch, tokens/s, time, and the curve as a PNG.

    python benchmarks/pretraining.py                             # trains configs/pretrain_shakespeare_gpt.yaml
    python benchmarks/pretraining.py --from-run runs/shakespeare-gpt
    python benchmarks/pretraining.py --set training.epochs=2     # any config override
"""

from __future__ import annotations

import json
from pathlib import Path

from recipe import ROOT, run

CURVE = ROOT / "docs" / "shakespeare_perplexity.png"  # shown in the README


def plot_curve(run_dir: Path, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = json.loads((run_dir / "metrics.json").read_text())
    history, before = metrics["history"], metrics["validation"]["before"]
    epochs = list(range(0, len(history["val_perplexity"]) + 1))
    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.plot(epochs, [before["perplexity"], *history["val_perplexity"]], marker="o", label="validation")
    axis.plot(epochs[1:], history["perplexity"], marker=".", label="training (epoch mean)")
    axis.set(xlabel="epoch", ylabel="perplexity (log scale)", yscale="log",
             title=f"tfft pretrain: Tiny Shakespeare, {run_dir.name}")
    axis.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    print(f"curve: {path}")


if __name__ == "__main__":
    from tfft.pretraining.run import pretrain

    result = run(__doc__.split("\n")[0], "pretrain_shakespeare_gpt.yaml", ("loss", "perplexity"), trainer=pretrain)
    run_dir = Path(result["run"])
    metrics = json.loads((run_dir / "metrics.json").read_text())
    print("validation perplexity by epoch:",
          " ".join(f"{value:.1f}" for value in metrics["history"]["val_perplexity"]))
    plot_curve(run_dir, CURVE)
