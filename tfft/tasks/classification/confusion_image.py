"""Confusion matrices as figures: a PNG for the run folder, an image for TensorBoard.

Example:

>>> figure = plot_confusion_matrix(matrix, ["negative", "positive"])
>>> figure.savefig("confusion_matrix.png")
"""

from __future__ import annotations

import io
from pathlib import Path

import keras
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from sklearn.metrics import confusion_matrix  # noqa: E402

from tfft.evaluation.local_predict import predict_locally  # noqa: E402
from tfft.summaries import recording  # noqa: E402


def plot_confusion_matrix(matrix: np.ndarray, names: list[str]):
    """A labelled heat map of counts (rows: true label, columns: predicted)."""
    size = max(4.0, 0.55 * len(names) + 2.0)
    figure, axes = plt.subplots(figsize=(size, size))
    axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(names)), names, rotation=45, ha="right")
    axes.set_yticks(range(len(names)), names)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    limit = matrix.max() / 2.0 if matrix.size else 0
    for (row, column), count in np.ndenumerate(matrix):
        axes.text(column, row, str(count), ha="center", va="center",
                  color="white" if count > limit else "black", fontsize=8)
    figure.tight_layout()
    plt.close(figure)
    return figure


def figure_to_image(figure) -> tf.Tensor:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return tf.expand_dims(tf.image.decode_png(buffer.getvalue(), channels=4), 0)


class ConfusionMatrixImage(keras.callbacks.Callback):
    """Logs the validation confusion matrix to TensorBoard (Images tab) each epoch.

    Args:
        dataset: validation batches, in the order of ``true_ids``.
        true_ids: integer class of each validation row.
        names: class names.
        log_dir: the run's TensorBoard folder; images go to ``<log_dir>/validation``.

    Example:

    >>> model.fit(train_ds, callbacks=[ConfusionMatrixImage(val_ds, val_ids, names, "logs")])
    """

    def __init__(self, dataset, true_ids: np.ndarray, names: list[str], log_dir: str | Path):
        super().__init__()
        self.dataset = dataset
        self.true_ids = np.asarray(true_ids)
        self.names = names
        self.writer = tf.summary.create_file_writer(str(Path(log_dir) / "validation"))

    def on_epoch_end(self, epoch: int, logs=None):
        predicted = predict_locally(self.model, self.dataset).argmax(-1)
        matrix = confusion_matrix(self.true_ids, predicted, labels=list(range(len(self.names))))
        with recording(self.writer):
            tf.summary.image("confusion_matrix", figure_to_image(plot_confusion_matrix(matrix, self.names)),
                             step=epoch + 1)
        self.writer.flush()
