"""Read a TensorFlow Datasets split as rows for `tfft.data.readers` (``tfds:<name>[:<split>]``).

Class labels come back as their names, so a TFDS run saves readable labels.
Rows are numbered from 1 in the split's order; errors name that number as the line.

Example:

>>> rows, label_names = tfds_rows("tfds:glue/sst2:validation", DataConfig(text_column="sentence"))
"""

from __future__ import annotations

from typing import Iterator

from tfft.config import DataConfig
from tfft.data.errors import BadRow, DataError
from tfft.data.rows import HeaderRow

OFFLINE_HINT = (
    "TFDS downloads data on first use; offline, prepare it elsewhere with "
    "`tfds build <name>` and point data.tfds_data_dir at that folder, or export "
    "the split to CSV/JSONL and pass the file path"
)


def parse_tfds_spec(spec: str) -> tuple[str, str]:
    body = spec[len("tfds:"):]
    name, _, split = body.partition(":")
    if not name:
        raise DataError(BadRow(spec, None, None, "expected tfds:<name>[:<split>]"))
    return name, split or "train"


def tfds_rows(spec: str, data: DataConfig, with_labels: bool = True) -> tuple[Iterator, list[str] | None]:
    """The split's rows as a row source (see `tfft.data.rows`), and its class names if it has them."""
    import tensorflow_datasets as tfds  # slow to import: only when a tfds: path is read

    name, split = parse_tfds_spec(spec)
    try:
        dataset, info = tfds.load(name, split=split, with_info=True, data_dir=data.tfds_data_dir)
    except Exception as error:  # tfds raises many kinds; keep the first line of its message
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(BadRow(spec, None, None, f"could not load TFDS dataset ({reason})"), OFFLINE_HINT) from None
    label_names = _class_names(info.features, data.label_column) if with_labels else None
    rows = _rows(spec, tfds.as_numpy(dataset), list(info.features.keys()), label_names, data.label_column)
    return rows, label_names


def _class_names(features, label_column: str) -> list[str] | None:
    feature = features[label_column] if label_column in features else None
    return list(feature.names) if hasattr(feature, "names") else None


def _rows(spec, records, header, label_names, label_column) -> Iterator:
    yield 1, HeaderRow(header)
    for number, record in enumerate(records, start=1):
        row = {key: _to_python(value) for key, value in record.items()}
        if label_names is not None and label_column in row:
            index = row[label_column]
            row[label_column] = label_names[index] if 0 <= index < len(label_names) else None
        yield number, row


def _to_python(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="surrogateescape")
    return value.item() if hasattr(value, "item") else value
