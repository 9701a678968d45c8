#!/usr/bin/env python
"""One prepared GPU check: MiniLM-L6 classifier throughput, mixed precision, XLA, batching.

The lent GPU machine has no TensorFlow (and no internet to fetch it), so the
check runs tfft's model, the keras-hub ``BertBackbone`` with tfft's
classification head, under Keras 3's JAX backend (XLA-compiled), beside the
Hugging Face + PyTorch peer on the same GPU, on the same length-grouped SST-2
batches. The weights are randomly initialised at MiniLM-L6's shape: speed does
not depend on their values.

Measured, each as rows/s and real (non-pad) tokens/s:

- training at batch 32 and 256: float32 vs bfloat16 mixed precision; Keras with
  XLA (``jit_compile=True``) vs without, and the torch peer in float32 and bf16
  autocast;
- inference rows/s at batch 1 and batch 32: the ceiling on what server-side
  request batching can give on this hardware.

Two steps, because tokenization needs tfft (TensorFlow) and the GPU machine has none:

    python benchmarks/gpu_check.py prepare --train ../shared/data/sst2/train.tsv --ids .gpu/sst2_ids.npz
    KERAS_BACKEND=jax python benchmarks/gpu_check.py measure --ids .gpu/sst2_ids.npz --output $OUT/gpu_check.json

On the lent machine Keras, keras-hub, namex and optree travel as wheels (see
the README's GPU section); everything else is already there. Progress goes to
stderr line by line: keep it so (no block-buffered filter such as plain
``grep`` in between), or a timed-out run returns nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.record import make_record  # noqa: E402

MINILM_L6 = dict(vocabulary_size=30522, num_layers=6, num_heads=12, hidden_dim=384,
                 intermediate_dim=1536, max_sequence_length=512)
PAD_MULTIPLE = 16  # few distinct shapes, so XLA compiles each once
WARMUP_STEPS = 10


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- prepare (here, with tfft) ---------------------------------------------
def prepare(train: Path, ids: Path, rows: int, max_length: int) -> None:
    """Tokenizes the first ``rows`` SST-2 rows with tfft's encoder into ``ids`` (npz)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import pandas as pd

    from tfft.backbones import load_backbone
    from tfft.text.segment_encoder import SegmentEncoder

    frame = pd.read_csv(train, sep="\t", quoting=3, nrows=rows)
    encoder = SegmentEncoder(load_backbone("minilm-l6", max_length).tokenizer, max_length)
    token_ids, _ = encoder.encode(frame["sentence"].astype(str).tolist())
    lengths = token_ids.row_lengths().numpy().astype("int32")
    flat = token_ids.flat_values.numpy().astype("int32")
    ids.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(ids, flat=flat, lengths=lengths, labels=frame["label"].to_numpy("int32"))
    log(f"wrote {ids}: {len(lengths)} rows, mean {lengths.mean():.1f} tokens, max {lengths.max()}")


# --- batches ----------------------------------------------------------------
def load_rows(ids: Path) -> tuple[list[np.ndarray], np.ndarray]:
    data = np.load(ids)
    bounds = np.concatenate([[0], np.cumsum(data["lengths"])])
    rows = [data["flat"][bounds[i]:bounds[i + 1]] for i in range(len(data["lengths"]))]
    return rows, data["labels"]


