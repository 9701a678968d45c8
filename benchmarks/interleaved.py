"""Batch-1 latency of several exports, called in turn on each text, so that a shared machine's drift hits all alike.

Used by `benchmarks/distillation.py` (teacher against student) and
`benchmarks/quantization.py` (float32, int8, bfloat16).

Example:

>>> interleaved_batch1_ms({"float32": Path("saved_models/sst2/1"), "bfloat16": Path("saved_models/sst2/2")}, texts)
{'float32': {'signature': 11.7, 'session': 11.2}, 'bfloat16': {'signature': 9.6, 'session': 9.1}}
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from benchmarks.session_runner import SessionSignature
from tfft.export.loaded import LoadedExport

WARMUP_CALLS = 20


def interleaved_batch1_ms(exports: dict[str, Path], texts: list[str]) -> dict[str, dict[str, float]]:
    """Median batch-1 latency of each export, called in turn on each text, two ways.

    ``signature``: ``serving_default`` from Python (what ``tfft serve`` calls);
    ``session``: one ``Session::Run`` on the SignatureDef's tensors (what TF Serving runs).
    """
    callers = {}
    for name, path in exports.items():
        signature, session = LoadedExport(path).signature, SessionSignature(path)
        callers[name] = {"signature": lambda text, s=signature: s(text=tf.constant([text])),
                         "session": lambda text, s=session: s({"text": [text]})}
    times = {name: {way: [] for way in ways} for name, ways in callers.items()}
    for index, text in enumerate(texts):
        for name, ways in callers.items():
            for way, call in ways.items():
                started = time.perf_counter()
                call(text)
                if index >= WARMUP_CALLS:
                    times[name][way].append((time.perf_counter() - started) * 1000)
    return {name: {way: round(float(np.median(values)), 2) for way, values in ways.items()}
            for name, ways in times.items()}
