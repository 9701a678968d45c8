"""One config object that describes a run, from data to export.

A run is described by a YAML file whose sections mirror the dataclasses below.
Any field can be overridden with ``section.field=value`` strings (the CLI's
``--set``); values are parsed as YAML, so ``training.epochs=2`` gives an int and
``data.validation=null`` gives ``None``.

Example:

>>> cfg = load_config("tfft/sample_data/support_intents/config.yaml", ["training.epochs=1"])
>>> cfg.training.epochs
1
>>> save_config(cfg, "/tmp/support-intents/config.yaml")
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SAMPLE_DATA_DIR = Path(__file__).parent / "sample_data" / "support_intents"
DEFAULT_CONFIG = SAMPLE_DATA_DIR / "config.yaml"


class ConfigError(ValueError):
    """A config file or override is malformed; the message says where."""


# int8: post-training int8 weights; bfloat16: bfloat16 encoder kernels (tfft.export.quantize)
QUANTIZATION_MODES = ("int8", "bfloat16")
INDEX_STORAGE = ("float32", "bfloat16", "int8")  # search-index corpus matrix (tfft index --storage)
INDEX_DENSE_WEIGHT = 0.5  # hybrid search without validation queries: dense and BM25 alike
HANDOFF_IN_SCOPE_SHARE = 0.05  # tfft assistant: in-scope validation messages its thresholds may hand off
INDEX_CHUNK_ROWS = 262_144  # corpus rows scored at once: 32 queries × this many float32 scores is 32 MiB
# Every PEFT method but none freezes the backbone (tfft.peft.methods builds each).
PEFT_METHODS = ("none", "lora", "dora", "adalora", "houlsby", "pfeiffer", "prefix", "prompt", "bitfit")

# The values a field may take, by its dotted name; checked when the section is built.
CHOICES: dict[str, tuple] = {
    "model.freeze": ("none", "backbone", "top_k", "embeddings"),
    "data.augment.method": ("none", "eda", "back_translation"),
    "training.learning_rate_scaling": ("none", "linear", "sqrt"),
    "training.decay": ("linear", "cosine", "constant"),
    "training.class_weights": (None, "balanced"),
    "training.distribute": ("auto", "none", "mirrored", "multi_worker", "tpu"),
    "training.mixed_precision": (None, "float32", "auto", "mixed_bfloat16", "mixed_float16"),
    "training.adversarial.method": ("none", "fgm", "pgd"),
    "export.quantization": (None, *QUANTIZATION_MODES),
    "export.explain_baseline": ("pad", "mask"),
    "peft.method": PEFT_METHODS,
}


def _check_choices(section: Any, prefix: str) -> None:
    """Raises a `ConfigError` for the first field of ``section`` outside its `CHOICES`."""
    for f in dataclasses.fields(section):
        allowed = CHOICES.get(prefix + f.name)
        value = getattr(section, f.name)
        if allowed is not None and value not in allowed:
            listing = ", ".join("null" if choice is None else str(choice) for choice in allowed)
            raise ConfigError(f"{prefix}{f.name}={value!r} is not allowed: expected one of {listing}")


@dataclass
class ModelConfig:
    """Which backbone to load and how much of it to train.

    ``backbone`` is one of: the alias ``minilm-l6`` (embedded pretrained
    MiniLM-L6 BERT), ``scratch:<size>`` (randomly initialised, sizes in
    ``tfft.backbones.SCRATCH_SIZES``), a local keras-hub preset folder, a local
    Hugging Face checkpoint folder, or a keras-hub preset name.
    ``freeze`` is ``none`` (full fine-tuning), ``backbone`` (train the head
    only), ``top_k`` (train the top ``train_top_layers`` encoder layers and
    the head) or ``embeddings`` (everything but the word-embedding table).
    """

    backbone: str = "minilm-l6"  # alias, scratch:<size>, preset folder, Hugging Face folder or keras-hub preset name
    max_length: int = 128  # tokens per row (texts are cut, long NER/QA contexts split into windows)
    dropout: float = 0.1  # dropout of the task head
    freeze: str = "none"  # which backbone weights stay fixed
    train_top_layers: int = 2  # freeze=top_k: how many of the top encoder layers train
    init_from: str | None = None  # a finished run folder: start from its weights and labels (same task)
    num_layers: int | None = None  # keep only the backbone's lowest N transformer layers (a smaller student)

    def __post_init__(self):
        _check_choices(self, "model.")


@dataclass
class AugmentConfig:
    """Augmentation of the training rows (after validation is held out): EDA or back-translation.

    ``back_translation`` adds one paraphrase per row, translated by the export
    ``translate_to`` and back by ``translate_back``.

    Each original row gets ``copies`` augmented copies; each copy applies one
    operation drawn from ``operations``: ``synonym`` (replace words by a synonym
    from the ``synonyms`` file), ``insert`` (insert a synonym of a word), ``swap``
    and ``delete`` (keras-hub's RandomSwap / RandomDeletion), each touching about
    ``rate`` of the words. Without a synonyms file only swap and delete apply.
    """

    method: str = "none"  # EDA word edits or back-translation paraphrases
    copies: int = 1  # augmented copies of each training row
    rate: float = 0.1  # share of a row's words each EDA operation touches
    operations: list[str] = field(default_factory=lambda: ["synonym", "insert", "swap", "delete"])  # to draw from
    synonyms: str | None = None  # text file: one line per word, "word,synonym,synonym,..."
    seed: int = 0  # seed of the augmentation draws
    translate_to: str | None = None    # back_translation: export that translates into the pivot language
    translate_back: str | None = None  # back_translation: export that translates the pivot back

    def __post_init__(self):
        _check_choices(self, "data.augment.")
        if self.method == "back_translation" and not (self.translate_to and self.translate_back):
            raise ConfigError("data.augment.method=back_translation needs data.augment.translate_to and "
                              "data.augment.translate_back (exported translation models, e.g. "
                              "saved_models/en-de and saved_models/de-en)")
        if self.method == "back_translation" and self.copies != 1:
            raise ConfigError("data.augment: back_translation makes one paraphrase per row (the exports "
                              "decode deterministically); set data.augment.copies=1")
        unknown = set(self.operations) - {"synonym", "insert", "swap", "delete"}
        if unknown:
            raise ConfigError(f"data.augment.operations: unknown {sorted(unknown)}; "
                              f"choose from synonym, insert, swap, delete")


@dataclass
class DataConfig:
    """Where the examples come from and which columns hold what.

    Paths are CSV, TSV, JSONL or Parquet files, or ``tfds:<name>[:<split>]``.
    Without ``validation`` a stratified ``validation_fraction`` of ``train`` is
    held out with ``seed``.
    """

    train: str | list[str] = str(SAMPLE_DATA_DIR / "train.csv")  # pre-training reads a list of corpora
    validation: str | list[str] | None = None  # file(s) to validate on; null: hold out validation_fraction of train
    test: str | list[str] | None = None  # file(s) scored after training (metrics.json, test_report.txt)
    text_column: str = "text"  # column holding the text
    text_pair_column: str | None = None  # column holding the second text of a pair (null: single texts)
    label_column: str = "label"  # column holding the label
    label_delimiter: str | None = None  # multi-label rows: the delimiter between labels (null: | or a JSON list)
    drop_labels: list[str] = field(default_factory=list)  # rows with these labels are left out (CLUE's "-": no gold label)
    validation_fraction: float = 0.1  # share of train held out for validation when there is no validation file
    skip_bad_rows: bool = False  # skip malformed rows (listed in skipped_rows.txt) instead of stopping
    split_seed: int | None = None    # seed of the held-out validation split (default: training.seed)
    replay: str | None = None        # earlier training data; a sample of it is mixed into train
    replay_ratio: float = 1.0        # replayed rows per new training row
    train_sample: int | None = None  # keep a seeded, stratified sample of this many training rows
    train_per_class: int | None = None  # keep a seeded sample of this many rows of each label (few-shot)
    folds: int | None = None         # k-fold cross-validation: validate on fold `fold` of the training rows
    fold: int = 0  # folds: the fold to validate on
    augment: AugmentConfig = field(default_factory=AugmentConfig)  # augmented copies of training rows
    tfds_data_dir: str | None = None  # TFDS data directory for tfds: sources (null: TFDS's default)

    def __post_init__(self):
        if self.train_sample and self.train_per_class:
            raise ConfigError("data.train_sample and data.train_per_class both sample the training rows; set one")
        if self.folds is not None and not 0 <= self.fold < self.folds:
            raise ConfigError(f"data.fold={self.fold!r} is not allowed: expected 0 to data.folds - 1 "
                              f"({self.folds - 1})")
        if self.validation is None and self.folds is None and not 0.0 < self.validation_fraction < 1.0:
            raise ConfigError(f"data.validation_fraction={self.validation_fraction!r} is not allowed: "
                              f"expected more than 0 and less than 1 (or a data.validation file)")


@dataclass
class AdversarialConfig:
    """Adversarial training: perturb the word-embedding output to raise the loss, train on both.

    ``fgm`` (fast gradient method, Miyato et al.) takes one step of norm
    ``epsilon`` along the loss gradient; ``pgd`` (projected gradient descent,
    Madry et al.) takes ``steps`` steps of norm ``step_size``, each projected
    back into the ``epsilon`` ball. Norms are per row, over all its positions.
    Each training step then costs 2 (fgm) or ``steps`` + 2 (pgd) forward and
    backward passes.
    """

    method: str = "none"  # one gradient step (fgm) or several (pgd)
    epsilon: float = 0.2     # per row; MiniLM-L6's word vectors have norm about 1.1 each
    steps: int = 3  # pgd: steps per training step
    step_size: float = 0.08  # pgd: norm of each step

    def __post_init__(self):
        _check_choices(self, "training.adversarial.")
        if float(self.epsilon) <= 0 or float(self.step_size) <= 0 or int(self.steps) < 1:
            raise ConfigError("training.adversarial: epsilon and step_size must be > 0 and steps >= 1")


@dataclass
class DistillationConfig:
    """Knowledge distillation from a finished run (the teacher) into this run's model.

    The loss is ``alpha`` × the task's soft-target loss against the teacher's
    outputs at ``temperature`` (scaled by temperature², Hinton et al.) plus
    (1 − ``alpha``) × the usual loss on the labels. The teacher must share the
    student's task, labels and tokenizer.
    """

    teacher: str | None = None  # a finished tfft run folder
    temperature: float = 2.0  # softening of both distributions
    alpha: float = 0.5  # weight of the soft-target loss (1 − alpha on the labels)

    def __post_init__(self):
        if float(self.temperature) <= 0 or not 0.0 <= float(self.alpha) <= 1.0:
            raise ConfigError(f"training.distillation: temperature must be > 0 and alpha in [0, 1], "
                              f"got {self.temperature} and {self.alpha}")


@dataclass
class TrainingConfig:
    """Optimisation, schedule, regularisation, distribution and speed settings.

    ``batch_size`` is the global batch of one micro-step, split across
    replicas; each optimizer step sees ``batch_size × gradient_accumulation_steps``
    rows. ``learning_rate`` is used as given unless ``learning_rate_scaling`` is
    ``linear`` or ``sqrt``: then it is scaled by (or by the square root of) that
    effective batch over ``reference_batch_size``.
    """

    epochs: int = 3  # passes over the training rows
    batch_size: int = 32  # rows per micro-step, across all replicas
    gradient_accumulation_steps: int = 1  # micro-batches per optimizer step
    learning_rate: float = 5e-5  # peak learning rate (AdamW)
    learning_rate_scaling: str = "none"   # scale learning_rate by the effective batch
    reference_batch_size: int = 32  # the batch the learning rate was tuned for (learning_rate_scaling)
    weight_decay: float = 0.01  # AdamW weight decay (not on biases and layer norms)
    warmup_ratio: float = 0.1  # share of the steps spent warming the learning rate up
    decay: str = "linear"  # the schedule after warm-up
    clip_norm: float | None = 1.0  # global gradient-norm clip (null: none)
    label_smoothing: float = 0.0  # label smoothing of the classification loss
    class_weights: str | None = None  # balanced: weight rows by inverse class frequency (null: unweighted)
    early_stopping_patience: int | None = None  # epochs without a better monitor (null: never)
    monitor: str | None = None  # None: the task's headline metric (Task.monitor)
    seed: int = 42  # seed of initialisation, shuffling and dropout
    distribute: str = "auto"              # the tf.distribute strategy (auto: by hardware and TF_CONFIG)
    mixed_precision: str | None = None    # compute dtype; auto picks by hardware (null: float32)
    jit_compile: bool = False             # XLA; batches are then padded to few lengths
    pad_to_multiple_of: int | None = None  # None: 32 with jit_compile, else 1 (pad to the batch's longest)
    steps_per_execution: int = 1  # train steps per tf.function call
    profile_steps: str | None = None      # e.g. "20,25": TensorBoard profiler trace of those steps
    backup_every_steps: int | None = None  # resume state also every N steps (always at epoch ends)
    data_service: str | None = None       # grpc://host:port of a tf.data service dispatcher
    length_group_batches: int = 50  # batches whose rows are grouped by length (less padding)
    keep_checkpoints: int = 2  # epoch checkpoints kept
    evaluate_before: bool = True  # evaluate the untrained model first (the run's 'before' metrics)
    log_every_steps: int = 10  # TensorBoard and progress-line interval, in steps
    explain_examples: int = 0  # TensorBoard text, every epoch: this many validation texts' word attributions (0: off)
    adversarial: AdversarialConfig = field(default_factory=AdversarialConfig)  # FGM / PGD adversarial training
    distillation: DistillationConfig = field(default_factory=DistillationConfig)  # from a finished run

    def __post_init__(self):
        _check_choices(self, "training.")
        if self.explain_examples < 0:
            raise ConfigError(f"training.explain_examples={self.explain_examples!r} is not allowed: expected 0 "
                              f"(off) or more")
        self.profile_range  # noqa: B018 -- a malformed profile_steps is refused now, not at step 20

    @property
    def profile_range(self) -> tuple[int, int] | int:
        """``profile_steps`` "20,25" as (20, 25), the steps TensorBoard's profiler traces; 0 (off) for null."""
        if not self.profile_steps:
            return 0
        try:
            first, last = (int(part) for part in str(self.profile_steps).split(","))
        except ValueError:
            raise ConfigError(f"training.profile_steps={self.profile_steps!r} is not allowed: expected "
                              f"'first,last' (e.g. '20,25')") from None
        if not 0 < first <= last:
            raise ConfigError(f"training.profile_steps={self.profile_steps!r} is not allowed: "
                              f"need 0 < first <= last")
        return first, last


@dataclass
class ExportConfig:
    """Where and how the TF Serving SavedModel is written."""

    enabled: bool = True  # write a SavedModel after training
    dir: str = "saved_models"  # exports go to <dir>/<name>/<version>
    version: int | None = None  # version number (null: the next free one)
    warmup_requests: int = 16  # TF Serving warm-up requests written with the export
    quantization: str | None = None  # one of QUANTIZATION_MODES, or null for float32
    explain: bool = False  # also write the explain / explain_label signatures (integrated gradients in the graph)
    explain_steps: int = 50  # their integration steps (tfft explain --steps)
    explain_baseline: str = "pad"  # their baseline: pad or mask (tfft explain --baseline)

    def __post_init__(self):
        _check_choices(self, "export.")
        if self.explain_steps < 1:
            raise ConfigError(f"export.explain_steps={self.explain_steps!r} is not allowed: expected 1 or more")


@dataclass
class PeftConfig:
    """Parameter-efficient fine-tuning: which method, and its sizes.

    ``method`` is ``none`` (train as ``model.freeze`` says), ``lora``, ``dora``,
    ``adalora``, ``houlsby`` or ``pfeiffer`` (bottleneck adapters), ``prefix``,
    ``prompt`` or ``bitfit``; every method but ``none`` freezes the backbone and
    trains its own weights plus the task head. See `tfft.peft` for each method.
    """

    method: str = "none"  # the PEFT method (none: train as model.freeze says)
    rank: int = 8                      # lora / dora; adalora's starting rank per matrix
    alpha: float = 16.0                # lora scale is alpha / rank
    dropout: float = 0.0               # on the low-rank path's input
    targets: list[str] = field(default_factory=lambda: ["query", "value"])  # layer names
    target_rank: int = 4               # adalora: mean rank per matrix when pruning ends
    bottleneck: int = 64               # adapters' hidden width
    virtual_tokens: int = 20           # prefix / prompt length
    train_also: list[str] = field(default_factory=list)  # backbone layer names kept trainable
    merge_on_export: bool = True       # fold lora / dora / adalora into the kernels

    def __post_init__(self):
        _check_choices(self, "peft.")
        if self.method == "adalora" and not 0 < self.target_rank <= self.rank:
            raise ConfigError(f"peft.target_rank={self.target_rank!r} is not allowed: expected 1 to "
                              f"peft.rank ({self.rank})")


@dataclass
class RunConfig:
    """Everything about one run. ``task_options`` is read by the task module."""

    name: str = "support-intents"  # run folder <output_dir>/<name>, export <export.dir>/<name>
    task: str = "classification"  # the task module (see Tasks) or, for tfft pretrain, masked_lm / causal_lm
    task_options: dict[str, Any] = field(default_factory=dict)  # options the task reads (see its page)
    output_dir: str = "runs"  # where run folders go
    model: ModelConfig = field(default_factory=ModelConfig)  # backbone and how much of it trains
    data: DataConfig = field(default_factory=DataConfig)  # files, columns, validation, sampling
    training: TrainingConfig = field(default_factory=TrainingConfig)  # optimisation, schedule, speed
    export: ExportConfig = field(default_factory=ExportConfig)  # the SavedModel
    peft: PeftConfig = field(default_factory=PeftConfig)  # parameter-efficient fine-tuning

    def __post_init__(self):
        if self.peft.method != "none" and self.model.freeze != "none":
            raise ConfigError(f"peft.method={self.peft.method} freezes the backbone itself; "
                              f"set model.freeze=none (got '{self.model.freeze}')")

    @property
    def run_dir(self) -> Path:
        return Path(self.output_dir) / self.name


def config_to_dict(config: RunConfig) -> dict[str, Any]:
    return dataclasses.asdict(config)


def config_from_dict(values: dict[str, Any], source: str = "<dict>") -> RunConfig:
    """Builds a `RunConfig`, rejecting unknown keys with the path that holds them."""
    return _build(RunConfig, values or {}, source, prefix="")


def _build(cls: type, values: dict[str, Any], source: str, prefix: str):
    if not isinstance(values, dict):
        raise ConfigError(f"{source}: '{prefix.rstrip('.') or 'top level'}' must be a mapping")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(
            f"{source}: unknown key(s) {', '.join(prefix + k for k in unknown)}; "
            f"expected one of {', '.join(prefix + k for k in known)}"
        )
    kwargs = {}
    for name, value in values.items():
        nested = _dataclass_of(known[name])
        if nested:
            kwargs[name] = _build(nested, value, source, f"{prefix}{name}.")
        else:
            kwargs[name] = _checked(known[name], value, f"{source}: {prefix}{name}")
    try:
        return cls(**kwargs)
    except ConfigError as error:  # a rule between fields or a choice (the section's __post_init__)
        raise ConfigError(f"{source}: {error}") from None


# Field types as annotated; other annotations (mappings) are checked where they are read.
_KINDS = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,), "list[str]": (list,)}
_NAMES = {"int": "an int", "float": "a float", "bool": "a bool", "str": "a str", "list[str]": "a list of strings",
          "None": "null"}
