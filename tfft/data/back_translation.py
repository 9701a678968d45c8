"""Back-translation: paraphrase training texts through a pivot language and back.

The two translators are handed in as functions from a list of strings to
their translations; `tfft.export.translation.back_translators` makes them from
exported translation models (``data.augment.translate_to`` and
``translate_back``). Decoding is whatever the translators do (greedy for a tfft
generation export), so each text gets one paraphrase; a paraphrase equal to its
original (ignoring case and spacing) is dropped.

Example:

>>> translator = BackTranslator(english_to_german, german_to_english)
>>> translator.paraphrase(["a gripping, funny film"])
['an exciting and funny film']
"""

from __future__ import annotations

import logging
import time
from typing import Callable

Translate = Callable[[list[str]], list[str]]

logger = logging.getLogger(__name__)


class BackTranslator:
    """Source → pivot → source, in batches, with progress in the log."""

    def __init__(self, forward: Translate, backward: Translate, batch_size: int = 32):
        self.forward = forward
        self.backward = backward
        self.batch_size = int(batch_size)

    def paraphrase(self, texts: list[str]) -> list[str]:
        results: list[str] = []
        start = time.perf_counter()
        for first in range(0, len(texts), self.batch_size):
            batch = texts[first:first + self.batch_size]
            results.extend(self.backward(self.forward(batch)))
            logger.info("back-translated %d/%d texts (%.0f s)", len(results), len(texts),
                        time.perf_counter() - start)
        return results


def is_new_text(paraphrase: str, original: str) -> bool:
    """A paraphrase worth training on: not empty and not the original again."""
    normalized = " ".join(paraphrase.lower().split())
    return bool(normalized) and normalized != " ".join(original.lower().split())
