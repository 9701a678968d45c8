"""Score a finished run or an export on a labelled file (``tfft evaluate``).

Both paths compute the same task report; the export path runs the SavedModel's
``serving_default`` on raw strings, exactly as TF Serving would.

Example:

>>> report = evaluate_export(Path("saved_models/support-intents"), "test.csv")
>>> report.metrics["accuracy"]

A search index (``tfft index``) is scored on (query, relevant ids) rows instead:
Recall@1/5/10, MRR@10, nDCG@10; an assistant (``tfft assistant``) on (text,
intent[, answer id]) rows: in-scope accuracy, out-of-scope recall and precision
of its hand-offs, answer accuracy.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Callable

from tfft.assistant.build import ASSISTANT_TASK
from tfft.assistant.evaluation import evaluate_assistant
from tfft.assistant.labelled_messages import read_labelled_messages
from tfft.config import DataConfig, config_from_dict
from tfft.export.loaded import LoadedExport
from tfft.retrieval.build import INDEX_TASK
from tfft.retrieval.queries import evaluate_index, read_queries
from tfft.tasks import make_task
from tfft.tasks.base import Report
from tfft.evaluation.robustness import perturb_examples
from tfft.training.run import evaluate_split
from tfft.training.trained_model import load_trained_model

AdjustData = Callable[[DataConfig], DataConfig]
AlterExamples = Callable[[object], object]  # e.g. perturbed texts for a robustness check


def _unchanged(examples):
    return examples


def evaluate_run(run_dir: Path, data_path: str, adjust: AdjustData = lambda d: d,
                 alter: AlterExamples = _unchanged) -> Report:
    trained = load_trained_model(run_dir)
    data = adjust(dataclasses.replace(trained.config.data))
    trained.task.data = data
    split = trained.task.encode(trained.encoder, alter(trained.task.read(data_path)))
    return evaluate_split(trained.model, trained.task, trained.encoder, split)


def evaluate_export(export_dir: Path, data_path: str, adjust: AdjustData = lambda d: d,
                    alter: AlterExamples = _unchanged) -> Report:
    exported = LoadedExport(export_dir)
    if "config" not in exported.metadata:
        raise FileNotFoundError(f"{exported.path} has no assets.extra/tfft.json; was it written by tfft?")
    config = config_from_dict(exported.metadata["config"], str(exported.path))
    data = adjust(config.data)
    task = make_task(config.task, config.task_options, data)
    task.load(exported.path / "assets.extra")
    examples = alter(task.read(data_path))
    outputs = exported.predict(task.serving_examples(examples, len(examples)))
    return task.report(examples, task.predictions_from_outputs(outputs))


def run(args) -> int:
    exported_task = LoadedExport.read_metadata(Path(args.export)).get("task") if args.export else None
    if exported_task == INDEX_TASK:
        return _evaluate_index(args)
    if exported_task == ASSISTANT_TASK:
        return _evaluate_assistant(args)
    evaluate, source = (evaluate_run, args.run) if args.run else (evaluate_export, args.export)
    report = evaluate(Path(source), args.data, lambda data: _data_config(args, data), _perturbation(args))
    print(report.text)
    metrics = {k: v for k, v in report.metrics.items() if not isinstance(v, dict)}
    print(json.dumps(metrics, indent=2))
    if args.output:
        Path(args.output).write_text(json.dumps(report.metrics, indent=2), encoding="utf-8")
    return 0


def _evaluate_index(args) -> int:
    """A search index scored on (query, relevant ids) rows: ``--text-column`` and ``--label-column``."""
    query_column, relevant_column = args.text_column or "query", args.label_column or "relevant"
    queries = read_queries(args.data, query_column, relevant_column, args.skip_bad_rows)
    metrics = evaluate_index(Path(args.export), queries)
    return _show(f"{metrics['queries']} queries against {metrics['rows']} indexed documents", metrics, args.output)


def _evaluate_assistant(args) -> int:
    """An assistant scored on (text, intent[, answer id]) rows: ``--text-column``, ``--label-column``."""
    messages = read_labelled_messages(args.data, args.text_column or "text", args.label_column or "intent",
                                      args.answer_id_column, args.skip_bad_rows)
    metrics = evaluate_assistant(Path(args.export), messages)
    return _show(f"{metrics['in_scope']} in-scope and {metrics['out_of_scope']} out-of-scope messages", metrics,
                 args.output)


def _show(heading: str, metrics: dict, output: str | None) -> int:
    print(heading)
    print(json.dumps(metrics, indent=2))
    if output:
        Path(output).write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    return 0


def _data_config(args, base: DataConfig) -> DataConfig:
    for field, value in (("text_column", args.text_column), ("text_pair_column", args.text_pair_column),
                         ("label_column", args.label_column)):
        if value:
            setattr(base, field, value)
    base.skip_bad_rows = args.skip_bad_rows
    return base


def _perturbation(args) -> AlterExamples:
    if not args.perturb:
        return _unchanged
    print(f"perturbing texts: {args.perturb}, rate {args.perturb_rate}, seed {args.perturb_seed}", file=sys.stderr)
    return lambda examples: perturb_examples(examples, args.perturb, args.perturb_rate, args.perturb_seed,
                                             args.synonyms)