# Counts that must be at least this much; every other number may be any value of its type.
MINIMUMS = {"epochs": 1, "batch_size": 1, "gradient_accumulation_steps": 1, "reference_batch_size": 1,
            "steps_per_execution": 1, "log_every_steps": 1, "length_group_batches": 1, "keep_checkpoints": 1,
            "max_length": 2, "warmup_requests": 0, "copies": 1, "train_top_layers": 0, "rank": 1,
            "target_rank": 1, "bottleneck": 1, "virtual_tokens": 1, "learning_rate": 0.0, "weight_decay": 0.0,
            "warmup_ratio": 0.0, "validation_fraction": 0.0, "replay_ratio": 0.0, "rate": 0.0, "dropout": 0.0,
            "num_layers": 1, "train_sample": 1, "train_per_class": 1, "folds": 2}


def _checked(f: dataclasses.Field, value: Any, where: str) -> Any:
    """``value`` if it has the field's annotated type (and minimum); else a `ConfigError` naming both."""
    options = [option.strip() for option in str(f.type).split("|")]
    if value is None and "None" in options:
        return value
    if not all(option in _KINDS or option == "None" for option in options):
        return value
    value = _yaml_float(value) if "float" in options else value
    fits = [option for option in options if option in _KINDS and _is_kind(value, option)]
    if not fits:
        raise ConfigError(f"{where}={value!r} is not allowed: expected {' or '.join(_NAMES[o] for o in options)}")
    minimum = MINIMUMS.get(f.name)
    if minimum is not None and fits[0] in ("int", "float") and value < minimum:
        raise ConfigError(f"{where}={value!r} is not allowed: expected at least {minimum}")
    return value


