"""``tfft ensemble``: k fine-tunes with different seeds, served as one averaged model.

Each member is an ordinary run (``runs/<name>-m<i>``, seed ``training.seed + i``)
on the same data and the same held-out split; ``runs/<name>-m0/ensemble.json``
holds the ensemble's and every member's validation metrics (mean ± std). The export is one SavedModel with
one ``serving_default``: every member runs on the same tokenized input and the
task combines their outputs (classification: the mean of the members'
probabilities), so it serves like any single export.

Example:

>>> result = train_ensemble(load_config("configs/sst2.yaml"), members=3)
>>> result.metrics["ensemble"]["accuracy"], [m["accuracy"] for m in result.metrics["members"]]
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from tfft.commands.progress import fit_verbosity
from tfft.config import RunConfig, config_to_dict, load_config
from tfft.training.run_data import load_splits
from tfft.evaluation.report import headline_numbers
from tfft.export.saved_model import export_saved_model
from tfft.export.translation import back_translators
from tfft.layers.member_average import MemberAverage
from tfft.training.run import evaluate_split, split_seed, train
from tfft.run_folder import RunFolder
from tfft.training.trained_model import TrainedModel, load_trained_model

ENSEMBLE_FILE = "ensemble.json"


@dataclass
class EnsembleResult:
    run_dirs: list[Path]
    export_path: Path | None
    metrics: dict


def member_config(config: RunConfig, index: int, folds: int | None = None) -> RunConfig:
    """Member ``index``: its own name and seed, the shared split (or fold ``index`` of ``folds``), no export."""
    member = dataclasses.replace(config, name=f"{config.name}-m{index}")
    member.training = dataclasses.replace(config.training, seed=config.training.seed + index)
    member.data = dataclasses.replace(config.data, split_seed=split_seed(config))
    if folds:
        member.data.folds, member.data.fold = folds, index
    member.export = dataclasses.replace(config.export, enabled=False)
    return member


def ensemble_model(members: list[TrainedModel]) -> keras.Model:
    """One functional model: the members side by side on shared inputs, outputs combined."""
    first = members[0].model
    inputs = {name: keras.Input(shape=tensor.shape[1:], dtype=tensor.dtype, name=name)
              for name, tensor in first.input.items()}
    combined = MemberAverage([member.model for member in members], members[0].task.member_combiner(),
                             name="combine_members")(inputs)
    return keras.Model(inputs, combined, name="ensemble")


def _check_same_vocabulary(members: list[TrainedModel]) -> None:
    vocabularies = [member.encoder.tokenizer.vocabulary_size() for member in members]
    if len(set(vocabularies)) != 1:
        raise ValueError(f"ensemble members need one tokenizer; vocabulary sizes differ: {vocabularies}")


def train_ensemble(config: RunConfig, members: int, verbose: int | str = 2,
                   folds: bool = False) -> EnsembleResult:
    """Trains ``members`` runs, then scores and exports their average (unless export.enabled is false).

    With ``folds``, member i trains on all folds but fold i of a ``members``-fold
    split and validates on it, so the members' metrics are a k-fold
    cross-validation (mean ± std); the ensemble is scored on ``data.validation``
    if the config names a file.
    """
    if members < 2:
        raise ValueError(f"an ensemble needs at least 2 members, got {members}")
    configs = [member_config(config, i, members if folds else None) for i in range(members)]
    translators = back_translators(config.data.augment)
    run_dirs = [train(member, verbose, translators).run_dir for member in configs]
    trained = [load_trained_model(run_dir) for run_dir in run_dirs]
    _check_same_vocabulary(trained)
    model = ensemble_model(trained)
    task, encoder = trained[0].task, trained[0].encoder
    member_metrics = [json.loads(RunFolder(d).metrics.read_text())["validation"]["after"] for d in run_dirs]
    metrics = {"ensemble": None, "members": member_metrics, "member_runs": [str(d) for d in run_dirs],
               "cross_validation": folds}
    shared = _shared_validation(configs[0], task, split_seed(configs[0]), folds)
    if shared is not None:
        metrics["ensemble"] = evaluate_split(model, task, encoder, task.encode(encoder, shared)).metrics
    metrics["summary"] = _spread(member_metrics)
    (Path(run_dirs[0]) / ENSEMBLE_FILE).write_text(json.dumps(metrics, indent=2, default=float), encoding="utf-8")
    export_path = None
    if config.export.enabled:
        export_path = export_saved_model(
            model, encoder, task, Path(config.export.dir) / config.name, config.export.version,
            metadata={"config": config_to_dict(configs[0]), "run_dir": str(run_dirs[0]),
                      "ensemble": {"members": [str(d) for d in run_dirs],
                                   "metrics": headline_numbers(metrics["ensemble"] or {})}},
            warmup_inputs=RunFolder(run_dirs[0]).read_warmup_inputs())
    return EnsembleResult(run_dirs, export_path, metrics)


def _shared_validation(config: RunConfig, task, seed: int, folds: bool):
    """Rows every member left out: the common held-out split, or (folds) the validation file, if any."""
    if not folds:
        return load_splits(config.data, task, seed).validation
    return task.read(config.data.validation) if config.data.validation else None


def _spread(member_metrics: list[dict]) -> dict[str, dict[str, float]]:
    """Mean and standard deviation over members of every headline metric."""
    names = headline_numbers(member_metrics[0])
    return {name: {"mean": float(np.mean([m[name] for m in member_metrics])),
                   "std": float(np.std([m[name] for m in member_metrics]))} for name in names}


def run(args) -> int:
    result = train_ensemble(load_config(args.config, args.overrides), args.members, verbose=fit_verbosity(),
                            folds=args.folds)
    lines = ["", "=== tfft ensemble finished ==="]
    kind = "cross-validation" if args.folds else "members"
    for name, spread in result.metrics["summary"].items():
        lines.append(f"{kind} {name}: {spread['mean']:.4f} ± {spread['std']:.4f}")
    for name, value in headline_numbers(result.metrics["ensemble"] or {}).items():
        lines.append(f"ensemble validation {name}: {value:.4f}")
    lines.append(f"member runs:  {', '.join(str(d) for d in result.run_dirs)}")
    if result.export_path is not None:
        lines.append(f"SavedModel:   {result.export_path}")
    print("\n".join(lines))
    return 0
