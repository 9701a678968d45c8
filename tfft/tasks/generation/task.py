"""Causal-LM fine-tuning for generation: summarization, translation, dialogue.

Each example is a prompt and its response; the model sees
``[start] template(prompt) response [end]`` and the loss is on the response
alone (`tfft.tasks.generation.prompt_encoder`). Decoding runs inside the graph
(`tfft.tasks.generation.generator`): greedy, beam, top-k, top-p or random sampling, with a
temperature, ``max_new_tokens`` and stop tokens, compiled once and reused by
evaluation, TensorBoard samples and the SavedModel.

Served: ``prompt`` (tf.string ``[None]``) → ``generated_text`` and
``num_generated_tokens``. Reported: ROUGE-1/2/L, sacreBLEU and exact match on
the generated text; token accuracy and perplexity of the references in the
epoch logs. Early stopping watches ``val_loss``.

Options (``task_options``): ``prompt_template`` (default ``"{prompt}"``),
``max_new_tokens`` (64), ``truncate`` (``end`` cuts long prompts at the end,
``start`` drops their beginning, ``turns`` drops their oldest whole lines:
dialogue history), ``sampler``
(``greedy``, ``beam``, ``top_k``, ``top_p``, ``random``), ``num_beams``,
``top_k``, ``top_p``, ``temperature``, ``stop_tokens`` (strings that are one
token each, e.g. ``["\\n"]``), ``parallel`` (``[source_suffix,
target_suffix]`` for parallel text files), ``messages`` (true: JSONL chat
messages, see `tfft.tasks.generation.generation_examples`), ``samples`` (prompts shown in
TensorBoard each epoch, default 3), ``seed`` (for the random samplers).

Example:

>>> task = GenerationTask({"prompt_template": "English: {prompt}\\nGerman:", "parallel": ["en", "de"]},
...                       DataConfig(train="../shared/data/multi30k/train"))
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfft.backbones import family_model_class
from tfft.config import ModelConfig, TrainingConfig
from tfft.heartbeat import Heartbeat
from tfft.tasks.generation.generation_examples import GenerationExamples, read_generation_examples
from tfft.data.pipeline import ENCODE_CHUNK, IGNORE_TARGET, EncodedSplit
from tfft.tasks.generation.generation_metrics import generation_scores
from tfft.evaluation.masked_accuracy import MaskedAccuracy
from tfft.tasks.generation.masked_perplexity import MaskedPerplexity
from tfft.evaluation.report import Report
from tfft.text.strings import as_text
from tfft.tasks.base import Task
from tfft.tasks.generation.generator import Generator, make_sampler
from tfft.tasks.generation.prompt_encoder import PLACEHOLDER, PromptEncoder
from tfft.tasks.generation.sample_generations import SampleGenerations

PREDICT_BATCH = 32
REPORT_SAMPLES = 5


class GenerationTask(Task):
    """Generates a response to each prompt with a GPT-style causal LM."""

    name = "generation"
    backbone_kind = "causal_lm"
    monitor = "val_loss"
    quality_metric = "rougeL"
    option_names = frozenset({"prompt_template", "max_new_tokens", "truncate", "sampler", "num_beams",
                              "top_k", "top_p", "temperature", "stop_tokens", "parallel", "messages", "samples",
                              "seed"})

    def __init__(self, options: dict[str, Any] | None, data):
        super().__init__(options, data)
        self.template = self.options.get("prompt_template", PLACEHOLDER)
        self.max_new_tokens = int(self.options.get("max_new_tokens", 64))
        self.parallel = self.options.get("parallel")
        if self.parallel is not None and len(self.parallel) != 2:
            raise ValueError(f"task_options.parallel must be [source_suffix, target_suffix], got {self.parallel}")
        make_sampler(self.options)  # fail at start, not after training, on a bad sampler

    @property
    def serving_inputs(self) -> list[str]:
        return ["prompt"]

    # --- data -------------------------------------------------------------
    def read(self, path: str, with_labels: bool = True) -> GenerationExamples:
        return read_generation_examples(path, self.data, self.parallel, with_labels,
                                        bool(self.options.get("messages", False)))

    def fit(self, train: GenerationExamples) -> None:
        """Nothing to learn from the data: the vocabulary is the backbone's."""

    def make_encoder(self, tokenizer, max_length: int) -> PromptEncoder:
        return PromptEncoder(tokenizer, max_length, self.template, self.max_new_tokens,
                             self.options.get("truncate", "end"))

    def encode(self, encoder: PromptEncoder, examples: GenerationExamples,
               training: TrainingConfig | None = None, with_weights: bool = False) -> EncodedSplit:
        ids, targets = [], []
        for start in range(0, len(examples), ENCODE_CHUNK):
            prompts = tf.constant(examples.prompts[start:start + ENCODE_CHUNK])
            if examples.responses is None:
                ids.append(encoder.prompt_ids(prompts))
                continue
            row_ids, row_targets = encoder.training_rows(
                prompts, tf.constant(examples.responses[start:start + ENCODE_CHUNK]))
            ids.append(row_ids)
            targets.append(row_targets)
        targets = tf.concat(targets, axis=0) if targets else None
        return EncodedSplit(tf.concat(ids, axis=0), None, targets, None, encoder.pad_id, examples)

    # --- model ------------------------------------------------------------
    def build_model(self, backbone: keras.Model, model_config: ModelConfig, encoder) -> keras.Model:
        """keras-hub's causal LM for the backbone's family (GPT-2, GPT-NeoX, ...); dropout is the backbone's."""
        return family_model_class(backbone, "CausalLM", self.name)(backbone)

    def loss(self, training: TrainingConfig) -> keras.losses.Loss:
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=IGNORE_TARGET)

    def metrics(self) -> list[keras.metrics.Metric]:
        return [MaskedAccuracy(name="token_accuracy"), MaskedPerplexity(name="perplexity")]

    def callbacks(self, validation: EncodedSplit, evaluate, log_dir: Path, encoder=None) -> list:
        prompts = validation.examples.prompts[:int(self.options.get("samples", 3))]
        if not prompts or encoder is None:
            return []
        return [SampleGenerations(lambda model: self.generator(model, encoder), prompts, log_dir)]

    # --- generation, evaluation and serving -------------------------------
    def generator(self, model: keras.Model, encoder: PromptEncoder) -> Generator:
        return Generator(model.backbone, encoder, make_sampler(self.options, self.options.get("seed")),
                         self.options.get("stop_tokens", ()))

    def serving_function(self, model: keras.Model, encoder: PromptEncoder):
        generator = self.generator(model, encoder)

        def serve_prompt(prompt):
            return generator.generate(prompt)

        return serve_prompt

    def serving_examples(self, examples: GenerationExamples, count: int) -> dict[str, list[str]]:
        return {"prompt": list(examples.prompts[:count])} if count > 0 else {}

    def predict(self, model: keras.Model, encoder: PromptEncoder, split: EncodedSplit) -> list[str]:
        prompts = split.examples.prompts
        generator = self.generator(model, encoder)
        order = np.argsort([len(p) for p in prompts], kind="stable")  # similar lengths share a batch
        texts = [""] * len(prompts)
        beat = Heartbeat("generating", len(prompts), "prompts")
        for start in range(0, len(order), PREDICT_BATCH):
            rows = order[start:start + PREDICT_BATCH]
            outputs = generator(tf.constant([prompts[i] for i in rows]))
            for row, text in zip(rows, self.predictions_from_outputs({k: v.numpy() for k, v in outputs.items()})):
                texts[row] = text
            beat.tick(start + len(rows))
        return texts

    def predictions_from_outputs(self, outputs: dict[str, np.ndarray]) -> list[str]:
        return [as_text(text) for text in outputs["generated_text"]]

    def report(self, examples: GenerationExamples, predictions: list[str]) -> Report:
        references = [response.strip() for response in examples.responses]
        scores = generation_scores([p.strip() for p in predictions], references)
        metrics = {"examples": len(examples), **scores}
        lines = [f"{len(examples)} examples: ROUGE-1 {scores['rouge1']:.2f}, ROUGE-2 {scores['rouge2']:.2f}, "
                 f"ROUGE-L {scores['rougeL']:.2f}, BLEU {scores['bleu']:.2f}, exact {scores['exact_match']:.2f}", ""]
        for prompt, prediction, reference in list(zip(examples.prompts, predictions, references))[:REPORT_SAMPLES]:
            lines += [f"prompt:    {prompt}", f"generated: {prediction}", f"reference: {reference}", ""]
        return Report(metrics, "\n".join(lines))
