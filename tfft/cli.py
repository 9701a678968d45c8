"""The ``tfft`` command line: train | ensemble | tune | pretrain | evaluate | predict | export | serve | deploy | update | rollback | info | launch.

Examples:

    tfft train                                        # sample intents, MiniLM-L6, export
    tfft pretrain --config configs/pretrain_shakespeare_gpt.yaml
    tfft train --config configs/sst2.yaml --set training.epochs=1
    tfft tune --config configs/sst2_500.yaml --algorithm bayesian --trials 8   # writes runs/sst2-500-tune/best.yaml
    tfft evaluate --run runs/sst2-500 --data dev.tsv --perturb typo           # robustness check
    tfft evaluate --export saved_models/support-intents --data test.csv
    tfft predict saved_models/support-intents "I was charged twice"
    tfft export --run runs/support-intents
    tfft export --adapters runs/sst2-lora/adapter runs/intents-lora/adapter --name multi-task
    tfft info saved_models/support-intents
    tfft serve saved_models/support-intents --enable-batching      # REST :8501, gRPC :8500
    tfft predict --server http://127.0.0.1:8501 support-intents "I was charged twice"
    tfft deploy saved_models/support-intents --out deploy/ --label support-intents:stable=1
    tfft update saved_models/support-intents --data new_tickets.csv   # publishes N+1 only if not worse
    tfft rollback saved_models/support-intents
    tfft launch --workers 2 train --config configs/sst2.yaml   # MultiWorkerMirrored on this machine
    tfft launch --emit k8s --workers 4 --image me/tfft:1 train --config configs/sst2.yaml > tfjob.yaml
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import tfft  # noqa: F401  (sets TF/Keras environment defaults first)
from tfft.config import DEFAULT_CONFIG, QUANTIZATION_MODES, ConfigError, DataConfig, load_config
from tfft.data.errors import DataError
from tfft.evaluation.report import headline_numbers
from tfft.serving.errors import ServingError


def _add_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="labelled CSV/TSV/JSONL/Parquet file or tfds:<name>:<split>")
    parser.add_argument("--text-column", help="column with the text (default: the run's)")
    parser.add_argument("--text-pair-column", help="column with the second text of pairs")
    parser.add_argument("--label-column", help="column with the label (default: the run's)")
    parser.add_argument("--skip-bad-rows", action="store_true", help="skip malformed rows and list them")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tfft", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="fine-tune, evaluate and export (resumes unfinished runs)")
    train.add_argument("--config", default=str(DEFAULT_CONFIG),
                       help="YAML run description (default: the built-in sample run, %(default)s)")
    train.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                       help="override any config field, e.g. --set training.epochs=2 (repeatable)")
    train.add_argument("--skip-bad-rows", action="store_true", help="skip malformed rows and list them")
    train.add_argument("--no-export", action="store_true", help="do not write a SavedModel")

    ensemble = commands.add_parser(
        "ensemble", help="fine-tune k members (seeds) and export their averaged probabilities as one model")
    ensemble.add_argument("--config", default=str(DEFAULT_CONFIG), help="YAML run description")
    ensemble.add_argument("--members", type=int, default=3, help="number of members (default: %(default)s)")
    ensemble.add_argument("--folds", action="store_true",
                          help="k-fold cross-validation: member i validates on fold i of the training rows")
    ensemble.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                          help="override any config field (repeatable)")

    tune = commands.add_parser(
        "tune", help="hyperparameter search (KerasTuner); writes the best config as a YAML recipe")
    tune.add_argument("--config", default=str(DEFAULT_CONFIG), help="YAML run description (the base)")
    tune.add_argument("--algorithm", choices=["random", "bayesian", "hyperband"], default="random")
    tune.add_argument("--trials", type=int, default=8, help="trials for random / bayesian (default: %(default)s)")
    tune.add_argument("--space", help="search space YAML (config.field: {type: float|int|choice, ...}); "
                                      "default: learning rate, batch size, epochs, warm-up, dropout, PEFT rank")
    tune.add_argument("--metric", help="validation metric to maximise (default: the task's)")
    tune.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                      help="override any field of the base config (repeatable)")

    pretrain = commands.add_parser(
        "pretrain", help="masked-LM / causal-LM pre-training into a keras-hub preset (resumes unfinished runs)")
    pretrain.add_argument("--config", required=True, help="YAML run description (task: masked_lm or causal_lm)")
    pretrain.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                          help="override any config field, e.g. --set training.epochs=2 (repeatable)")

    evaluate = commands.add_parser("evaluate", help="score a run or an export on a labelled file")
    source = evaluate.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", help="run folder (runs/<name>)")
    source.add_argument("--export", help="export folder (saved_models/<name>[/<version>])")
    _add_data_arguments(evaluate)
    evaluate.add_argument("--output", help="write metrics JSON here as well")
    evaluate.add_argument("--perturb", choices=["typo", "synonym"],
                          help="robustness check: perturb the texts first (seeded)")
    evaluate.add_argument("--perturb-rate", type=float, default=0.1, help="share of words perturbed")
    evaluate.add_argument("--perturb-seed", type=int, default=0)
    evaluate.add_argument("--synonyms", help="word list for --perturb synonym (word,synonym,...)")

    predict = commands.add_parser("predict", help="run an export on strings or a file")
    predict.add_argument("export", help="export folder (saved_models/<name>[/<version>])")
    predict.add_argument("texts", nargs="*", help="texts to classify")
    predict.add_argument("--pair", action="append", default=None, help="second text for pair models (repeatable)")
    predict.add_argument("--input", action="append", default=[], metavar="NAME=VALUE",
                         help="a named input, e.g. --input question=... --input context=... (repeatable)")
    predict.add_argument("--file", help="CSV/TSV/JSONL/Parquet file with a column per model input")
    predict.add_argument("--text-column", help="column of the first input (default: its name)")
    predict.add_argument("--text-pair-column", help="column of the second input (default: its name)")
    predict.add_argument("--output", help="write JSON lines here instead of stdout")
    predict.add_argument("--signature", default="serving_default",
                         help="signature to run (multi-adapter exports have one per task)")
    predict.add_argument("--server", metavar="URL",
                         help="ask a running TF Serving or `tfft serve` instead (http://HOST:8501 for REST, "
                              "grpc://HOST:8500 for gRPC); EXPORT is then the served model's name")
    predict.add_argument("--version", type=int, help="with --server: a specific model version")
    predict.add_argument("--label", help="with --server: a version label such as stable or canary")
    predict.add_argument("--timeout", type=float, default=10.0, help="with --server: seconds per request")
    predict.add_argument("--retries", type=int, default=3, help="with --server: retries when unavailable")

    export = commands.add_parser("export", help="export a finished run as a new SavedModel version")
    sources = export.add_mutually_exclusive_group(required=True)
    sources.add_argument("--run", help="run folder (runs/<name>)")
    sources.add_argument("--adapters", nargs="+", metavar="DIR",
                         help="adapter checkpoints (runs/<name>/adapter) to serve from one shared "
                              "backbone, one signature each; needs --dir and --name")
    export.add_argument("--dir", help="export root (default: the run's export.dir)")
    export.add_argument("--name", help="model name (default: the run's name)")
    export.add_argument("--version", type=int, help="integer version (default: next free)")
    export.add_argument("--quantize", choices=QUANTIZATION_MODES,
                        help="int8: post-training int8 backbone weights (about 3.5x smaller); bfloat16: "
                             "bfloat16 encoder kernels, fastest on CPUs with AMX or AVX512_BF16")

    serve = commands.add_parser(
        "serve", help="serve exports over TF Serving's REST and gRPC APIs (where TF Serving is not installed)")
    serve.add_argument("models", nargs="*", help="model folders (saved_models/<name>), served under their names")
    serve.add_argument("--model-config-file", help="a TF Serving models.config with local base paths, "
                                                   "instead of model folders")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s, this machine only)")
    serve.add_argument("--rest-port", type=int, default=8501, help="REST port (default: %(default)s)")
    serve.add_argument("--grpc-port", type=int, default=8500, help="gRPC port (default: %(default)s)")
    serve.add_argument("--keep-versions", type=int, default=1,
                       help="serve the newest N versions of each folder (default: %(default)s)")
    serve.add_argument("--enable-batching", action="store_true", help="batch concurrent requests per signature")
    serve.add_argument("--batching-parameters-file", help="TF Serving batching_parameters.txt (implies batching)")
    serve.add_argument("--max-batch-size", type=int, default=32, help="rows per batch (default: %(default)s)")
    serve.add_argument("--batch-timeout-micros", type=int, default=2000,
                       help="longest wait for a batch to fill (default: %(default)s)")
    serve.add_argument("--num-batch-threads", type=int, default=2,
                       help="batches run at once; 1 fills bigger batches when one batch keeps every core busy "
                            "(default: %(default)s)")
    serve.add_argument("--tensorflow-intra-op-parallelism", type=int, default=0,
                       help="threads one op may use (TF Serving's flag of that name; 0: TF chooses). 1 serves "
                            "more unbatched concurrent requests per second on few cores")
    serve.add_argument("--tensorflow-inter-op-parallelism", type=int, default=0,
                       help="ops run at once (TF Serving's flag of that name; 0: TF chooses)")
    serve.add_argument("--max-request-bytes", type=int, default=4 * 1024 * 1024,
                       help="larger request bodies get 413 (default: %(default)s)")
    serve.add_argument("--poll-seconds", type=float, default=1.0,
                       help="how often to look for new version folders (default: %(default)s)")

    deploy = commands.add_parser("deploy", help="write a TF Serving bundle: configs, docker-compose, Kubernetes")
    deploy.add_argument("models", nargs="+", help="model folders (saved_models/<name>)")
    deploy.add_argument("--out", required=True, help="new folder for the bundle (never written over)")
    deploy.add_argument("--label", action="append", default=[], metavar="MODEL:LABEL=VERSION",
                        help="a version label, e.g. intents:stable=1 --label intents:canary=2 (repeatable)")
    deploy.add_argument("--keep-versions", type=int, default=2, help="unlabelled models: newest N (default: 2)")
    deploy.add_argument("--max-batch-size", type=int, default=32)
    deploy.add_argument("--batch-timeout-micros", type=int, default=2000)
    deploy.add_argument("--replicas", type=int, default=2, help="Kubernetes replicas (HPA minimum)")
    deploy.add_argument("--max-replicas", type=int, default=8, help="HPA maximum")
    deploy.add_argument("--image", help="serving image (default: tensorflow/serving:<TF version of the export>)")
    deploy.add_argument("--models-claim", default="tfft-models",
                        help="PersistentVolumeClaim holding the model folders (Kubernetes)")

    update = commands.add_parser(
        "update", help="re-fine-tune the serving version on new data; publish N+1 only if not worse")
    update.add_argument("model", help="model folder (saved_models/<name>); its newest version is the serving one")
    update.add_argument("--data", required=True, help="new labelled data (same columns as the original run)")
    update.add_argument("--holdout", help="file both versions are scored on (default: the run's validation file)")
    update.add_argument("--margin", type=float, default=0.01,
                        help="publish unless the candidate is worse than this on the metric (default: %(default)s)")
    update.add_argument("--replay-ratio", type=float, default=1.0,
                        help="rows of the old training data replayed per new row (default: %(default)s)")
    update.add_argument("--metric", help="metric compared (default: the task's, e.g. accuracy)")
    update.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override the update run's config, e.g. --set training.epochs=1")

    rollback = commands.add_parser("rollback", help="stop serving the newest version (kept in .retired/)")
    rollback.add_argument("model", help="model folder (saved_models/<name>)")

    info = commands.add_parser("info", help="describe an export or run, or the environment")
    info.add_argument("path", nargs="?", help="export or run folder")

    launch = commands.add_parser(
        "launch", help="run `train`/`pretrain` on several workers (MultiWorkerMirrored via TF_CONFIG)")
    launch.add_argument("--workers", type=int, default=2, help="number of workers (default: %(default)s)")
    launch.add_argument("--emit", choices=["k8s"], help="write a Kubeflow TFJob manifest instead of running")
    launch.add_argument("--image", help="container image with tfft installed (for --emit k8s)")
    launch.add_argument("--name", default="tfft", help="TFJob name (for --emit k8s)")
    launch.add_argument("--volume-claim", default="tfft-runs",
                        help="PersistentVolumeClaim all pods share for runs/ (for --emit k8s)")
    launch.add_argument("--log-dir", help="where the non-chief workers' logs go (default: a temp folder)")
    launch.add_argument("job", nargs=argparse.REMAINDER, help="train|pretrain and its arguments")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (ConfigError, DataError, FileNotFoundError, FileExistsError, ValueError, ServingError) as error:
        print(f"tfft {args.command}: error: {error}", file=sys.stderr)
        return 2


def run_train(args) -> int:
    from tfft.training.run import train

    overrides = list(args.overrides)
    if args.skip_bad_rows:
        overrides.append("data.skip_bad_rows=true")
    if args.no_export:
        overrides.append("export.enabled=false")
    # A progress bar per step on a terminal; one line per epoch in log files.
    result = train(load_config(args.config, overrides), verbose=1 if sys.stdout.isatty() else 2)
    print(summary(result))
    return 0


def run_tune(args) -> int:
    from tfft.tuning import read_space, tune

    config = load_config(args.config, args.overrides)
    result = tune(config, args.algorithm, args.trials, read_space(args.space) if args.space else None,
                  args.metric, verbose=2 if not sys.stdout.isatty() else 1)
    lines = ["", "=== tfft tune finished ===", f"trials:      {len(result.trials)} finished"]
    for row in result.trials[:5]:
        lines.append(f"  trial {row['trial']}: {row['score']:.4f}  {json.dumps(row['values'])}")
    lines += [f"best score:  {result.best_score:.4f}", f"best config: {result.best_config}",
              f"HParams:     tensorboard --logdir {result.folder / 'trials'}",
              f"train it:    tfft train --config {result.best_config}"]
    print("\n".join(lines))
    return 0


def run_ensemble(args) -> int:
    from tfft.ensemble import train_ensemble

    result = train_ensemble(load_config(args.config, args.overrides), args.members,
                            verbose=1 if sys.stdout.isatty() else 2, folds=args.folds)
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


def run_pretrain(args) -> int:
    from tfft.pretraining.run import pretrain

    result = pretrain(load_config(args.config, args.overrides), verbose=1 if sys.stdout.isatty() else 2)
    print(pretrain_summary(result))
    return 0


def pretrain_summary(result) -> str:
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


def summary(result) -> str:
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


def _data_config(args, base: DataConfig) -> DataConfig:
    for field, value in (("text_column", args.text_column), ("text_pair_column", args.text_pair_column),
                         ("label_column", args.label_column)):
        if value:
            setattr(base, field, value)
    base.skip_bad_rows = args.skip_bad_rows
    return base


def run_evaluate(args) -> int:
    from tfft.evaluation.evaluate import evaluate_export, evaluate_run

    evaluate, source = (evaluate_run, args.run) if args.run else (evaluate_export, args.export)
    report = evaluate(Path(source), args.data, lambda data: _data_config(args, data), _perturbation(args))
    print(report.text)
    metrics = {k: v for k, v in report.metrics.items() if not isinstance(v, dict)}
    print(json.dumps(metrics, indent=2))
    if args.output:
        Path(args.output).write_text(json.dumps(report.metrics, indent=2), encoding="utf-8")
    return 0


def _perturbation(args):
    from tfft.evaluation.robustness import perturb_examples

    if not args.perturb:
        return lambda examples: examples
    print(f"perturbing texts: {args.perturb}, rate {args.perturb_rate}, seed {args.perturb_seed}", file=sys.stderr)
    return lambda examples: perturb_examples(examples, args.perturb, args.perturb_rate, args.perturb_seed,
                                             args.synonyms)


def run_predict(args) -> int:
    names, predict = _predictor(args)
    inputs = _file_inputs(args, names) if args.file else _command_line_inputs(args, names)
    if not inputs or not next(iter(inputs.values())):
        raise ValueError("nothing to predict: pass texts, --input NAME=VALUE or --file")
    if sorted(inputs) != sorted(names) or len({len(v) for v in inputs.values()}) != 1:
        raise ValueError(f"{args.export} takes inputs {names}; give each the same number of values "
                         f"(texts and --pair, or --input NAME=VALUE)")
    outputs = predict(inputs)
    rows = [{name: values[i] for name, values in inputs.items()} for i in range(len(inputs[names[0]]))]
    lines = [json.dumps({**row, **_row(outputs, i)}, ensure_ascii=False) for i, row in enumerate(rows)]
    if args.output:
        Path(args.output).write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {len(lines)} predictions to {args.output}", file=sys.stderr)
    else:
        print("\n".join(lines))
    return 0


def _predictor(args):
    """(input names in positional order, a function from named string lists to named outputs)."""
    if not args.server:
        from tfft.export.loaded import LoadedExport

        exported = LoadedExport(args.export, args.signature)
        return exported.input_names, exported.predict
    from tfft.export.loaded import predict_in_batches
    from tfft.serving.client import connect

    client = connect(args.server, args.export, version=args.version, label=args.label,
                     timeout=args.timeout, retries=args.retries)
    # Metadata has no input order; tfft's pair inputs are named text, text_pair.
    names = sorted(client.input_names(args.signature), key=lambda name: (name != "text", name))
    return names, lambda inputs: predict_in_batches(lambda batch: client.predict(batch, args.signature), inputs)


def _command_line_inputs(args, names: list[str]) -> dict[str, list[str]]:
    inputs: dict[str, list[str]] = {}
    if args.texts:
        inputs[names[0]] = list(args.texts)
    if args.pair is not None and len(names) > 1:
        inputs[names[1]] = list(args.pair)
    for item in args.input:
        name, equals, value = item.partition("=")
        if not equals:
            raise ValueError(f"--input '{item}' must look like NAME=VALUE")
        inputs.setdefault(name.strip(), []).append(value)
    return inputs


def _file_inputs(args, names: list[str]) -> dict[str, list[str]]:
    from tfft.data.readers import read_examples

    columns = [args.text_column or names[0]]
    if len(names) > 1:
        columns.append(args.text_pair_column or names[1])
    data = DataConfig(text_column=columns[0], text_pair_column=columns[1] if len(columns) > 1 else None)
    examples = read_examples(args.file, data, with_labels=False)
    values = [examples.texts, examples.pairs]
    return {name: list(values[i]) for i, name in enumerate(names)}


def _row(outputs: dict, index: int) -> dict:
    return {name: _plain(values[index]) for name, values in outputs.items()}


def _plain(value):
    """numpy values (string tensors arrive as bytes) as JSON-able Python values."""
    value = value.tolist() if hasattr(value, "tolist") else value
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def run_export(args) -> int:
    from tfft.export.from_run import export_run
    from tfft.run_folder import RunFolder

    if args.adapters:
        return _export_adapters(args)
    config = load_config(RunFolder(Path(args.run)).config)
    root = Path(args.dir or config.export.dir) / (args.name or config.name)
    print(export_run(Path(args.run), root, args.version, args.quantize or config.export.quantization))
    return 0


def _export_adapters(args) -> int:
    from tfft.export.multi_adapter import export_adapters

    if not args.name:
        raise ValueError("tfft export --adapters needs --name (the served model's name)")
    root = Path(args.dir or "saved_models") / args.name
    print(export_adapters([Path(a) for a in args.adapters], root, args.version))
    return 0


def run_launch(args) -> int:
    from tfft.launch import launch_local, tfjob_manifest

    if not args.job or args.job[0] not in ("train", "pretrain"):
        raise ValueError("tfft launch needs the job to run, e.g. `tfft launch --workers 2 train --config C`")
    if args.emit:
        if not args.image:
            raise ValueError("tfft launch --emit k8s needs --image (a container image with tfft installed)")
        print(tfjob_manifest(args.job, args.workers, args.image, args.name, args.volume_claim), end="")
        return 0
    return launch_local(args.job, args.workers, args.log_dir)


def run_serve(args) -> int:
    from tfft.serving.commands import serve

    return serve(args)


def run_deploy(args) -> int:
    import dataclasses

    from tfft.serving.bundle import DEPLOY_BATCHING, BundleOptions, write_bundle
    from tfft.serving.commands import parse_labels

    options = BundleOptions(keep_versions=args.keep_versions, labels=parse_labels(args.label),
                            batching=dataclasses.replace(DEPLOY_BATCHING, max_batch_size=args.max_batch_size,
                                                         batch_timeout_micros=args.batch_timeout_micros),
                            replicas=args.replicas, max_replicas=args.max_replicas, image=args.image,
                            models_claim=args.models_claim)
    for path in write_bundle([Path(m) for m in args.models], Path(args.out), options):
        print(path)
    print(f"run it: cd {args.out} && docker compose up   (or kubectl apply -f {args.out}/k8s/)")
    return 0


def run_update(args) -> int:
    from tfft.update import update_model

    decision = update_model(Path(args.model), args.data, args.margin, args.replay_ratio, args.holdout,
                            args.metric, args.overrides, verbose=1 if sys.stdout.isatty() else 2)
    print(decision.summary())
    return 0 if decision.published else 3


def run_rollback(args) -> int:
    from tfft.update import rollback

    retired, serving = rollback(Path(args.model))
    print(f"version {retired} moved to {Path(args.model) / '.retired' / str(retired)}; "
          f"version {serving} serves again (TF Serving picks this up on its next poll)")
    return 0


def run_info(args) -> int:
    from tfft.info import describe

    print(describe(args.path))
    return 0


COMMANDS = {"train": run_train, "pretrain": run_pretrain, "evaluate": run_evaluate, "predict": run_predict,
            "export": run_export, "info": run_info, "launch": run_launch, "serve": run_serve,
            "deploy": run_deploy, "update": run_update, "rollback": run_rollback, "ensemble": run_ensemble,
            "tune": run_tune}


if __name__ == "__main__":
    sys.exit(main())
