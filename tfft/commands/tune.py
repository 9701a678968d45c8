"""``tfft tune``: hyperparameter search with KerasTuner over any run config.

Each trial is an ordinary tfft run (``<output_dir>/<name>-tune/trials/<name>-t<id>``)
with the trial's values set as config overrides, so every trial writes its
TensorBoard logs and hparams summary: point ``tensorboard --logdir`` at the
``trials`` folder to compare them on the HParams dashboard. KerasTuner's oracle
(random search, Bayesian optimisation or Hyperband) picks the values; its state
lives beside the trials, so a search that was stopped resumes. The best trial's
resolved config is written as ``best.yaml``, a ready recipe for ``tfft train``,
and ``tuning.json`` lists every trial's values and score.

The search space maps config fields to KerasTuner hyperparameters; the default
covers learning rate, batch size, epochs, warm-up, dropout and (for PEFT runs)
the adapter rank. Hyperband sets ``training.epochs`` itself (each trial trains
from the start for the epochs its bracket gives it).

Example:

>>> result = tune(load_config("configs/sst2_500.yaml"), algorithm="bayesian", trials=8)
>>> result.best_values, result.best_score
({'training.learning_rate': 6.1e-05, ...}, 0.81)
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras_tuner
import yaml

from tfft.backbones import BackboneError
from tfft.config import (ConfigError, RunConfig, apply_overrides, config_from_dict, config_to_dict, load_config,
                         save_config)
from tfft.commands.progress import fit_verbosity
from tfft.data.errors import DataError
from tfft.export.translation import back_translators
from tfft.tasks import make_task
from tfft.training.run import train

ALGORITHMS = ("random", "bayesian", "hyperband")
EPOCHS_KEY = "training.epochs"
DEFAULT_SPACE: dict[str, dict[str, Any]] = {
    "training.learning_rate": {"type": "float", "min": 1e-5, "max": 2e-4, "sampling": "log"},
    "training.batch_size": {"type": "choice", "values": [16, 32]},
    EPOCHS_KEY: {"type": "int", "min": 1, "max": 4},
    "training.warmup_ratio": {"type": "choice", "values": [0.0, 0.06, 0.1]},
    "model.dropout": {"type": "float", "min": 0.0, "max": 0.3, "step": 0.05},
}
PEFT_SPACE = {"peft.rank": {"type": "choice", "values": [4, 8, 16]}}


@dataclass
class TuningResult:
    folder: Path
    best_values: dict[str, Any]
    best_score: float
    best_config: Path
    trials: list[dict]


def read_space(path: str | Path) -> dict[str, dict[str, Any]]:
    """A search space file: ``config.field: {type: float|int|choice, ...}`` per line of YAML."""
    space = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(space, dict) or not all(isinstance(v, dict) for v in space.values()):
        raise ConfigError(f"{path}: expected a mapping of config fields to {{type: ..., ...}}")
    return space


def default_space(config: RunConfig) -> dict[str, dict[str, Any]]:
    return {**DEFAULT_SPACE, **(PEFT_SPACE if config.peft.method != "none" else {})}


def declare(hp: keras_tuner.HyperParameters, name: str, spec: dict[str, Any]):
    """Declares one hyperparameter from its spec; returns its value for this trial."""
    kind = spec.get("type")
    if kind == "float":
        return hp.Float(name, float(spec["min"]), float(spec["max"]), step=spec.get("step"),
                        sampling=spec.get("sampling", "linear"))
    if kind == "int":
        return hp.Int(name, int(spec["min"]), int(spec["max"]), step=int(spec.get("step", 1)))
    if kind == "choice":
        return hp.Choice(name, list(spec["values"]))
    raise ConfigError(f"search space '{name}': type must be float, int or choice, got '{kind}'")


class RunTuner(keras_tuner.Tuner):
    """A KerasTuner tuner whose trials are tfft runs of one base config."""

    def __init__(self, base: RunConfig, space: dict, trials_dir: Path, metric: str, verbose, **kwargs):
        super().__init__(**kwargs)
        self.base, self.space, self.trials_dir = base, space, trials_dir
        self.metric, self.run_verbose = metric, verbose

    def trial_config(self, trial) -> RunConfig:
        hp = trial.hyperparameters
        values = {name: declare(hp, name, spec) for name, spec in self.space.items()}
        if "tuner/epochs" in hp.values:  # Hyperband's budget for this trial
            values[EPOCHS_KEY] = int(hp.values["tuner/epochs"])
        overrides = [f"{name}={json.dumps(value)}" for name, value in values.items()]
        overrides += [f"name={self.base.name}-t{trial.trial_id}", f"output_dir={self.trials_dir}",
                      "export.enabled=false", "training.evaluate_before=false"]
        return config_from_dict(apply_overrides(config_to_dict(self.base), overrides), "tfft tune")

    def run_trial(self, trial, *args, **kwargs) -> dict[str, float]:
        try:
            config = self.trial_config(trial)
            result = train(config, self.run_verbose, back_translators(config.data.augment))
        except (ConfigError, DataError, BackboneError, FileNotFoundError) as error:
            raise keras_tuner.errors.FatalError(f"trial {trial.trial_id}: {error}") from error
        return {self.metric: float(result.metrics["validation"]["after"][self.metric])}


def make_oracle(algorithm: str, metric: str, trials: int, max_epochs: int, seed: int, space: dict):
    """The KerasTuner oracle, with the whole space declared up front (Bayesian and Hyperband need it)."""
    hyperparameters = keras_tuner.HyperParameters()
    for name, spec in space.items():
        declare(hyperparameters, name, spec)
    common = dict(objective=keras_tuner.Objective(metric, direction="max"), seed=seed,
                  hyperparameters=hyperparameters)
    if algorithm == "random":
        return keras_tuner.oracles.RandomSearchOracle(max_trials=trials, **common)
    if algorithm == "bayesian":
        return keras_tuner.oracles.BayesianOptimizationOracle(max_trials=trials, **common)
    if algorithm == "hyperband":
        return keras_tuner.oracles.HyperbandOracle(max_epochs=max_epochs, factor=3, **common)
    raise ConfigError(f"tfft tune: algorithm must be one of {ALGORITHMS}, got '{algorithm}'")


def tune(config: RunConfig, algorithm: str = "random", trials: int = 8, space: dict | None = None,
         metric: str | None = None, verbose: str | int = 0) -> TuningResult:
    """Searches ``space`` (default: `default_space`) and writes ``best.yaml``; resumes a stopped search."""
    metric = metric or make_task(config.task, config.task_options, config.data).quality_metric
    space = dict(space or default_space(config))
    max_epochs = int(space.get(EPOCHS_KEY, {}).get("max", config.training.epochs))
    if algorithm == "hyperband":
        space.pop(EPOCHS_KEY, None)
    folder = Path(config.output_dir) / f"{config.name}-tune"
    folder.mkdir(parents=True, exist_ok=True)
    tuner = RunTuner(config, space, folder / "trials", metric, verbose,
                     oracle=make_oracle(algorithm, metric, trials, max_epochs, config.training.seed, space),
                     directory=str(folder), project_name="keras_tuner", overwrite=False)
    tuner.search()
    return _write_results(tuner, folder, config, metric)


def _write_results(tuner: RunTuner, folder: Path, config: RunConfig, metric: str) -> TuningResult:
    finished = [t for t in tuner.oracle.trials.values() if t.score is not None]
    if not finished:
        raise RuntimeError(f"tfft tune: no trial finished; see {folder / 'keras_tuner'}")
    trials = sorted(({"trial": t.trial_id, "score": t.score, "values": _search_values(t.hyperparameters.values)}
                     for t in finished), key=lambda row: -row["score"])
    best = max(finished, key=lambda t: t.score)
    best_config = dataclasses.replace(tuner.trial_config(best), name=config.name, output_dir=config.output_dir,
                                      export=config.export)
    best_config.training.evaluate_before = config.training.evaluate_before
    save_config(best_config, folder / "best.yaml")
    summary = {"metric": metric, "best": trials[0], "trials": trials}
    (folder / "tuning.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return TuningResult(folder, trials[0]["values"], float(best.score), folder / "best.yaml", trials)


def _search_values(values: dict) -> dict:
    """The trial's config values (Hyperband's bookkeeping entries renamed or dropped)."""
    out = {name: value for name, value in values.items() if not name.startswith("tuner/")}
    if "tuner/epochs" in values:
        out[EPOCHS_KEY] = values["tuner/epochs"]
    return out


def run(args) -> int:
    config = load_config(args.config, args.overrides)
    result = tune(config, args.algorithm, args.trials, read_space(args.space) if args.space else None,
                  args.metric, verbose=fit_verbosity())
    lines = ["", "=== tfft tune finished ===", f"trials:      {len(result.trials)} finished"]
    for row in result.trials[:5]:
        lines.append(f"  trial {row['trial']}: {row['score']:.4f}  {json.dumps(row['values'])}")
    lines += [f"best score:  {result.best_score:.4f}", f"best config: {result.best_config}",
              f"HParams:     tensorboard --logdir {result.folder / 'trials'}",
              f"train it:    tfft train --config {result.best_config}"]
    print("\n".join(lines))
    return 0
