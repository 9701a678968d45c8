"""The ``tfft`` command line: train | ensemble | tune | pretrain | evaluate | index | assistant | explain | monitor | predict | export | serve | deploy | update | rollback | info | launch.

Examples:

    tfft train                                        # sample intents, MiniLM-L6, export
    tfft pretrain --config configs/pretrain_shakespeare_gpt.yaml
    tfft train --config configs/sst2.yaml --set training.epochs=1
    tfft tune --config configs/sst2_500.yaml --algorithm bayesian --trials 8   # writes runs/sst2-500-tune/best.yaml
    tfft evaluate --run runs/sst2-500 --data dev.tsv --perturb typo           # robustness check
    tfft evaluate --export saved_models/support-intents --data test.csv
    tfft predict saved_models/support-intents "I was charged twice"
    tfft index saved_models/faq-embedder --corpus faq.csv --id-column id --payload-column answer
    tfft assistant --classifier saved_models/support-intents --index saved_models/faq-index \\
        --validation validation.csv --out saved_models/customer-service
    tfft explain runs/support-intents "I was charged twice" --html why.html   # which words decided
    tfft monitor saved_models/financial-phrasebank stream.csv --group-column topic --window 1h --out runs/watch
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
import importlib
import logging
import sys

import tfft  # noqa: F401  (sets TF/Keras environment defaults first)
from tfft.config import (DEFAULT_CONFIG, HANDOFF_IN_SCOPE_SHARE, INDEX_CHUNK_ROWS, INDEX_DENSE_WEIGHT, INDEX_STORAGE,
                         QUANTIZATION_MODES, ConfigError, load_config)
from tfft.quiet_start import quiet_tensorflow_start

# --- argument groups more than one command takes ---------------------------------------------------
def _config_arguments(parser: argparse.ArgumentParser, required: bool = False,
                      what: str = "YAML run description") -> None:
    if required:
        parser.add_argument("--config", required=True, help=what)
    else:
        parser.add_argument("--config", default=str(DEFAULT_CONFIG),
                            help=f"{what} (default: the built-in sample run, %(default)s)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override any config field, e.g. --set training.epochs=2 (repeatable)")


def _data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="labelled CSV/TSV/JSONL/Parquet file or tfds:<name>:<split>")
    parser.add_argument("--text-column", help="column with the text (default: the run's)")
    parser.add_argument("--text-pair-column", help="column with the second text of pairs")
    parser.add_argument("--label-column", help="column with the label (default: the run's)")
    parser.add_argument("--skip-bad-rows", action="store_true", help="skip malformed rows and list them")


def _flag_value(text: str) -> bool:
    """A boolean flag's value written the way TF Serving's flags take it (``--enable_batching=true``)."""
    values = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    if text.lower() not in values:
        raise argparse.ArgumentTypeError(f"expected true or false, got '{text}'")
    return values[text.lower()]


def _rest_port(text: str) -> int | None:
    """A REST port, or None for 0: TF Serving's ``--rest_api_port=0`` serves gRPC only."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got '{text}'") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port in 0..65535, got {port}")
    return port or None


def _batching_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-batch-size", type=int, default=32, help="rows per batch (default: %(default)s)")
    parser.add_argument("--batch-timeout-micros", type=int, default=2000,
                        help="longest wait for a batch to fill (default: %(default)s)")


# --- one function per command ----------------------------------------------------------------------
def _train(commands) -> None:
    parser = commands.add_parser("train", help="fine-tune, evaluate and export (resumes unfinished runs)")
    _config_arguments(parser)
    parser.add_argument("--skip-bad-rows", action="store_true", help="skip malformed rows and list them")
    parser.add_argument("--no-export", action="store_true", help="do not write a SavedModel")