def grouped_batches(rows, labels, batch_size: int, seed: int = 42) -> list[dict]:
    """Length-grouped, shuffled batches padded to a multiple of PAD_MULTIPLE."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(rows))
    chunk = batch_size * 50
    batches = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start:start + chunk], key=lambda i: len(rows[i]))
        batches += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return [_pad(rows, labels, index) for index in batches if len(index) == batch_size]


def _pad(rows, labels, index) -> dict:
    width = -(-max(len(rows[i]) for i in index) // PAD_MULTIPLE) * PAD_MULTIPLE
    token_ids = np.zeros((len(index), width), dtype="int32")
    for out, i in enumerate(index):
        token_ids[out, :len(rows[i])] = rows[i]
    return {"token_ids": token_ids, "padding_mask": token_ids != 0,
            "segment_ids": np.zeros_like(token_ids), "labels": labels[index],
            "real_tokens": int(sum(len(rows[i]) for i in index))}


def rates(batches: list[dict], seconds: float) -> dict:
    rows = sum(len(b["labels"]) for b in batches)
    return {"rows_per_s": round(rows / seconds, 1),
            "real_tokens_per_s": round(sum(b["real_tokens"] for b in batches) / seconds, 1)}


# --- Keras (JAX backend): tfft's model ---------------------------------------
def keras_classifier(precision: str):
    import keras
    import keras_hub

    keras.mixed_precision.set_global_policy(precision)
    backbone = keras_hub.models.BertBackbone(**MINILM_L6)
    # tfft's classification head (tfft/tasks/classification.py): pooled [CLS] → dropout → float32 logits
    logits = keras.layers.Dense(2, dtype="float32", name="logits")(
        keras.layers.Dropout(0.1)(backbone(backbone.input)["pooled_output"]))
    return keras.Model(backbone.input, logits)


def keras_training(batches, precision: str, jit: bool, steps: int) -> dict:
    """Keras fit's own step: ``stateless_call`` + ``optimizer.stateless_apply``, jitted whole."""
    import jax
    import keras

    model = keras_classifier(precision)
    optimizer = keras.optimizers.AdamW(5e-5, weight_decay=0.01)
    optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def loss_and_state(trainable, non_trainable, x, y):
        logits, non_trainable = model.stateless_call(trainable, non_trainable, x, training=True)
        return loss_fn(y, logits), non_trainable

    gradients = jax.value_and_grad(loss_and_state, has_aux=True)

    def step(state, x, y):
        trainable, non_trainable, optimizer_state = state
        (loss, non_trainable), grads = gradients(trainable, non_trainable, x, y)
        trainable, optimizer_state = optimizer.stateless_apply(optimizer_state, grads, trainable)
        return loss, (trainable, non_trainable, optimizer_state)

    step = jax.jit(step, donate_argnums=0) if jit else step
    state = ([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables],
             [v.value for v in optimizer.variables])
    for batch in one_per_width(batches) + batches[:WARMUP_STEPS]:  # compiles every shape before timing
        loss, state = step(state, features(batch), batch["labels"])
    timed = batches[WARMUP_STEPS:WARMUP_STEPS + steps]
    jax.block_until_ready(loss)
    started = time.perf_counter()
    for batch in timed:
        loss, state = step(state, features(batch), batch["labels"])
    jax.block_until_ready(loss)
    return {**rates(timed, time.perf_counter() - started), "steps": len(timed), "final_loss": float(loss)}


def features(batch: dict) -> dict:
    return {k: batch[k] for k in ("token_ids", "padding_mask", "segment_ids")}


def one_per_width(batches: list[dict]) -> list[dict]:
    widths = {}
    for batch in batches:
        widths.setdefault(batch["token_ids"].shape[1], batch)
    return list(widths.values())


def keras_inference(rows, labels, precision: str, batch_size: int, calls: int) -> dict:
    import jax

    model = keras_classifier(precision)
    state = [v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables]

    @jax.jit
    def forward(trainable, non_trainable, x):
        return model.stateless_call(trainable, non_trainable, x, training=False)[0]

    batches = grouped_batches(rows, labels, batch_size)[:calls]
    for batch in one_per_width(batches) + batches[:WARMUP_STEPS]:  # one compile per padded width
        forward(*state, features(batch)).block_until_ready()
    return _latency(batches, lambda b: forward(*state, features(b)).block_until_ready())


