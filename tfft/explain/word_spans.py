"""Token attributions mapped back to the words and character offsets of the original text.

A word is what BERT's pre-tokenizer splits out (a run of letters or digits,
one punctuation mark, one CJK character); its attribution is the sum of its
word pieces'. Offsets are characters of the original string, so
``text[start:end]`` is the word as the user wrote it.

Example:

>>> words, pieces = word_attributions(OffsetTokenizer.from_keras_hub(tokenizer), "Great phone!", explanation)
>>> words[0]
{'word': 'Great', 'start': 0, 'end': 5, 'attribution': 0.41}
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfft.explain.integrated_gradients import Explanation
from tfft.text.char_offsets import to_char_offsets
from tfft.text.offset_tokenizer import OffsetTokenizer


def word_attributions(tokenizer: OffsetTokenizer, text: str, explanation: Explanation
                      ) -> tuple[list[dict], list[dict]]:
    """(words, word pieces) of ``text`` with their attributions; pieces cut off by ``max_length`` are left out.

    ``explanation`` is of a single text laid out as [CLS] pieces [SEP].
    """
    strings = tf.constant([text])
    tokens = tokenizer.tokenize(strings)
    ids = tokens.ids[0].numpy()
    body = explanation.token_ids[1:-1]
    if len(body) > len(ids) or not np.array_equal(ids[:len(body)], body):
        raise ValueError("the word pieces of the text differ from the model's input ids; explanations need "
                         "the run's own BERT WordPiece tokenizer")
    starts = to_char_offsets(strings, tokens.starts)[0].numpy()
    ends = to_char_offsets(strings, tokens.ends)[0].numpy()
    initial = tokens.word_initial[0].numpy()
    pieces = [{"token": tokenizer.vocabulary[ids[i]], "start": int(starts[i]), "end": int(ends[i]),
               "attribution": float(explanation.attributions[i + 1])} for i in range(len(body))]
    words: list[dict] = []
    for i, piece in enumerate(pieces):
        if initial[i] or not words:
            words.append({"word": "", "start": piece["start"], "end": piece["end"], "attribution": 0.0})
        words[-1]["end"] = piece["end"]
        words[-1]["attribution"] += piece["attribution"]
    for word in words:
        word["word"] = text[word["start"]:word["end"]]
    return words, pieces