def _ensemble(commands) -> None:
    parser = commands.add_parser(
        "ensemble", help="fine-tune k members (seeds) and export their averaged probabilities as one model")
    _config_arguments(parser)
    parser.add_argument("--members", type=int, default=3, help="number of members (default: %(default)s)")
    parser.add_argument("--folds", action="store_true",
                        help="k-fold cross-validation: member i validates on fold i of the training rows")


def _tune(commands) -> None:
    parser = commands.add_parser(
        "tune", help="hyperparameter search (KerasTuner); writes the best config as a YAML recipe")
    _config_arguments(parser, what="YAML run description (the base)")
    parser.add_argument("--algorithm", choices=["random", "bayesian", "hyperband"], default="random")
    parser.add_argument("--trials", type=int, default=8, help="trials for random / bayesian (default: %(default)s)")
    parser.add_argument("--space", help="search space YAML (config.field: {type: float|int|choice, ...}); "
                                        "default: learning rate, batch size, epochs, warm-up, dropout, PEFT rank")
    parser.add_argument("--metric", help="validation metric to maximise (default: the task's)")


def _pretrain(commands) -> None:
    parser = commands.add_parser(
        "pretrain", help="masked-LM / causal-LM pre-training into a keras-hub preset (resumes unfinished runs)")
    _config_arguments(parser, required=True, what="YAML run description (task: masked_lm or causal_lm)")


def _evaluate(commands) -> None:
    parser = commands.add_parser("evaluate", help="score a run or an export on a labelled file")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", help="run folder (runs/<name>)")
    source.add_argument("--export", help="export folder (saved_models/<name>[/<version>])")
    _data_arguments(parser)
    parser.add_argument("--output", help="write metrics JSON here as well")
    parser.add_argument("--answer-id-column", help="assistant exports: the answer-id column, for answer accuracy")
    parser.add_argument("--perturb", choices=["typo", "synonym"],
                        help="robustness check: perturb the texts first (seeded)")
    parser.add_argument("--perturb-rate", type=float, default=0.1, help="share of words perturbed")
    parser.add_argument("--perturb-seed", type=int, default=0)
    parser.add_argument("--synonyms", help="word list for --perturb synonym (word,synonym,...)")


def _index(commands) -> None:
    parser = commands.add_parser(
        "index", help="embed a corpus with an embedding export into a search-index SavedModel (new version)")
    parser.add_argument("embedder", help="embedding export (saved_models/<name>[/<version>])")
    parser.add_argument("--corpus", required=True, help="CSV/TSV/JSONL/Parquet file, one document per row")
    parser.add_argument("--text-column", default="text", help="column that is embedded (default: %(default)s)")
    parser.add_argument("--id-column", default="id", help="column of unique document ids (default: %(default)s)")
    parser.add_argument("--payload-column", action="append", default=[], metavar="NAME",
                        help="a column returned with each match, e.g. answer (repeatable)")
    parser.add_argument("--out", help="index model folder (default: <embedder folder>-index)")
    parser.add_argument("--version", type=int, help="integer version (default: next free)")
    parser.add_argument("--storage", choices=INDEX_STORAGE, default="float32",
                        help="corpus matrix: float32, bfloat16 (half the size) or int8 (a quarter) "
                             "(default: %(default)s)")
    parser.add_argument("--top-k", type=int, default=10, help="matches returned per query (default: %(default)s)")
    parser.add_argument("--chunk-rows", type=int, default=INDEX_CHUNK_ROWS,
                        help="corpus rows scored at once; bounds memory (default: %(default)s)")
    parser.add_argument("--hybrid", action="store_true",
                        help="fuse in-graph BM25 scores of the corpus with the dense ones")
    parser.add_argument("--dense-weight", type=float, default=INDEX_DENSE_WEIGHT,
                        help="--hybrid: dense share of the fused score, unless --validation chooses it "
                             "(default: %(default)s)")
    parser.add_argument("--validation", metavar="FILE",
                        help="--hybrid: (query, relevant ids) file on which the dense weight is chosen")
    parser.add_argument("--query-column", default="query", help="--validation's query column (default: %(default)s)")
    parser.add_argument("--relevant-column", default="relevant",
                        help="--validation's relevant-ids column, ids joined by | (default: %(default)s)")
    parser.add_argument("--skip-bad-rows", action="store_true", help="skip malformed rows and list them")