def _latency(batches, call) -> dict:
    times = []
    for batch in batches:
        started = time.perf_counter()
        call(batch)
        times.append(time.perf_counter() - started)
    return {**rates(batches, sum(times)), "p50_ms": round(1000 * float(np.median(times)), 3),
            "p99_ms": round(1000 * float(np.percentile(times, 99)), 3), "calls": len(batches)}


# --- Hugging Face + PyTorch peer ----------------------------------------------
def torch_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def synchronize() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def torch_classifier(device: str):
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig(vocab_size=MINILM_L6["vocabulary_size"], hidden_size=MINILM_L6["hidden_dim"],
                        num_hidden_layers=MINILM_L6["num_layers"], num_attention_heads=MINILM_L6["num_heads"],
                        intermediate_size=MINILM_L6["intermediate_dim"], num_labels=2)
    return BertForSequenceClassification(config).to(device)


def torch_batch(batch: dict, device: str) -> dict:
    import torch

    return {"input_ids": torch.from_numpy(batch["token_ids"]).long().to(device),
            "attention_mask": torch.from_numpy(batch["padding_mask"].astype("int64")).to(device),
            "labels": torch.from_numpy(batch["labels"]).long().to(device)}


def torch_training(batches, bf16: bool, steps: int) -> dict:
    import torch

    device = torch_device()
    model = torch_classifier(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.01, fused=device == "cuda")
    inputs = [torch_batch(b, device) for b in batches[:WARMUP_STEPS + steps]]

    def step(batch):
        with torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
            loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss

    for batch in [torch_batch(b, device) for b in one_per_width(batches)] + inputs[:WARMUP_STEPS]:
        step(batch)
    synchronize()
    started = time.perf_counter()
    for batch in inputs[WARMUP_STEPS:]:
        loss = step(batch)
    synchronize()
    timed = batches[WARMUP_STEPS:WARMUP_STEPS + steps]
    return {**rates(timed, time.perf_counter() - started), "steps": len(timed), "final_loss": loss.item()}


def torch_inference(rows, labels, bf16: bool, batch_size: int, calls: int) -> dict:
    import torch

    device = torch_device()
    model = torch_classifier(device).eval()
    batches = grouped_batches(rows, labels, batch_size)[:calls]

    def call(batch):
        with torch.inference_mode(), torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
            encoded = torch_batch(batch, device)
            model(input_ids=encoded["input_ids"], attention_mask=encoded["attention_mask"]).logits.float().cpu()

    for batch in one_per_width(batches) + batches[:WARMUP_STEPS]:
        call(batch)
    return _latency(batches, call)


# --- measure ----------------------------------------------------------------
SECTIONS = ("keras-train", "keras-infer", "torch")


def measure(ids: Path, output: Path, steps: int, calls: int, sections=SECTIONS) -> dict:
    import jax
    import keras

    rows, labels = load_rows(ids)
    repeated_rows, repeated_labels = rows * 8, np.tile(labels, 8)  # enough batches of 256
    results: dict = {"device": str(jax.devices()[0]), "platform": platform.platform(),
                     "keras": keras.__version__, "jax": jax.__version__, "rows": len(rows),
                     "mean_real_tokens": float(np.mean([len(r) for r in rows]))}
    training = [("keras_xla", "float32", 32), ("keras_xla", "float32", 256), ("keras_xla", "mixed_bfloat16", 32),
                ("keras_xla", "mixed_bfloat16", 256), ("keras_eager", "float32", 32)]
    for name, precision, batch_size in training if "keras-train" in sections else []:
        batches = grouped_batches(repeated_rows, repeated_labels, batch_size)
        count = 10 if name == "keras_eager" else steps
        key = f"train/{name}/{precision}/b{batch_size}"
        log(f"{key} ...")
        results[key] = keras_training(batches, precision, name == "keras_xla", count)
        log(f"  {results[key]}")
    for precision in ("float32", "mixed_bfloat16") if "keras-infer" in sections else ():
        for batch_size in (1, 32):
            key = f"infer/keras_xla/{precision}/b{batch_size}"
            results[key] = keras_inference(rows, labels, precision, batch_size, calls)
            log(f"{key}: {results[key]}")
    keras.mixed_precision.set_global_policy("float32")
    try:
        if "torch" not in sections:
            raise ImportError("not asked for")
        import torch  # noqa: F401

        results["torch"] = torch.__version__
        for bf16 in (False, True):
            tag = "bf16_autocast" if bf16 else "float32"
            for batch_size in (32, 256):
                key = f"train/hf_torch/{tag}/b{batch_size}"
                results[key] = torch_training(grouped_batches(repeated_rows, repeated_labels, batch_size),
                                              bf16, steps)
                log(f"{key}: {results[key]}")
            for batch_size in (1, 32):
                key = f"infer/hf_torch/{tag}/b{batch_size}"
                results[key] = torch_inference(rows, labels, bf16, batch_size, calls)
                log(f"{key}: {results[key]}")
    except ImportError as error:
        results["torch"] = f"not measured: {error}"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(make_record("gpu_check", results), indent=2))
    print_table(results)
    return results


