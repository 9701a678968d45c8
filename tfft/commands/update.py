"""``tfft update`` and ``tfft rollback``: publish a re-fine-tuned version only if it is not worse.

``update`` continues from the serving (newest) version's run on new labelled
data mixed with a replay sample of that run's training data, scores the
candidate and the serving version with the same exported-model evaluation on
one held-out file, and publishes version N+1 only when the candidate's metric
is at least the serving one's minus ``margin``. A refused candidate stays in
its run folder (``candidate/``) for inspection; nothing served changes.
``rollback`` moves the newest version to ``.retired/`` so the previous one
serves again. No version folder is ever overwritten or deleted.

Example:

>>> decision = update_model(Path("saved_models/intents"), "new_tickets.csv", margin=0.01)
>>> decision.published, decision.version
(True, 4)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from tfft.commands.evaluate import evaluate_export
from tfft.commands.progress import fit_verbosity
from tfft.config import RunConfig, apply_overrides, config_from_dict, config_to_dict
from tfft.evaluation.report import headline_numbers
from tfft.explain.explain_signature import explain_signatures
from tfft.export.from_run import export_run
from tfft.export.loaded import LoadedExport
from tfft.export.versions import existing_versions, next_version, publish_copy, retire_latest
from tfft.export.translation import back_translators
from tfft.tasks import make_task
from tfft.training.run import train

DECISION_FILE = "update.json"


@dataclass
class UpdateDecision:
    metric: str
    serving_version: int
    serving_score: float
    candidate_score: float
    margin: float
    published: bool
    version: int | None  # the published version, or None when refused
    run_dir: str
    candidate: str

    def summary(self) -> str:
        verdict = (f"published version {self.version}" if self.published
                   else f"refused: candidate is worse by more than {self.margin}; version "
                        f"{self.serving_version} keeps serving (candidate kept at {self.candidate})")
        return (f"{self.metric}: serving version {self.serving_version} {self.serving_score:.4f}, "
                f"candidate {self.candidate_score:.4f} -> {verdict}")


def update_config(serving: LoadedExport, new_data: str, holdout: str | None, replay_ratio: float,
                  name: str, overrides: list[str]) -> RunConfig:
    """The serving version's run config, pointed at the new data, starting from its weights."""
    metadata = serving.metadata
    if "config" not in metadata or not metadata.get("run_dir"):
        raise FileNotFoundError(f"{serving.path} has no tfft run metadata; update needs an export tfft wrote")
    values = config_to_dict(config_from_dict(metadata["config"], str(serving.path)))
    old_data = values["data"]
    holdout = holdout or old_data.get("validation")
    if not holdout:
        raise ValueError("the serving version's run had no validation file; pass --holdout FILE so "
                         "both versions are scored on the same rows")
    values["name"] = name
    values["model"]["init_from"] = metadata["run_dir"]
    values["data"].update(train=new_data, validation=holdout, test=None, replay=old_data["train"],
                          replay_ratio=replay_ratio, train_sample=None, folds=None, fold=0)
    values["export"]["enabled"] = False  # published below, only if it passes
    values["training"]["evaluate_before"] = False
    return config_from_dict(apply_overrides(values, overrides), f"update of {serving.path}")


def update_model(model_root: Path, new_data: str, margin: float = 0.01, replay_ratio: float = 1.0,
                 holdout: str | None = None, metric: str | None = None, overrides: list[str] | None = None,
                 verbose: int | str = 2) -> UpdateDecision:
    """Trains a candidate from the newest version and publishes it as N+1 if it passes."""
    model_root = Path(model_root)
    versions = existing_versions(model_root)
    if not versions:
        raise FileNotFoundError(f"{model_root} has no versions to update; export one with tfft train first")
    serving = LoadedExport(model_root / str(versions[-1]))
    version = next_version(model_root)
    config = update_config(serving, new_data, holdout, replay_ratio, f"{model_root.name}-v{version}",
                           overrides or [])
    result = train(config, verbose, back_translators(config.data.augment))
    candidate = export_run(result.run_dir, result.run_dir / "candidate", 1,
                           config.export.quantization, metadata={"update_of": str(serving.path)},
                           extra_signatures=explain_signatures(config.export))
    task = make_task(config.task, config.task_options, config.data)
    metric = metric or task.quality_metric
    scores = [_score(path, config.data.validation, metric) for path in (serving.path, candidate)]
    published = scores[1] >= scores[0] - margin
    decision = UpdateDecision(metric, versions[-1], scores[0], scores[1], margin, published,
                              version if published else None, str(result.run_dir), str(candidate))
    if published:
        publish_copy(candidate, model_root, version)
    (result.run_dir / DECISION_FILE).write_text(json.dumps(asdict(decision), indent=2), encoding="utf-8")
    return decision


def _score(export: Path, holdout: str, metric: str) -> float:
    metrics = evaluate_export(export, holdout).metrics
    if metric not in metrics:
        raise ValueError(f"metric '{metric}' is not in the evaluation of {export}; it has "
                         f"{sorted(headline_numbers(metrics))}")
    return float(metrics[metric])


def rollback(model_root: Path) -> tuple[int, int]:
    """Stops serving the newest version (kept in ``.retired/``); returns (retired, now serving)."""
    return retire_latest(Path(model_root))


def run(args) -> int:
    decision = update_model(Path(args.model), args.data, args.margin, args.replay_ratio, args.holdout,
                            args.metric, args.overrides, verbose=fit_verbosity())
    print(decision.summary())
    return 0 if decision.published else 3