def _assistant(commands) -> None:
    parser = commands.add_parser(
        "assistant", help="an intent classifier and an FAQ index as one customer-service SavedModel (new version)")
    parser.add_argument("--classifier", required=True, help="intent classification export (saved_models/<name>)")
    parser.add_argument("--index", required=True, help="FAQ search index (tfft index) serving the answers")
    parser.add_argument("--validation", required=True, metavar="FILE",
                        help="messages with their true intent (or the out-of-scope label) to choose thresholds on")
    parser.add_argument("--out", required=True, help="the assistant's model folder, e.g. saved_models/customer-service")
    parser.add_argument("--version", type=int, help="integer version (default: next free)")
    parser.add_argument("--text-column", default="text", help="--validation's message column (default: %(default)s)")
    parser.add_argument("--intent-column", default="intent", help="--validation's intent column (default: %(default)s)")
    parser.add_argument("--answer-id-column", help="--validation's answer-id column, to report answer accuracy")
    parser.add_argument("--out-of-scope-label", default="out_of_scope",
                        help="intent value of out-of-scope messages (default: %(default)s)")
    parser.add_argument("--answer-column", default="answer",
                        help="index payload returned as answer (default: %(default)s)")
    parser.add_argument("--max-in-scope-handoff", type=float, default=HANDOFF_IN_SCOPE_SHARE,
                        help="share of in-scope validation messages the thresholds may hand off (default: %(default)s)")
    parser.add_argument("--skip-bad-rows", action="store_true", help="skip malformed rows and list them")


def _predict(commands) -> None:
    parser = commands.add_parser("predict", help="run an export on strings or a file")
    parser.add_argument("export", help="export folder (saved_models/<name>[/<version>])")
    parser.add_argument("texts", nargs="*", help="texts to classify")
    parser.add_argument("--pair", action="append", default=None, help="second text for pair models (repeatable)")
    parser.add_argument("--input", action="append", default=[], metavar="NAME=VALUE",
                        help="a named input, e.g. --input question=... --input context=... (repeatable)")
    parser.add_argument("--file", help="CSV/TSV/JSONL/Parquet file with a column per model input")
    parser.add_argument("--text-column", help="column of the first input (default: its name)")
    parser.add_argument("--text-pair-column", help="column of the second input (default: its name)")
    parser.add_argument("--output", help="write JSON lines here instead of stdout")
    parser.add_argument("--signature", default="serving_default",
                        help="signature to run (multi-adapter exports have one per task)")
    parser.add_argument("--server", metavar="URL",
                        help="ask a running TF Serving or `tfft serve` instead (http://HOST:8501 for REST, "
                             "grpc://HOST:8500 for gRPC); EXPORT is then the served model's name")
    parser.add_argument("--version", type=int, help="with --server: a specific model version")
    parser.add_argument("--label", help="with --server: a version label such as stable or canary")
    parser.add_argument("--timeout", type=float, default=10.0, help="with --server: seconds per request")
    parser.add_argument("--retries", type=int, default=3, help="with --server: retries when unavailable")


def _export(commands) -> None:
    parser = commands.add_parser("export", help="export a finished run as a new SavedModel version")
    sources = parser.add_mutually_exclusive_group(required=True)
    sources.add_argument("--run", help="run folder (runs/<name>)")
    sources.add_argument("--adapters", nargs="+", metavar="DIR",
                         help="adapter checkpoints (runs/<name>/adapter) to serve from one shared "
                              "backbone, one signature each; needs --dir and --name")
    parser.add_argument("--dir", help="export root (default: the run's export.dir)")
    parser.add_argument("--name", help="model name (default: the run's name)")
    parser.add_argument("--version", type=int, help="integer version (default: next free)")
    parser.add_argument("--quantize", choices=QUANTIZATION_MODES,
                        help="int8: post-training int8 backbone weights (about 3.5x smaller); bfloat16: "
                             "bfloat16 encoder kernels, fastest on CPUs with AMX or AVX512_BF16")


