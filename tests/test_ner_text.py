"""In-graph text machinery of the token tasks: offsets, windows, entity decoding."""

import numpy as np
import pytest
import tensorflow as tf

from tfft.backbones import load_backbone
from tfft.text.char_offsets import to_char_offsets
from tfft.tasks.token_classification.entity_decoding import BioTags, decode_entities
from tfft.text.offset_tokenizer import OffsetTokenizer
from tfft.text.windows import TokenWindows


@pytest.fixture(scope="module")
def tokenizer():
    return OffsetTokenizer.from_keras_hub(load_backbone("scratch:tiny").tokenizer)


def test_offsets_point_into_the_original_text(tokenizer):
    texts = ["Müller's café, in São Paulo!", "playing   football"]
    tokens = tokenizer.tokenize(tf.constant(texts))
    first = texts[0].encode("utf-8")
    pieces = [first[s:e].decode("utf-8") for s, e in zip(tokens.starts[0].numpy(), tokens.ends[0].numpy())]
    assert pieces[:4] == ["Müller", "'", "s", "café"]
    assert "São" in pieces and "Paulo" in pieces
    second = [tokenizer.vocabulary[i] for i in tokens.ids[1].numpy()]
    initial = tokens.word_initial[1].numpy().tolist()
    assert [p for p, w in zip(second, initial) if not w] == [p for p in second if p.startswith("##")]
    assert initial[0] is True


def test_char_offsets_count_characters_not_bytes():
    texts = tf.constant(["café au lait", "", "ab"])
    chars = to_char_offsets(texts, tf.ragged.constant([[0, 6, 8, 13], [0], [1, 2]]))
    assert chars.to_list() == [[0, 5, 7, 12], [0], [1, 2]]


@pytest.mark.parametrize("lengths", [[0, 1, 4], [7, 2, 12], [30]])
def test_windows_cover_every_token_and_merge_back(lengths):
    windows = TokenWindows(size=4, stride=2)
    values = tf.ragged.constant([list(range(100 * i, 100 * i + n)) for i, n in enumerate(lengths)],
                                dtype=tf.int32, ragged_rank=1)
    layout = windows.split(values.row_lengths())
    pieces = windows.gather(values, layout)
    assert max(pieces.row_lengths().numpy()) <= 4
    assert layout.example.numpy().tolist() == np.repeat(range(len(lengths)),
                                                        windows.counts(tf.constant(lengths)).numpy()).tolist()
    padded = tf.pad(pieces.to_tensor(-9), [[0, 0], [1, 1]], constant_values=-1)  # [CLS] .. [SEP]
    assert windows.merge(padded, values.row_lengths()).to_list() == values.to_list()
    window, position = windows.owner(values.row_lengths())
    # Each token is read from a window where it has context on both sides when one exists.
    if lengths == [30]:
        inner = position.flat_values.numpy()[2:-2]
        assert inner.min() >= 1 and inner.max() <= 2


def test_entities_decode_from_tag_probabilities(tokenizer):
    tags = BioTags(["LOC", "PER"])  # O B-LOC I-LOC B-PER I-PER
    text = "Ada Lovelace met Zoë in New York"
    tokens = tokenizer.tokenize(tf.constant([text]))
    words = [text.encode()[s:e].decode() for s, e in zip(tokens.starts[0].numpy(), tokens.ends[0].numpy())]
    by_word = {"Ada": "B-PER", "Zoë": "I-PER", "New": "B-LOC", "York": "I-LOC"}
    chosen = [tags.names.index(by_word.get(w, "I-PER" if w.startswith("Love") else "O")) for w in words]
    probabilities = tf.RaggedTensor.from_row_lengths(
        tf.one_hot(chosen, len(tags)) * 0.9 + 0.02, tokens.ids.row_lengths())
    outputs = {k: v.numpy() for k, v in decode_entities(tf.constant([text]), tokens, probabilities, tags).items()}
    count = outputs["num_entities"][0]
    found = [(outputs["entity_types"][0, i].decode(), outputs["entity_texts"][0, i].decode(),
              text[outputs["entity_starts"][0, i]:outputs["entity_ends"][0, i]]) for i in range(count)]
    # "Zoë" is a stray I-PER after O: it starts an entity of its own.
    assert found == [("PER", "Ada Lovelace", "Ada Lovelace"), ("PER", "Zoë", "Zoë"),
                     ("LOC", "New York", "New York")]
