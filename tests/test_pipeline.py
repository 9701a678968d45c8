import numpy as np
import tensorflow as tf

from tfft.backbones import load_backbone
from tfft.data.pipeline import (
    count_batches,
    encode_split,
    inference_dataset,
    restore_order,
    training_dataset,
)
from tfft.data.readers import TextExamples
from tfft.text.segment_encoder import SegmentEncoder
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


def test_serving_inputs_are_the_padded_encoding_in_fewer_ops():
    from tfft.tasks.prompt_classification.template_encoder import TemplateEncoder

    tokenizer = load_backbone("scratch:tiny").tokenizer
    texts = tf.constant(["a b c d e f g h i j k l m n", "", "x y", "the film"])
    for enc in (encoder(max_length=8), encoder(max_length=64), TemplateEncoder(tokenizer, 12, "Review: {text} It was [MASK].")):
        expected = enc.model_inputs(*enc.encode(texts))
        served = enc.serving_inputs(texts)
        for name, value in expected.items():
            assert np.array_equal(served[name].numpy(), value.numpy()), (type(enc).__name__, enc.max_length, name)
    assert served["token_ids"].shape == (4, 12) and served["padding_mask"].numpy()[1].sum() < 12  # cut, and padded
    pairs = encoder(max_length=12)
    paired = pairs.serving_inputs(tf.constant(["a b c d e f g h"]), tf.constant(["x y"]))
    assert paired["segment_ids"].numpy().tolist() == [[0] * 9 + [1] * 3]


def test_training_batches_are_length_grouped_padded_per_batch_int32_and_seeded():
    split = encode_split(encoder(), make_examples(200), targets=np.arange(200, dtype="int32"))
    batches = list(training_dataset(split, batch_size=8, seed=1, group_batches=5))
    assert len(batches) == count_batches(200, 8) == 25
    seen, padded, real = [], 0, 0
    for features, targets in batches:
        mask = features["padding_mask"].numpy()
        assert features["token_ids"].dtype == tf.int32 and features["padding_mask"].dtype == tf.int32
        assert features["segment_ids"].dtype == tf.int32
        lengths = mask.sum(axis=1)
        assert mask.shape[1] == lengths.max()  # padded to the longest row, not to max_length
        assert (features["token_ids"].numpy()[mask == 0] == split.pad_id).all()
        padded, real = padded + mask.size, real + mask.sum()
        seen.extend(targets.numpy().tolist())
    assert sorted(seen) == list(range(200))  # every row exactly once
    random_padded = sum(f["padding_mask"].numpy().size for f, _ in training_dataset(split, 8, seed=1, group_batches=1))
    assert (padded - real) < 0.4 * (random_padded - real)  # grouping removes most padding
    order = lambda ds: [t.numpy().tolist() for _, t in ds]  # noqa: E731
    assert order(training_dataset(split, 8, seed=1, group_batches=5)) == order(batches)
    assert order(training_dataset(split, 8, seed=2, group_batches=5)) != order(batches)
    two_epochs = order(training_dataset(split, 8, seed=1, group_batches=5, epochs=2))
    first, second = two_epochs[:25], two_epochs[25:]
    assert first == order(batches) and first != second  # a new order every epoch
    assert sorted(sum(second, [])) == list(range(200))
    resumed = order(training_dataset(split, 8, seed=1, group_batches=5, epochs=2, first_epoch=1, skip_batches=3))
    assert resumed == second[3:]  # a resumed run sees what the uninterrupted run would have


def test_padding_to_a_multiple_gives_few_shapes():
    split = encode_split(encoder(), make_examples(200), targets=np.arange(200, dtype="int32"))
    widths = {f["token_ids"].shape[1] for f, _ in training_dataset(split, 8, seed=1, pad_to_multiple_of=8)}
    longest = int(split.lengths.max())
    assert all(w % 8 == 0 or w == longest for w in widths) and max(widths) <= longest


def test_batch_counts_match_a_fresh_copy_of_the_pipeline():
    split = encode_split(encoder(), make_examples(), targets=np.zeros(60, "int32"))
    counts = batch_counts(training_dataset(split, 8, seed=5))
    assert counts[:, 0].sum() == 60 and counts[:, 1].sum() == split.lengths.sum()
    assert (batch_counts(training_dataset(split, 8, seed=5)) == counts).all()


def test_inference_order_is_restored():
    split = encode_split(encoder(), make_examples(pairs=True), targets=np.arange(60, dtype="int32"))
    dataset, order = inference_dataset(split, batch_size=16)
    targets = np.concatenate([t.numpy() for _, t in dataset])
    assert (restore_order(targets, order) == np.arange(60)).all()


def test_sample_weights_travel_with_rows():
    weights = np.linspace(0.5, 2.0, 60).astype("float32")
    split = encode_split(encoder(), make_examples(), np.arange(60, dtype="int32"), weights)
    for _, targets, batch_weights in training_dataset(split, 8, seed=0):
        assert batch_weights.dtype == tf.float32
        assert np.allclose(batch_weights.numpy(), weights[targets.numpy()])