def _serve(commands) -> None:
    parser = commands.add_parser(
        "serve", help="serve exports over TF Serving's REST and gRPC APIs (where TF Serving is not installed)")
    # Each TF Serving flag is also accepted under TF Serving's own name, so its command lines run unchanged.
    parser.add_argument("models", nargs="*", help="model folders (saved_models/<name>), served under their names")
    parser.add_argument("--model-config-file", "--model_config_file",
                        help="a TF Serving models.config with local base paths, instead of model folders")
    parser.add_argument("--model-name", "--model_name", default="default",
                        help="with --model-base-path: the name to serve it under (default: %(default)s)")
    parser.add_argument("--model-base-path", "--model_base_path",
                        help="one model folder served under --model-name, as TF Serving's flag")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s, this machine only)")
    parser.add_argument("--rest-port", "--rest_api_port", type=_rest_port, default=8501,
                        help="REST port; 0 serves gRPC only, as in TF Serving (default: %(default)s)")
    parser.add_argument("--grpc-port", "--port", type=int, default=8500, help="gRPC port (default: %(default)s)")
    parser.add_argument("--keep-versions", type=int, default=1,
                        help="serve the newest N versions of each folder (default: %(default)s)")
    parser.add_argument("--enable-batching", "--enable_batching", nargs="?", const=True, default=False,
                        type=_flag_value, help="batch concurrent requests per signature (TF Serving's "
                                               "--enable_batching=true works too)")
    parser.add_argument("--batching-parameters-file", "--batching_parameters_file",
                        help="TF Serving batching_parameters.txt (implies batching)")
    _batching_arguments(parser)
    parser.add_argument("--num-batch-threads", type=int, default=2,
                        help="batches run at once; 1 fills bigger batches when one batch keeps every core busy "
                             "(default: %(default)s)")
    parser.add_argument("--tensorflow-intra-op-parallelism", "--tensorflow_intra_op_parallelism", type=int, default=0,
                        help="threads one op may use (TF Serving's flag of that name; 0: TF chooses). 1 serves "
                             "more unbatched concurrent requests per second on few cores")
    parser.add_argument("--tensorflow-inter-op-parallelism", "--tensorflow_inter_op_parallelism", type=int, default=0,
                        help="ops run at once (TF Serving's flag of that name; 0: TF chooses)")
    parser.add_argument("--max-request-bytes", type=int, default=4 * 1024 * 1024,
                        help="larger request bodies get 413 (default: %(default)s)")
    parser.add_argument("--poll-seconds", "--file_system_poll_wait_seconds", type=float, default=1.0,
                        help="how often to look for new version folders (default: %(default)s)")


def _deploy(commands) -> None:
    parser = commands.add_parser("deploy", help="write a TF Serving bundle: configs, docker-compose, Kubernetes")
    parser.add_argument("models", nargs="+", help="model folders (saved_models/<name>)")
    parser.add_argument("--out", required=True, help="new folder for the bundle (never written over)")
    parser.add_argument("--label", action="append", default=[], metavar="MODEL:LABEL=VERSION",
                        help="a version label, e.g. intents:stable=1 --label intents:canary=2 (repeatable)")
    parser.add_argument("--keep-versions", type=int, default=2, help="unlabelled models: newest N (default: 2)")
    _batching_arguments(parser)
    parser.add_argument("--replicas", type=int, default=2, help="Kubernetes replicas (HPA minimum)")
    parser.add_argument("--max-replicas", type=int, default=8, help="HPA maximum")
    parser.add_argument("--image", help="serving image (default: tensorflow/serving:<TF version of the export>)")
    parser.add_argument("--models-claim", default="tfft-models",
                        help="PersistentVolumeClaim holding the model folders (Kubernetes)")


