"""Model weight files without optimizer state (Keras 3 adds it to ``save_weights``).

Resume state (optimizer included) lives in `StepBackup`'s folder; every
other weight file tfft writes holds the model alone, a third of the size for AdamW.

Example:

>>> save_model_weights(model, "runs/x/model.weights.h5")
>>> model.fit(ds, callbacks=[EpochCheckpoint("runs/x/checkpoints", keep=2)])
"""

from __future__ import annotations

from pathlib import Path

import keras
from keras.src.saving import saving_lib


def save_model_weights(model: keras.Model, path: str | Path) -> None:
    optimizer = getattr(model, "optimizer", None)
    skip = [optimizer] if optimizer is not None else None
    saving_lib.save_weights_only(model, str(path), objects_to_skip=skip)


class EpochCheckpoint(keras.callbacks.Callback):
    """Writes ``epoch-NN.weights.h5`` after each epoch and keeps the newest ``keep``."""

    def __init__(self, directory: str | Path, keep: int = 2):
        super().__init__()
        self.directory = Path(directory)
        self.keep = max(int(keep), 1)

    def on_epoch_end(self, epoch: int, logs=None):
        self.directory.mkdir(parents=True, exist_ok=True)
        save_model_weights(self.model, self.directory / f"epoch-{epoch + 1:02d}.weights.h5")
        for old in sorted(self.directory.glob("epoch-*.weights.h5"))[:-self.keep]:
            old.unlink()
