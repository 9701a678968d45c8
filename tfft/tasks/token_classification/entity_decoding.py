"""BIO tags per token → entity spans with character offsets, as TF ops.

Runs inside the NER serving graph, so TF Serving returns entities, not tags.
Only word-initial tokens carry a tag (continuation pieces extend the word).
An entity starts at a ``B-`` word, or at an ``I-`` word that does not
continue an entity of the same type (the lenient reading that conlleval and
Hugging Face's pipelines use); it ends where the next word does not continue it.

Outputs are padded ``[batch, max entities]`` tensors so TF Serving's JSON can
carry them; ``num_entities`` says how many of each row are real.

Example:

>>> tags = BioTags(["LOC", "PER"])
>>> outputs = decode_entities(texts, tokens, token_probabilities, tags)
>>> outputs["entity_types"], outputs["entity_starts"], outputs["num_entities"]
"""

from __future__ import annotations

import tensorflow as tf

from tfft.text.char_offsets import to_char_offsets
from tfft.text.offset_tokenizer import Tokens

OUTSIDE = "O"


class BioTags:
    """The tag set ``O, B-T1, I-T1, B-T2, I-T2, ...`` for entity types ``T1, T2, ...``."""

    def __init__(self, types: list[str]):
        self.types = list(types)
        self.names = [OUTSIDE] + [f"{p}-{t}" for t in self.types for p in ("B", "I")]

    def __len__(self) -> int:
        return len(self.names)

    def begin(self, type_index: int) -> int:
        return 1 + 2 * type_index

    def inside(self, type_index: int) -> int:
        return 2 + 2 * type_index


def decode_entities(texts: tf.Tensor, tokens: Tokens, probabilities: tf.RaggedTensor,
                    tags: BioTags) -> dict[str, tf.Tensor]:
    """Entities of each text from per-token tag ``probabilities`` (ragged ``[batch, (n), tags]``)."""
    word_initial = tokens.word_initial.flat_values
    token_word = tf.cumsum(tf.cast(word_initial, tf.int32)) - 1
    n_words = tf.reduce_sum(tf.cast(word_initial, tf.int32))
    word_end = tf.math.unsorted_segment_max(tokens.ends.flat_values, token_word, n_words)
    word_start = tf.boolean_mask(tokens.starts.flat_values, word_initial)
    word_row = tf.boolean_mask(tf.cast(tokens.ids.value_rowids(), tf.int32), word_initial)
    word_probabilities = tf.boolean_mask(tf.cast(probabilities.flat_values, tf.float32), word_initial)
    tag = tf.argmax(word_probabilities, axis=-1, output_type=tf.int32)
    score = tf.reduce_max(word_probabilities, axis=-1)

    inside = tag > 0
    is_begin = inside & ((tag - 1) % 2 == 0)
    entity_type = (tag - 1) // 2
    continues = tf.concat([[False], (word_row[1:] == word_row[:-1]) & inside[:-1]
                           & (entity_type[1:] == entity_type[:-1])], axis=0)
    starts_entity = inside & (is_begin | ~continues)
    entity_of_word = tf.boolean_mask(tf.cumsum(tf.cast(starts_entity, tf.int32)) - 1, inside)
    n_entities = tf.reduce_sum(tf.cast(starts_entity, tf.int32))

    def per_entity(reduce, values):
        return reduce(tf.boolean_mask(values, inside), entity_of_word, n_entities)

    start = per_entity(tf.math.unsorted_segment_min, word_start)
    end = per_entity(tf.math.unsorted_segment_max, word_end)
    row = per_entity(tf.math.unsorted_segment_min, word_row)
    kind = per_entity(tf.math.unsorted_segment_max, entity_type)
    mean_score = per_entity(tf.math.unsorted_segment_mean, score)

    rows = tf.shape(texts, out_type=tf.int64)[0]
    ragged = lambda values: tf.RaggedTensor.from_value_rowids(  # noqa: E731
        values, tf.cast(row, tf.int64), nrows=rows)
    surface = tf.strings.substr(tf.gather(texts, row), start, end - start)
    return {
        "entity_types": ragged(tf.gather(tf.constant(tags.types + [""]), kind)).to_tensor(""),
        "entity_texts": ragged(surface).to_tensor(""),
        "entity_starts": to_char_offsets(texts, ragged(start)).to_tensor(-1),
        "entity_ends": to_char_offsets(texts, ragged(end)).to_tensor(-1),
        "entity_scores": ragged(mean_score).to_tensor(0.0),
        "num_entities": tf.cast(ragged(start).row_lengths(), tf.int32),
    }
