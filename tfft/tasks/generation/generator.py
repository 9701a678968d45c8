"""Generate responses inside the graph: prompt strings in, generated text out.

keras-hub's causal LM runs the decoding loop (`generate_step`, with a key/value
cache and any keras-hub sampler); this class adds the prompt encoding in front
and, behind it, cuts each row's new tokens out (from the end of its prompt up
to the first stop token) and detokenizes them with tf ops. The function is
traced once (fixed input signature) and reused by evaluation, the TensorBoard
samples and the SavedModel's ``serving_default``.

Example:

>>> generator = Generator(model.backbone, encoder, make_sampler({"sampler": "greedy"}))
>>> generator(tf.constant(["Two men are playing chess."]))["generated_text"]
"""

from __future__ import annotations

from typing import Any, Sequence

import keras
import keras_hub
import tensorflow as tf

from tfft.backbones import family_model_class
from tfft.tasks.generation.prompt_encoder import PromptEncoder
from tfft.text.token_ids import text_ids

SAMPLERS = ("greedy", "beam", "top_k", "top_p", "random")


def make_sampler(options: dict[str, Any], seed: int | None = None) -> keras_hub.samplers.Sampler:
    """A keras-hub sampler from ``sampler`` plus ``num_beams`` / ``top_k`` / ``top_p`` / ``temperature``."""
    name = options.get("sampler", "greedy")
    temperature = float(options.get("temperature", 1.0))
    if name == "greedy":
        return keras_hub.samplers.GreedySampler(temperature=temperature)
    if name == "beam":
        return keras_hub.samplers.BeamSampler(num_beams=int(options.get("num_beams", 4)), temperature=temperature)
    if name == "top_k":
        return keras_hub.samplers.TopKSampler(k=int(options.get("top_k", 10)), seed=seed, temperature=temperature)
    if name == "top_p":
        return keras_hub.samplers.TopPSampler(p=float(options.get("top_p", 0.9)), seed=seed, temperature=temperature)
    if name == "random":
        return keras_hub.samplers.RandomSampler(seed=seed, temperature=temperature)
    raise ValueError(f"task_options.sampler must be one of {SAMPLERS}, got '{name}'")


def single_token_ids(tokenizer, texts: Sequence[str]) -> list[int]:
    """The id of each text, which must be exactly one token of the vocabulary."""
    ids = []
    for text in texts:
        pieces = text_ids(tokenizer, text)
        if len(pieces) != 1:
            raise ValueError(f"task_options.stop_tokens: {text!r} is {len(pieces)} tokens {pieces}, "
                             f"not one; use a string that is a single token")
        ids.append(int(pieces[0]))
    return ids


class Generator:
    """``__call__(prompts)`` → ``generated_text`` (string) and ``num_generated_tokens`` (int32).

    Generation ends at the end token, at any of ``stop_tokens`` (strings of one
    token each, not part of the output), or after ``encoder.max_new_tokens``.
    """

    def __init__(self, backbone: keras.Model, encoder: PromptEncoder, sampler: keras_hub.samplers.Sampler,
                 stop_tokens: Sequence[str] = ()):
        self.encoder = encoder
        # A second keras-hub task model on the same backbone shares its weights,
        # so the training model's optimizer and compile settings are untouched.
        self.lm = family_model_class(backbone, "CausalLM", "generation")(backbone)
        self.lm.compile(sampler=sampler)
        self.stop_token_ids = tuple(sorted({encoder.end_id, *single_token_ids(encoder.tokenizer, stop_tokens)}))
        # keras-hub's sampler loop treats a stop token anywhere after a prompt as
        # "finished"; GPT-2's pad id is its end token, so fill with another id.
        self.fill_id = min(set(range(len(self.stop_token_ids) + 1)) - set(self.stop_token_ids))
        self.function = tf.function(self.generate, input_signature=[tf.TensorSpec([None], tf.string)])

    def __call__(self, prompts: tf.Tensor) -> dict[str, tf.Tensor]:
        return self.function(prompts)

    def generate(self, prompts: tf.Tensor) -> dict[str, tf.Tensor]:
        prompt = self.encoder.prompt_ids(prompts)
        prompt_lengths = tf.cast(prompt.row_lengths(), tf.int32)
        width = tf.minimum(tf.reduce_max(prompt_lengths) + self.encoder.max_new_tokens, self.encoder.max_length)
        token_ids = prompt.to_tensor(self.fill_id, shape=tf.stack([tf.shape(prompts)[0], width]))
        padding_mask = tf.sequence_mask(prompt_lengths, width)
        output = self.lm.generate_step({"token_ids": token_ids, "padding_mask": padding_mask},
                                       stop_token_ids=self.stop_token_ids)
        ids = tf.cast(output["token_ids"], tf.int32)
        positions = tf.range(width)[tf.newaxis, :]
        is_stop = tf.reduce_any(ids[..., tf.newaxis] == tf.constant(self.stop_token_ids, tf.int32), axis=-1)
        new = (positions >= prompt_lengths[:, tf.newaxis]) & tf.cast(output["padding_mask"], tf.bool) & ~is_stop
        generated = tf.ragged.boolean_mask(ids, new)
        return {"generated_text": ids_to_text(self.encoder.tokenizer, generated),
                "num_generated_tokens": tf.cast(generated.row_lengths(), tf.int32)}


def ids_to_text(tokenizer, ids: tf.RaggedTensor) -> tf.Tensor:
    """Each row of token ids as one valid UTF-8 string.

    Causal-LM tokenizers are byte-level (GPT-2, Qwen) or SentencePiece: their
    detokenization restores the text's own spaces, so Chinese comes out without
    spaces between characters and Latin words keep theirs (WordPiece, which joins
    every token with a space, is not a generation vocabulary). A row can stop in
    the middle of a multi-byte character; its broken bytes become U+FFFD.

    >>> texts = ids_to_text(tokenizer, tokenizer(tf.constant(["快递三天了, still waiting"])))  # GPT-2's
    >>> [text.decode("utf-8") for text in texts.numpy()]
    ['快递三天了, still waiting']
    """
    return tf.strings.unicode_transcode(tokenizer.detokenize(ids), "UTF-8", "UTF-8", errors="replace")