def _is_kind(value: Any, kind: str) -> bool:
    if kind == "list[str]":
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return isinstance(value, _KINDS[kind]) and (kind == "bool" or not isinstance(value, bool))


def _yaml_float(value: Any) -> Any:
    """``value`` as a float where it is a number YAML read as text, else unchanged.

    PyYAML follows YAML 1.1, which reads ``3e-5`` (no dot) as a string, and that is how most people
    write a learning rate.
    """
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return number if math.isfinite(number) else value
    return value


def _dataclass_of(f: dataclasses.Field):
    default = f.default_factory() if f.default_factory is not dataclasses.MISSING else None
    return type(default) if dataclasses.is_dataclass(default) else None


def parse_override(override: str) -> tuple[list[str], Any]:
    """Parses ``a.b=value`` into (["a", "b"], parsed YAML value)."""
    if "=" not in override:
        raise ConfigError(f"override '{override}' must look like section.field=value")
    key, raw = override.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as error:
        raise ConfigError(f"override '{override}': value is not valid YAML ({error})") from None
    return key.strip().split("."), value


def apply_overrides(values: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    for override in overrides or []:
        path, value = parse_override(override)
        node = values
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override '{override}': '{part}' is not a section")
        node[path[-1]] = value
    return values


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> RunConfig:
    """Reads a YAML run description (or the defaults) and applies overrides."""
    values: dict[str, Any] = {}
    source = "<defaults>"
    if path is not None:
        source = str(path)
        if not Path(path).is_file():
            raise ConfigError(f"config file {path} does not exist")
        try:
            values = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise ConfigError(f"{path}: not valid YAML: {error}") from None
    if path is not None:
        _resolve_data_paths(values, Path(path).parent)
    values = apply_overrides(values, overrides or [])
    return config_from_dict(values, source if not overrides else f"{source} + --set")


def _resolve_data_paths(values: dict[str, Any], config_dir: Path) -> None:
    """A relative data path in a config file means the file's folder if it exists there.

    Otherwise it stays relative to the working directory, so recipes can point
    either at files next to them or at paths from the project root.
    """
    data = values.get("data")
    if not isinstance(data, dict):
        return
    for key in ("train", "validation", "test", "replay"):
        value = data.get(key)
        if isinstance(value, str) and ":" not in value and not Path(value).is_absolute():
            beside = config_dir / value
            if beside.exists():
                data[key] = str(beside.resolve())


def save_config(config: RunConfig, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(yaml.safe_dump(config_to_dict(config), sort_keys=False), encoding="utf-8")