def print_table(results: dict) -> None:
    def rows_per_s(key):
        return results.get(key, {}).get("rows_per_s", float("nan"))

    print(f"device: {results['device']}  keras {results['keras']}  jax {results['jax']}  torch {results.get('torch')}")
    print(f"{'measurement':48s} {'rows/s':>10s} {'real tok/s':>12s} {'p50 ms':>8s}")
    for key, value in results.items():
        if isinstance(value, dict):
            print(f"{key:48s} {value['rows_per_s']:10.1f} {value['real_tokens_per_s']:12.1f} "
                  f"{value.get('p50_ms', float('nan')):8.3f}")
    for precision, torch_tag in (("float32", "float32"), ("mixed_bfloat16", "bf16_autocast")):
        for batch_size in (32, 256):
            ours = rows_per_s(f"train/keras_xla/{precision}/b{batch_size}")
            peer = rows_per_s(f"train/hf_torch/{torch_tag}/b{batch_size}")
            print(f"train {precision} b{batch_size}: tfft (Keras/JAX/XLA) ÷ HF torch = {ours / peer:.2f}×")
        batching = rows_per_s(f"infer/keras_xla/{precision}/b32") / rows_per_s(f"infer/keras_xla/{precision}/b1")
        print(f"inference {precision}: batch-32 rows/s ÷ batch-1 rows/s = {batching:.1f}× (batching ceiling)")
    print(f"XLA vs eager (float32, b32): "
          f"{rows_per_s('train/keras_xla/float32/b32') / rows_per_s('train/keras_eager/float32/b32'):.1f}×")
    print(f"bf16 vs float32 (XLA, b32): "
          f"{rows_per_s('train/keras_xla/mixed_bfloat16/b32') / rows_per_s('train/keras_xla/float32/b32'):.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prep = commands.add_parser("prepare", help="tokenize SST-2 rows here (needs tfft)")
    prep.add_argument("--train", required=True, type=Path)
    prep.add_argument("--ids", required=True, type=Path)
    prep.add_argument("--rows", type=int, default=4096)
    prep.add_argument("--max-length", type=int, default=128)
    run = commands.add_parser("measure", help="measure on the GPU machine (Keras JAX backend)")
    run.add_argument("--ids", required=True, type=Path)
    run.add_argument("--output", required=True, type=Path)
    run.add_argument("--steps", type=int, default=100, help="timed training steps per setting")
    run.add_argument("--calls", type=int, default=200, help="timed inference calls per setting")
    run.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated, of {SECTIONS}")
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.train, args.ids, args.rows, args.max_length)
    else:
        if os.environ.get("KERAS_BACKEND") != "jax":
            parser.error("set KERAS_BACKEND=jax for measure")
        measure(args.ids, args.output, args.steps, args.calls, args.sections.split(","))


if __name__ == "__main__":
    main()
