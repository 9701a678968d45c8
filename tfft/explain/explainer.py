"""Explain a trained model's label for each text: integrated gradients, words, completeness.

Example:

>>> explainer = TextExplainer.load(Path("runs/sst2"))  # a run folder, or an export made from one
>>> record = explainer.explain("a gorgeous, witty film", steps=50)
>>> record["label"], [(w["word"], round(w["attribution"], 2)) for w in record["words"]]
('1', [('a', 0.01), ('gorgeous', 0.38), (',', 0.0), ('witty', 0.21), ('film', 0.02)])
"""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from tfft.explain.embedding_injection import token_embedding_layer
from tfft.explain.integrated_gradients import COMPLETENESS_TOLERANCE, integrated_gradients
from tfft.explain.word_spans import word_attributions
from tfft.export.loaded import LoadedExport
from tfft.heartbeat import Heartbeat
from tfft.run_folder import RunFolder
from tfft.text.offset_tokenizer import OffsetTokenizer
from tfft.training.trained_model import TrainedModel, load_trained_model

BASELINES = ("pad", "mask")
DEFAULT_STEPS = 50


def run_folder_of(path: Path) -> Path:
    """``path`` if it is a run folder, else the run an export at ``path`` was made from."""
    if RunFolder(path).weights.is_file():
        return path
    try:
        run_dir = LoadedExport.read_metadata(path).get("run_dir")
    except FileNotFoundError:
        run_dir = None
    if not run_dir or not RunFolder(Path(run_dir)).weights.is_file():
        raise FileNotFoundError(f"{path} is neither a finished run folder nor an export whose run folder "
                                f"({run_dir or 'not recorded'}) is still there; explanations need the trained "
                                f"Keras model, so point at the run folder")
    return Path(run_dir)


class TextExplainer:
    """Integrated gradients of a trained model's label scores, per word of each text."""

    def __init__(self, trained: TrainedModel):
        if trained.task.serving_inputs != ["text"]:
            raise ValueError(f"tfft explain takes single texts; this {trained.task.name} model takes "
                             f"{trained.task.serving_inputs}")
        self.trained = trained
        self.embedding = token_embedding_layer(trained.backbone)
        self.tokenizer = OffsetTokenizer.from_keras_hub(trained.encoder.tokenizer)
        self._special = {trained.encoder.start_id, trained.encoder.end_id, trained.encoder.pad_id}

    @classmethod
    def load(cls, path: Path) -> "TextExplainer":
        return cls(load_trained_model(run_folder_of(Path(path))))

    def baseline_id(self, baseline: str) -> int:
        if baseline not in BASELINES:
            raise ValueError(f"--baseline must be one of {', '.join(BASELINES)}, got '{baseline}'")
        if baseline == "pad":
            return self.trained.encoder.pad_id
        return int(self.trained.encoder.tokenizer.token_to_id("[MASK]"))

    def scores(self, model_outputs: tf.Tensor) -> tf.Tensor:
        return self.trained.task.label_scores(model_outputs)[0]

    def explain(self, text: str, steps: int = DEFAULT_STEPS, baseline: str = "pad", label: str | None = None) -> dict:
        """One JSON-ready record: the label, its probability, word and piece attributions, completeness."""
        inputs = self.trained.encoder.serving_inputs(tf.constant([text]))
        probabilities, names = self.trained.task.label_scores(self.trained.model(inputs, training=False))
        if label is not None and label not in names:
            raise ValueError(f"--label '{label}' is not a label of this model ({', '.join(names)})")
        predicted = int(tf.argmax(probabilities[0]))
        target = names.index(label) if label is not None else predicted
        explanation = integrated_gradients(self.trained.model, self.embedding, inputs, self.scores, steps,
                                           self.baseline_id(baseline), self._special, target)
        words, pieces = word_attributions(self.tokenizer, text, explanation)
        error = explanation.completeness_error
        return {"text": text, "label": names[predicted], "probability": float(probabilities[0, predicted]),
                "explained_label": names[target], "explained_label_id": target, "score": explanation.score,
                "baseline_score": explanation.baseline_score,
                "attribution_sum": float(explanation.attributions.sum()), "completeness_error": error,
                "completeness_holds": error <= COMPLETENESS_TOLERANCE, "steps": steps, "baseline": baseline,
                "words": words, "pieces": pieces}

    def explain_all(self, texts: list[str], steps: int = DEFAULT_STEPS, baseline: str = "pad",
                    label: str | None = None) -> list[dict]:
        beat = Heartbeat("explaining", len(texts), "texts")
        records = []
        for done, text in enumerate(texts, 1):
            records.append(self.explain(text, steps, baseline, label))
            beat.tick(done)
        return records
