"""Token attributions mapped back to the words and character offsets of the original text(s).

A word is what BERT's pre-tokenizer splits out (a run of letters or digits,
one punctuation mark, one CJK character; an entity marker is one too); its
attribution is the sum of its word pieces'. Offsets are characters of the
original string, so ``text[start:end]`` is the word as the user wrote it.
Examples with several texts (a question and a context) name each word's
``part``.

Example:

>>> words, pieces = word_attributions(setup.parts, explanation.attributions)
>>> words[0]
{'word': 'Great', 'start': 0, 'end': 5, 'attribution': 0.41}
"""

from __future__ import annotations

import numpy as np

from tfft.tasks.explanation import ExplainedPart


def word_attributions(parts: list[ExplainedPart], attributions: np.ndarray) -> tuple[list[dict], list[dict]]:
    """(words, word pieces) of every part, with their attributions (``attributions`` over the model's input)."""
    named = len(parts) > 1 or parts[0].name != "text"
    words: list[dict] = []
    pieces: list[dict] = []
    for part in parts:
        where = {"part": part.name} if named else {}
        part_words: list[dict] = []
        for k, position in enumerate(part.positions):
            piece = {**where, "token": part.tokens[k], "start": int(part.starts[k]), "end": int(part.ends[k]),
                     "attribution": float(attributions[position])}
            pieces.append(piece)
            if part.word_initial[k] or not part_words:
                part_words.append({**where, "word": "", "start": piece["start"], "end": piece["end"],
                                   "attribution": 0.0})
            part_words[-1]["end"] = piece["end"]
            part_words[-1]["attribution"] += piece["attribution"]
        for word in part_words:
            word["word"] = part.text[word["start"]:word["end"]]
        words += part_words
    return words, pieces
