"""One SavedModel, one shared backbone, one signature per task adapter.

Each adapter checkpoint (`tfft.peft.checkpoint`) brings its task head and its
PEFT modules; the frozen backbone is stored once. Signature ``<adapter name>``
serves that task (``serving_default`` the first one), each traced with its own
adapter active, so TF Serving picks the task by ``signature_name``.
Checkpoints that changed backbone weights (BitFit, ``peft.train_also``) cannot
share a backbone and are refused.

Example:

>>> export_adapters([Path("runs/sst2-lora/adapter"), Path("runs/intents-lora/adapter")],
...                 Path("saved_models/multi-task"))
PosixPath('saved_models/multi-task/1')
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from safetensors import safe_open

from tfft.backbones import encoder_length, load_backbone
from tfft.export.saved_model import METADATA_FILE, Endpoint, build_endpoints_archive
from tfft.export.versions import next_version, staging_folder
from tfft.peft import using_adapter
from tfft.peft.checkpoint import WEIGHTS_FILE, adapter_run_config, attach_checkpoint
from tfft.tasks import make_task
from tfft.training.precision import float32_policy


def signature_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _check_shareable(directories: list[Path]) -> str:
    configs = [adapter_run_config(d) for d in directories]
    backbones = {c.model.backbone for c in configs}
    if len(backbones) != 1:
        raise ValueError(f"adapters share one backbone only if trained on the same one; got {sorted(backbones)}")
    names = [signature_name(c.name) for c in configs]
    if len(set(names)) != len(names):
        raise ValueError(f"adapter names must differ (they name the signatures); got {names}")
    for directory in directories:
        with safe_open(str(Path(directory) / WEIGHTS_FILE), "np") as tensors:
            changed = [key for key in tensors.keys() if key.startswith("backbone/")]
        if changed:
            raise ValueError(f"{directory} changed backbone weights ({changed[0]}, ...: BitFit or "
                             f"peft.train_also), so it cannot share a backbone with other adapters")
    return backbones.pop()


def build_endpoints(directories: list[Path], backbone_spec: str | None = None) -> list[Endpoint]:
    """The task endpoints of every adapter, on one freshly loaded backbone."""
    directories = [Path(d) for d in directories]
    spec = backbone_spec or _check_shareable(directories)
    endpoints = []
    with float32_policy():
        loaded = load_backbone(spec)
        for directory in directories:
            config = adapter_run_config(directory)
            task = make_task(config.task, config.task_options, config.data)
            task.load(directory)
            name = signature_name(config.name)
            encoder = task.make_encoder(loaded.tokenizer, encoder_length(loaded.backbone, config.model.max_length))
            model = attach_checkpoint(directory, loaded.backbone,
                                      lambda: task.build_model(loaded.backbone, config.model, encoder), name)
            endpoints.append(Endpoint(name, model, encoder, task,
                                      lambda n=name: using_adapter(loaded.backbone, n)))
    return endpoints


def export_adapters(directories: list[Path], model_root: Path, version: int | None = None) -> Path:
    """Writes ``model_root/<version>/`` with ``serving_default`` plus one signature per adapter."""
    endpoints = build_endpoints(directories)
    default = endpoints[0]
    endpoints = [Endpoint("serving_default", default.model, default.encoder, default.task, default.context),
                 *endpoints]
    model_root = Path(model_root)
    version = version or next_version(model_root)
    with staging_folder(model_root, version) as staging:
        build_endpoints_archive(endpoints).write_out(str(staging), verbose=False)
        extra = staging / "assets.extra"
        extra.mkdir(parents=True, exist_ok=True)
        signatures = {}
        for endpoint in endpoints[1:]:
            (extra / endpoint.name).mkdir()
            endpoint.task.save(extra / endpoint.name)
            signatures[endpoint.name] = {"task": endpoint.task.name,
                                         "serving_inputs": endpoint.task.serving_inputs}
        info = {"task": default.task.name, "serving_inputs": default.task.serving_inputs,
                "version": version, "signatures": signatures, "default_signature": default.name,
                "adapters": [str(d) for d in directories]}
        (extra / METADATA_FILE).write_text(json.dumps(info, indent=2), encoding="utf-8")
        default.task.save(extra)
    return model_root / str(version)
