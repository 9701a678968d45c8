"""Back-translation: paraphrase training texts through a pivot language and back.

The two translation models are SavedModels that map one string input to a
string output, as `tfft train` exports a ``generation`` run (``prompt`` →
``generated_text``, e.g. configs/multi30k_en_de.yaml and its reverse), or any
other export with one string input and one string output. Decoding is whatever
the export does (greedy for tfft's default), so each text gets one paraphrase;
a paraphrase equal to its original (ignoring case and spacing) is dropped.

Example:

>>> translator = BackTranslator("saved_models/en-de", "saved_models/de-en")
>>> translator.paraphrase(["a gripping, funny film"])
['an exciting and funny film']
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import tensorflow as tf

from tfft.export.loaded import LoadedExport

TEXT_OUTPUTS = ("generated_text", "text", "translation", "outputs")


class TranslationModel:
    """One exported translation model called on batches of strings."""

    def __init__(self, path: str | Path):
        try:
            self.export = LoadedExport(path)
        except OSError as error:  # FileNotFoundError included
            raise ValueError(f"data.augment: translation model {path}: {error}") from None
        if len(self.export.input_names) != 1:
            raise ValueError(f"data.augment: translation model {self.export.path} must take one string input; "
                             f"it takes {self.export.input_names}")
        self.input_name = self.export.input_names[0]
        self.output_name = self._text_output()

    def _text_output(self) -> str:
        outputs = self.export.signature.structured_outputs
        strings = [name for name, spec in outputs.items() if spec.dtype == tf.string]
        named = [name for name in TEXT_OUTPUTS if name in strings]
        if named or len(strings) == 1:
            return (named or strings)[0]
        raise ValueError(f"data.augment: translation model {self.export.path} has no single text output; "
                         f"its string outputs are {sorted(strings)}")

    def translate(self, texts: list[str]) -> list[str]:
        outputs = self.export(**{self.input_name: tf.constant(texts)})[self.output_name].numpy()
        return [value.decode("utf-8").strip() for value in outputs.reshape(-1)]


class BackTranslator:
    """Source → pivot → source, in batches, with progress on stderr."""

    def __init__(self, forward: str | Path, backward: str | Path, batch_size: int = 32):
        self.forward = TranslationModel(forward)
        self.backward = TranslationModel(backward)
        self.batch_size = int(batch_size)

    def paraphrase(self, texts: list[str]) -> list[str]:
        results: list[str] = []
        start = time.perf_counter()
        for first in range(0, len(texts), self.batch_size):
            batch = texts[first:first + self.batch_size]
            results.extend(self.backward.translate(self.forward.translate(batch)))
            print(f"\rback-translated {len(results)}/{len(texts)} texts "
                  f"({time.perf_counter() - start:.0f} s)", end="", file=sys.stderr, flush=True)
        if texts:
            print(file=sys.stderr)
        return results


def is_new_text(paraphrase: str, original: str) -> bool:
    """A paraphrase worth training on: not empty and not the original again."""
    normalized = " ".join(paraphrase.lower().split())
    return bool(normalized) and normalized != " ".join(original.lower().split())
