"""Exported translation models as the translators back-translation is handed.

A translation model is a SavedModel that maps one string input to a string
output, as `tfft train` exports a ``generation`` run (``prompt`` →
``generated_text``, e.g. configs/multi30k_en_de.yaml and its reverse), or any
other export with one string input and one string output.

Example:

>>> to_german, to_english = back_translators(config.data.augment)
>>> to_german(["a gripping, funny film"])
['ein packender, lustiger Film']
"""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from tfft.config import AugmentConfig
from tfft.export.loaded import LoadedExport

TEXT_OUTPUTS = ("generated_text", "text", "translation", "outputs")


def back_translators(augment: AugmentConfig) -> tuple[TranslationModel, TranslationModel] | None:
    """(into the pivot language, back) when ``augment`` asks for back-translation, else None."""
    if augment.method != "back_translation":
        return None
    return TranslationModel(augment.translate_to), TranslationModel(augment.translate_back)


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

    def __call__(self, texts: list[str]) -> list[str]:
        outputs = self.export(**{self.input_name: tf.constant(texts)})[self.output_name].numpy()
        return [value.decode("utf-8").strip() for value in outputs.reshape(-1)]
