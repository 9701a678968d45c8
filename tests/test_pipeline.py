import numpy as np
import tensorflow as tf

from tfft.backbones import load_backbone
from tfft.config import DataConfig
from tfft.data.pipeline import (
    count_batches,
    encode_split,
    inference_dataset,
    restore_order,
    training_dataset,
)
from tfft.data.readers import TextExamples
from tfft.encoding import SegmentEncoder
from tfft.training.throughput import batch_counts


def make_examples(n=60, pairs=False):
    texts = [" ".join(["word"] * (1 + (i * 7) % 23)) for i in range(n)]
    return TextExamples("mem", texts, list(reversed(texts)) if pairs else None, None, list(range(n)))


def encoder(max_length=32):
    return SegmentEncoder(load_backbone("scratch:tiny").tokenizer, max_length)


def test_encode_adds_special_tokens_and_truncates_pairs_round_robin():
    enc = encoder(max_length=12)
    token_ids, segment_ids = enc.encode(tf.constant(["a b c d e f g h"]), tf.constant(["x y"]))
    ids = token_ids.to_list()[0]
    assert len(ids) == 12
    assert ids[0] == enc.start_id and ids.count(enc.end_id) == 2 and ids[-1] == enc.end_id
    # round robin keeps the whole short second segment
    assert segment_ids.to_list()[0] == [0] * 9 + [1] * 3


def test_training_batches_are_bucketed_padded_per_batch_int32_and_seeded():
    split = encode_split(encoder(), make_examples(), targets=np.arange(60, dtype="int32"))
    boundaries = [6, 12, 20]
    dataset = training_dataset(split, batch_size=8, seed=1, boundaries=boundaries)
    batches = list(dataset)
    assert len(batches) == count_batches(split.lengths, boundaries, 8)
    seen = []
    for features, targets in batches:
        mask = features["padding_mask"].numpy()
        assert features["token_ids"].dtype == tf.int32 and features["padding_mask"].dtype == tf.int32
        lengths = mask.sum(axis=1)
        assert mask.shape[1] == lengths.max()  # padded to the longest row, not to max_length
        # one bucket per batch
        assert len(set(np.digitize(lengths, boundaries))) == 1
        # padding positions hold the pad id
        assert (features["token_ids"].numpy()[mask == 0] == split.pad_id).all()
        seen.extend(targets.numpy().tolist())
    assert sorted(seen) == list(range(60))
    again = [t.numpy().tolist() for _, t in training_dataset(split, 8, seed=1, boundaries=boundaries)]
    assert again == [t.numpy().tolist() for _, t in batches]
    other = [t.numpy().tolist() for _, t in training_dataset(split, 8, seed=2, boundaries=boundaries)]
    assert other != again


def test_batch_counts_match_a_fresh_copy_of_the_pipeline():
    split = encode_split(encoder(), make_examples(), targets=np.zeros(60, "int32"))
    counts = batch_counts(training_dataset(split, 8, seed=5, boundaries=[8, 16]))
    assert counts[:, 0].sum() == 60 and counts[:, 1].sum() == split.lengths.sum()
    assert (batch_counts(training_dataset(split, 8, seed=5, boundaries=[8, 16])) == counts).all()


def test_inference_order_is_restored():
    split = encode_split(encoder(), make_examples(pairs=True), targets=np.arange(60, dtype="int32"))
    dataset, order = inference_dataset(split, batch_size=16)
    targets = np.concatenate([t.numpy() for _, t in dataset])
    assert (restore_order(targets, order) == np.arange(60)).all()


def test_sample_weights_travel_with_rows():
    weights = np.linspace(0.5, 2.0, 60).astype("float32")
    split = encode_split(encoder(), make_examples(), np.arange(60, dtype="int32"), weights)
    for _, targets, batch_weights in training_dataset(split, 8, seed=0):
        assert np.allclose(batch_weights.numpy(), weights[targets.numpy()])
