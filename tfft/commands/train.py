"""``tfft train``: fine-tune and evaluate (resuming an unfinished run), then export the finished run.

Example:

>>> from tfft.config import load_config
>>> result = train_and_export(load_config("tfft/sample_data/support_intents/config.yaml"))
>>> result.export_path
PosixPath('saved_models/support-intents/1')
"""

from __future__ import annotations

import shlex
from pathlib import Path

from tfft.commands.progress import fit_verbosity
from tfft.config import RunConfig, load_config
from tfft.evaluation.report import headline_numbers
from tfft.explain.explain_signature import explain_signatures
from tfft.explain.explanation_summaries import explanation_summaries
from tfft.export.from_run import export_run
from tfft.export.translation import back_translators
from tfft.training.run import RunResult, headline_metrics, train


def train_and_export(config: RunConfig, verbose: str | int = "auto") -> RunResult:
    """Trains as ``config`` says, then exports the run unless ``export.enabled`` is false."""
    result = train(config, verbose, translators=back_translators(config.data.augment),
                   more_callbacks=explanation_summaries(config.training))
    if config.export.enabled and result.chief:
        result.export_path = export_run(result.run_dir, Path(config.export.dir) / config.name,
                                        config.export.version, config.export.quantization,
                                        metadata={"metrics": headline_metrics(result.metrics)},
                                        extra_signatures=explain_signatures(config.export))
    return result


def run(args) -> int:
    overrides = list(args.overrides)
    if args.skip_bad_rows:
        overrides.append("data.skip_bad_rows=true")
    if args.no_export:
        overrides.append("export.enabled=false")
    result = train_and_export(load_config(args.config, overrides), verbose=fit_verbosity())
    print(summary(result))
    return 0


def summary(result: RunResult) -> str:
    validation = result.metrics["validation"]
    before, after = validation.get("before") or {}, validation["after"]
    lines = ["", "=== tfft run finished ==="]
    for name, value in headline_numbers(after).items():
        was = f"{before[name]:.4f} -> " if name in before else ""
        lines.append(f"validation {name}: {was}{value:.4f}")
    if "test" in result.metrics:
        numbers = headline_numbers(result.metrics["test"])
        lines.append("test " + "  ".join(f"{name}: {value:.4f}" for name, value in numbers.items()))
    lines += [
        f"run folder:   {result.run_dir}  (config.yaml, metrics.json, reports, checkpoints)",
        f"TensorBoard:  tensorboard --logdir {result.run_dir / 'logs'}",
    ]
    if result.export_path is not None:
        lines += [
            f"SavedModel:   {result.export_path}",
            f"predict:      tfft predict {result.export_path.parent} {_predict_arguments(result.example_inputs)}",
        ]
    return "\n".join(lines)


def _predict_arguments(inputs: dict[str, str]) -> str:
    if list(inputs) == ["text"]:
        return shlex.quote(inputs["text"])
    return " ".join(f"--input {shlex.quote(f'{name}={value}')}" for name, value in inputs.items())
