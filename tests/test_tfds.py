"""The TFDS path, offline, with tfds.testing.mock_data."""

import pytest

tfds = pytest.importorskip("tensorflow_datasets")

from tfft.config import DataConfig  # noqa: E402
from tfft.data.errors import DataError  # noqa: E402
from tfft.data.readers import read_examples  # noqa: E402


def test_reads_glue_sst2_split_with_class_names():
    data = DataConfig(text_column="sentence", label_column="label", skip_bad_rows=True)
    with tfds.testing.mock_data(num_examples=12):
        examples = read_examples("tfds:glue/sst2:train", data)
    assert len(examples) + len(examples.skipped.skipped) == 12
    assert examples.label_names == ["negative", "positive"]
    assert set(examples.labels) <= {"negative", "positive"}
    assert examples.lines[0] >= 1


def test_unknown_feature_is_named():
    data = DataConfig(text_column="text", label_column="label")
    with tfds.testing.mock_data(num_examples=3):
        with pytest.raises(DataError, match=r"tfds:glue/sst2:train, line 1, column 'text'.*sentence"):
            read_examples("tfds:glue/sst2:train", data)


def test_unknown_dataset_gives_offline_hint():
    with pytest.raises(DataError, match="could not load TFDS dataset.*tfds build"):
        read_examples("tfds:no_such_dataset_xyz", DataConfig())
