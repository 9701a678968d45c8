"""Explain a trained model's prediction for each example: integrated gradients, words, completeness.

The task says what to attribute (`tfft.tasks.base.Task.explanation_setup`):
a classifier's label probability, each entity a NER model finds, the relation
between marked entities, a QA answer's start and end. A record holds the example, the prediction, and per
explained score its word attributions and completeness check (flat for a
classifier; a list under ``entities`` for NER, ``answer_boundaries`` for QA).

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
from tfft.tasks.explanation import ExplanationSetup, ExplanationTarget, check_part_ids
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
    """Integrated gradients of what a trained model predicts, per word of each example."""

    def __init__(self, trained: TrainedModel):
        self.trained = trained
        self.embedding = token_embedding_layer(trained.backbone)

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
        """A classifier's per-label probabilities (what the benchmarks' other methods rank by)."""
        return self.trained.task.label_scores(model_outputs)[0]

    def explain(self, text: str | dict[str, str], steps: int = DEFAULT_STEPS, baseline: str = "pad",
                label: str | None = None) -> dict:
        """One JSON-ready record: the example, the prediction, and each explained score's words and check."""
        inputs = {"text": text} if isinstance(text, str) else dict(text)
        setup = self.trained.task.explanation_setup(self.trained.model, self.trained.encoder, inputs, label)
        token_ids = setup.inputs["token_ids"][0].numpy()
        for part in setup.parts:
            check_part_ids(part, token_ids)
        baseline_id = self.baseline_id(baseline)
        explained = [self._attribute(setup, target, steps, baseline_id) for target in setup.targets]
        record = {**inputs, "input_names": list(inputs), **setup.summary}
        if setup.targets_key is None:
            record.update(explained[0])
        else:
            record[setup.targets_key] = explained
        return {**record, "steps": steps, "baseline": baseline}

    def _attribute(self, setup: ExplanationSetup, target: ExplanationTarget, steps: int, baseline_id: int) -> dict:
        explanation = integrated_gradients(self.trained.model, self.embedding, setup.inputs,
                                           lambda outputs: target.score(outputs)[:, None], steps, baseline_id,
                                           setup.keep_ids, target=0)
        words, pieces = word_attributions(setup.parts, explanation.attributions)
        error = explanation.completeness_error
        return {**target.info, "score": explanation.score, "baseline_score": explanation.baseline_score,
                "attribution_sum": float(explanation.attributions.sum()), "completeness_error": error,
                "completeness_holds": error <= COMPLETENESS_TOLERANCE, "words": words, "pieces": pieces}

    def explain_all(self, texts: list[str | dict[str, str]], steps: int = DEFAULT_STEPS, baseline: str = "pad",
                    label: str | None = None) -> list[dict]:
        beat = Heartbeat("explaining", len(texts), "texts")
        records = []
        for done, text in enumerate(texts, 1):
            records.append(self.explain(text, steps, baseline, label))
            beat.tick(done)
        return records
