"""Export a finished run folder as a new SavedModel version (float32, bfloat16 or int8).

The model is read back from the run folder, so the export carries no
optimizer or distribution state and proves the run folder is complete.

Example:

>>> export_run(Path("runs/sst2"), Path("saved_models/sst2"), quantization="int8")
PosixPath('saved_models/sst2/2')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from tfft.config import config_to_dict
from tfft.export.quantize import prepare_for_export
from tfft.export.saved_model import ExtraSignature, export_saved_model
from tfft.run_folder import RunFolder
from tfft.training.trained_model import TrainedModel, load_trained_model


def export_run(
    run_dir: Path,
    model_root: Path,
    version: int | None = None,
    quantization: str | None = None,
    metadata: dict[str, Any] | None = None,
    extra_signatures: Callable[[TrainedModel], list[ExtraSignature]] | None = None,
) -> Path:
    """Writes ``model_root/<version>`` from ``run_dir``'s weights; returns its path.

    ``extra_signatures`` builds signatures beside ``serving_default`` from the
    loaded float32 model (`tfft.explain.explain_signature.explain_signatures`).
    """
    if extra_signatures and quantization == "int8":
        raise ValueError("int8 quantization rewrites the weights the extra signatures (export.explain) "
                         "differentiate; export them in float32 or bfloat16")
    trained = load_trained_model(Path(run_dir), for_export=True)
    extra = extra_signatures(trained) if extra_signatures else []
    kernel_dtype = prepare_for_export(trained.backbone, quantization)
    info = {"config": config_to_dict(trained.config), "run_dir": str(run_dir), "quantization": quantization,
            **(metadata or {})}
    return export_saved_model(trained.model, trained.encoder, trained.task, Path(model_root), version,
                              metadata=info, warmup_inputs=RunFolder(Path(run_dir)).read_warmup_inputs(),
                              kernel_dtype=kernel_dtype, extra_signatures=extra)
