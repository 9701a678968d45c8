"""``tfft pretrain``: masked-LM or causal-LM pre-training into a keras-hub preset folder.

Example:

    tfft pretrain --config configs/pretrain_shakespeare_gpt.yaml
"""

from __future__ import annotations

from tfft.commands.progress import fit_verbosity
from tfft.config import load_config
from tfft.pretraining.run import pretrain


def run(args) -> int:
    result = pretrain(load_config(args.config, args.overrides), verbose=fit_verbosity())
    print(summary(result))
    return 0


def summary(result) -> str:
    validation = result.metrics["validation"]
    before, after = validation.get("before") or {}, validation["after"]
    lines = ["", "=== tfft pretrain finished ==="]
    for name, value in after.items():
        was = f"{before[name]:.4f} -> " if name in before else ""
        lines.append(f"validation {name}: {was}{value:.4f}")
    lines += [
        f"run folder:   {result.run_dir}  (config.yaml, metrics.json, checkpoints)",
        f"TensorBoard:  tensorboard --logdir {result.run_dir / 'logs'}",
        f"preset:       {result.preset_dir}",
        f"fine-tune:    tfft train --config <task config> --set model.backbone={result.preset_dir}",
    ]
    return "\n".join(lines)