def _update(commands) -> None:
    parser = commands.add_parser(
        "update", help="re-fine-tune the serving version on new data; publish N+1 only if not worse")
    parser.add_argument("model", help="model folder (saved_models/<name>); its newest version is the serving one")
    parser.add_argument("--data", required=True, help="new labelled data (same columns as the original run)")
    parser.add_argument("--holdout", help="file both versions are scored on (default: the run's validation file)")
    parser.add_argument("--margin", type=float, default=0.01,
                        help="publish unless the candidate is worse than this on the metric (default: %(default)s)")
    parser.add_argument("--replay-ratio", type=float, default=1.0,
                        help="rows of the old training data replayed per new row (default: %(default)s)")
    parser.add_argument("--metric", help="metric compared (default: the task's, e.g. accuracy)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override the update run's config, e.g. --set training.epochs=1")


def _rollback(commands) -> None:
    parser = commands.add_parser("rollback", help="stop serving the newest version (kept in .retired/)")
    parser.add_argument("model", help="model folder (saved_models/<name>)")


def _info(commands) -> None:
    parser = commands.add_parser("info", help="describe an export or run, or the environment")
    parser.add_argument("path", nargs="?", help="export or run folder")


def _explain(commands) -> None:
    parser = commands.add_parser("explain", help="word attributions of a trained model's predictions (integrated "
                                                 "gradients): labels, entities, relations, answers")
    parser.add_argument("path", help="a run folder, or an export whose run folder is still there")
    parser.add_argument("texts", nargs="*", help="texts to explain (or --file)")
    parser.add_argument("--file", help="a CSV/TSV/JSONL/Parquet file of texts")
    parser.add_argument("--pair", action="append", default=[],
                        help="the second input of each text, for models that take two (QA: the context; repeatable)")
    parser.add_argument("--text-column", help="--file's text column (default: the model's first input, e.g. text)")
    parser.add_argument("--pair-column", help="--file's second-input column (default: the model's, e.g. context)")
    parser.add_argument("--skip-bad-rows", action="store_true", help="skip malformed rows of --file and list them")
    parser.add_argument("--label", help="explain this label's probability (default: each text's predicted label)")
    parser.add_argument("--steps", type=int, default=50, help="integration steps (default: %(default)s)")
    parser.add_argument("--baseline", choices=["pad", "mask"], default="pad",
                        help="token every word is replaced by in the baseline (default: %(default)s)")
    parser.add_argument("--output", help="write one JSON line per text here (a new file)")
    parser.add_argument("--html", help="write a self-contained HTML page here (a new file)")
    parser.add_argument("--png", help="draw the one text's explanation as a PNG here (a new file)")
    parser.add_argument("--show", type=int, default=10, help="texts summarised on the terminal (default: %(default)s)")


