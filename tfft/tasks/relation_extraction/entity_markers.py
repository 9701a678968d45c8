"""Tokenize entity-marked text, keeping each marker as one vocabulary token.

``<e1>``, ``</e1>``, ``<e2>``, ``</e2>`` must reach the model as single tokens
of their own, not as ``<``, ``e``, ``##1``, ``>``. The markers take four of the
vocabulary's reserved ``[unused*]`` slots (BERT vocabularies ship them for
exactly this), so the embedding table keeps its size and the pretrained rows
stay where they are; fine-tuning learns the marker embeddings. Splitting on
markers and tokenizing the pieces runs as tensorflow-text ops, inside the
serving graph too.

Example:

>>> encoder = EntityMarkerEncoder(loaded.tokenizer, max_length=128)
>>> token_ids, segment_ids = encoder.encode(tf.constant(["<e1>wine</e1> in a <e2>bottle</e2>"]))
"""

from __future__ import annotations

import re

import numpy as np
import tensorflow as tf
import tensorflow_text as tf_text

from tfft.tasks.classification.label_explanation import offset_tokenizer
from tfft.tasks.explanation import ExplainedPart, wordpiece_part
from tfft.tasks.relation_extraction.semeval import MARKERS
from tfft.text.segment_encoder import SegmentEncoder

MARKER_PATTERN = "|".join(re.escape(m) for m in MARKERS)


def marker_token_ids(tokenizer) -> list[int]:
    """Ids of the reserved vocabulary slots that carry the four markers."""
    vocabulary = tokenizer.get_vocabulary()
    unused = [i for i, token in enumerate(vocabulary) if re.fullmatch(r"\[unused\d+\]", token)]
    if len(unused) < len(MARKERS):
        raise ValueError(f"the backbone's vocabulary has {len(unused)} [unused*] tokens; entity "
                         f"markers need {len(MARKERS)} (use a BERT-style WordPiece backbone)")
    return unused[:len(MARKERS)]


class EntityMarkerEncoder(SegmentEncoder):
    """A `SegmentEncoder` whose texts may contain ``<e1>``/``<e2>`` markers."""

    def __init__(self, tokenizer, max_length: int):
        super().__init__(tokenizer, max_length)
        self.marker_ids = marker_token_ids(tokenizer)
        self._markers = tf.constant(list(MARKERS))
        self._marker_id_table = tf.constant(self.marker_ids, dtype=tf.int32)

    def tokenize(self, texts: tf.Tensor) -> tf.RaggedTensor:
        pieces = tf_text.regex_split(texts, MARKER_PATTERN, keep_delim_regex_pattern=MARKER_PATTERN)
        flat = pieces.flat_values
        matches = tf.equal(tf.expand_dims(flat, 1), tf.expand_dims(self._markers, 0))
        is_marker = tf.reduce_any(matches, axis=1)
        words = tf.cast(self.token_ids(tf.where(is_marker, "", flat)), tf.int32)
        marker_ids = tf.RaggedTensor.from_row_lengths(
            tf.boolean_mask(tf.gather(self._marker_id_table, tf.argmax(tf.cast(matches, tf.int32), axis=1)),
                            is_marker),
            tf.cast(is_marker, tf.int64))
        per_piece = tf.concat([words, marker_ids], axis=1)  # a piece is words or one marker
        return pieces.with_flat_values(per_piece).merge_dims(1, 2)


def marked_text_part(encoder: EntityMarkerEncoder, text: str, room: int) -> tuple[list[ExplainedPart], set[int]]:
    """(the text's pieces as the model reads them, markers as pieces of their own; the marker ids).

    For `tfft explain`: each ``<e1>``…``</e2>`` is one piece spanning the marker's
    characters, and the attribution baseline keeps it, so the attributions fall
    on the words.
    """
    ids, tokens, starts, ends, initial = [], [], [], [], []
    position = 0
    for segment in re.split(f"({MARKER_PATTERN})", text):
        if segment in MARKERS:
            ids.append(encoder.marker_ids[MARKERS.index(segment)])
            tokens.append(segment)
            starts.append(position)
            ends.append(position + len(segment))
            initial.append(True)
        elif segment:
            piece = wordpiece_part(offset_tokenizer(encoder), "text", segment, 0, len(segment))
            ids += piece.ids.tolist()
            tokens += piece.tokens
            starts += (piece.starts + position).tolist()
            ends += (piece.ends + position).tolist()
            initial += piece.word_initial.tolist()
        position += len(segment)
    count = min(len(ids), room)
    part = ExplainedPart("text", text, np.arange(1, 1 + count), np.asarray(ids[:count]), tokens[:count],
                         np.asarray(starts[:count]), np.asarray(ends[:count]), np.asarray(initial[:count], bool))
    return [part], set(encoder.marker_ids)
