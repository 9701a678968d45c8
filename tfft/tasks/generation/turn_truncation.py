"""Keep the newest whole lines (dialogue turns) of each prompt that fit a token budget.

Each line is tokenized on its own (with the newline in front of every line
but the first, so the ids equal those of the whole text for byte-level BPE,
where a newline is a token of its own), the lines are counted from the end,
and the oldest lines that do not fit are dropped whole. A newest line longer
than the budget keeps its last ``room`` tokens. All ragged tf ops, so it runs
in the serving graph.

Example:

>>> last_whole_lines(tokenizer, tf.constant(["user: hi\\nassistant: hello\\nuser: bye"]), room=8)
"""

from __future__ import annotations

import tensorflow as tf


def last_whole_lines(tokenizer, prompts: tf.Tensor, room: int) -> tf.RaggedTensor:
    """Ragged int32 ids ``[batch, (tokens)]`` of the newest lines of each prompt within ``room`` tokens."""
    lines = tf.strings.split(prompts, "\n")
    first = tf.equal(tf.ragged.range(lines.row_lengths()).flat_values, 0)
    texts = tf.where(first, lines.flat_values, tf.strings.join(["\n", lines.flat_values]))
    tokens = tf.cast(tokenizer(texts), tf.int32)  # [lines, (tokens)]
    lengths = tf.cast(tokens.row_lengths(), tf.int32)
    row = tf.cast(lines.value_rowids(), tf.int32)
    # Tokens from each line to the end of its prompt: the row total minus what comes before it.
    totals = tf.math.unsorted_segment_sum(lengths, row, tf.shape(prompts)[0])
    before = tf.cumsum(lengths, exclusive=True) - tf.gather(tf.cumsum(totals, exclusive=True), row)
    from_here = tf.gather(totals, row) - before
    last = tf.concat([tf.not_equal(row[1:], row[:-1]), tf.ones([tf.minimum(tf.size(row), 1)], tf.bool)], 0)
    keep = (from_here <= room) | last

    def by_prompt(values):
        return tf.RaggedTensor.from_value_rowids(values, lines.value_rowids(), lines.nrows())

    kept = tf.ragged.boolean_mask(by_prompt(tokens), by_prompt(keep))
    return kept.merge_dims(1, 2)[:, -room:]