def _monitor(commands) -> None:
    parser = commands.add_parser("monitor", help="watch a stream of timestamped texts; alert on negative surges")
    parser.add_argument("model", help="a sentiment export folder (or, with --server, the served model's name)")
    parser.add_argument("source", help="a CSV/TSV/JSONL file, a folder of them, or - for stdin")
    parser.add_argument("--out", required=True, help="a new folder for windows.jsonl, alerts.jsonl, bad_rows.txt, "
                                                     "monitor.log, trend.png and tensorboard/")
    parser.add_argument("--server", help="score through a running server: http://HOST:8501 or grpc://HOST:8500")
    parser.add_argument("--timeout", type=float, default=30.0, help="--server request timeout, s (default: %(default)s)")
    parser.add_argument("--topic-model", help="a topic classifier whose label groups the rows (export or served name)")
    parser.add_argument("--group-column", help="the column that groups the rows (instead of --topic-model)")
    parser.add_argument("--time-column", default="time", help="ISO 8601 or Unix seconds (default: %(default)s)")
    parser.add_argument("--text-column", default="text", help="(default: %(default)s)")
    parser.add_argument("--window", default="1h", help="window width: 90s, 15m, 1h, 1d (default: %(default)s)")
    parser.add_argument("--negative-label", default="negative", help="the label whose share is watched "
                                                                      "(default: %(default)s)")
    parser.add_argument("--z", type=float, default=3.0, help="alert at this z-score or above (default: %(default)s)")
    parser.add_argument("--min-count", type=int, default=20,
                        help="windows with fewer rows are not judged (default: %(default)s)")
    parser.add_argument("--baseline-windows", type=int, default=24,
                        help="trailing windows a group's baseline spans (default: %(default)s)")
    parser.add_argument("--min-baseline-windows", type=int, default=3,
                        help="no alerts before a group has this many (default: %(default)s)")
    parser.add_argument("--examples", type=int, default=3, help="most negative texts kept per alert (default: %(default)s)")
    parser.add_argument("--allowed-lateness", default="0s",
                        help="how long a window stays open for rows out of order (default: %(default)s)")
    parser.add_argument("--follow", action="store_true", help="keep reading as files grow and appear (Ctrl-C ends)")
    parser.add_argument("--poll", default="1s", help="--follow's polling interval (default: %(default)s)")
    parser.add_argument("--prometheus-port", type=int, help="serve Prometheus gauges on this port")
    parser.add_argument("--batch-size", type=int, default=64, help="rows per model call (default: %(default)s)")


def _launch(commands) -> None:
    parser = commands.add_parser(
        "launch", help="run `train`/`pretrain` on several workers (MultiWorkerMirrored via TF_CONFIG)")
    parser.add_argument("--workers", type=int, default=2, help="number of workers (default: %(default)s)")
    parser.add_argument("--emit", choices=["k8s"], help="write a Kubeflow TFJob manifest instead of running")
    parser.add_argument("--image", help="container image with tfft installed (for --emit k8s)")
    parser.add_argument("--name", default="tfft", help="TFJob name (for --emit k8s)")
    parser.add_argument("--volume-claim", default="tfft-runs",
                        help="PersistentVolumeClaim all pods share for runs/ (for --emit k8s)")
    parser.add_argument("--log-dir", help="where the non-chief workers' logs go (default: a temp folder)")
    parser.add_argument("job", nargs=argparse.REMAINDER, help="train|pretrain and its arguments")


# Each command's arguments; `main` runs ``tfft.commands.<name>.run``.
PARSERS = {"train": _train, "ensemble": _ensemble, "tune": _tune, "pretrain": _pretrain, "evaluate": _evaluate,
           "index": _index, "assistant": _assistant, "explain": _explain, "monitor": _monitor,
           "predict": _predict, "export": _export,
           "serve": _serve, "deploy": _deploy, "update": _update, "rollback": _rollback, "info": _info, "launch": _launch}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tfft", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for add_parser in PARSERS.values():
        add_parser(commands)
    return parser


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (a caller may have replaced it since)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _):
        pass


def configure_logging() -> None:
    """tfft's library messages (the ``tfft`` logger) go to stderr as plain lines."""
    logger = logging.getLogger("tfft")
    if not any(isinstance(handler, _CurrentStderr) for handler in logger.handlers):
        handler = _CurrentStderr()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging()
    try:
        if getattr(args, "config", None):  # a bad config fails at once, before TensorFlow loads
            load_config(args.config, args.overrides)
        with quiet_tensorflow_start():
            commands = importlib.import_module("tfft.commands")
            command = importlib.import_module(f"tfft.commands.{args.command}")
        try:
            return command.run(args)
        except commands.USER_ERRORS as error:
            return _error(args.command, error)
    except ConfigError as error:
        return _error(args.command, error)


def _error(command: str, error: Exception) -> int:
    print(f"tfft {command}: error: {error}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
