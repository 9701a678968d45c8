#!/usr/bin/env python
"""Question → paragraph retrieval on SQuAD: fine-tuned embedder, untuned MiniLM-L6, BM25, hybrid; index latency.

The corpus is every paragraph of the 11 SQuAD v1.1 articles in
``../shared/data/squad_v1``. The embedder is fine-tuned (``task: embedding``,
in-batch negatives) on the (question, paragraph) pairs of the first 9
articles, less every 10th question, which is held back as validation (early
stopping, and the hybrid dense weight). The test queries are the questions
of the last 2 articles, each to find its own paragraph among all of them.

Rows, one run: bm25s (Lucene BM25, its English stop words), tfft's in-graph
BM25 (a hybrid index with dense weight 0), the untuned MiniLM-L6 index, the
fine-tuned index stored as float32, bfloat16 and int8, and the fine-tuned
hybrid index. Then batch-1 and batch-32 latency of indexes of 10k and 100k
rows (the corpus's fine-tuned embeddings tiled and jittered: latency depends
on the size, not the texts) against the plain embedding call on the same
queries, each called in turn per query.

    python benchmarks/retrieval.py --squad ../shared/data/squad_v1/train-v1.1.first11articles.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow as tf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import benchmarks.startup  # noqa: E402,F401  (quiet TensorFlow start, tfft progress lines)

from benchmarks.record import write_record  # noqa: E402
from tfft.backbones import load_backbone  # noqa: E402
from tfft.commands.train import train_and_export  # noqa: E402
from tfft.config import DataConfig, ModelConfig, load_config  # noqa: E402
from tfft.evaluation.retrieval_metrics import retrieval_metrics  # noqa: E402
from tfft.export.loaded import LoadedExport  # noqa: E402
from tfft.export.saved_model import export_saved_model  # noqa: E402
from tfft.retrieval.bm25 import Bm25Scorer  # noqa: E402
from tfft.retrieval.build import build_index, embed_texts, load_embedder  # noqa: E402
from tfft.retrieval.corpus import read_corpus  # noqa: E402
from tfft.retrieval.corpus_matrix import CorpusMatrix  # noqa: E402
from tfft.retrieval.queries import evaluate_index, ranked_ids, read_queries  # noqa: E402
from tfft.retrieval.search_index import SearchIndex  # noqa: E402
from tfft.tasks.embedding.task import EmbeddingTask  # noqa: E402

HELD_OUT_ARTICLES = 2
VALIDATION_EVERY = 10
MAX_LENGTH = 256  # covers about 90% of SQuAD paragraphs whole
LATENCY_ROWS = (10_000, 100_000)
LATENCY_QUERIES = 120
WARMUP = 10


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad", required=True, help="SQuAD v1.1 JSON (train-v1.1.first11articles.json)")
    parser.add_argument("--work", default="runs/retrieval-benchmark", help="folder for data, runs and exports")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=3e-5)
    parser.add_argument("--train-sample", type=int, help="train on this many pairs only (a quick trial)")
    parser.add_argument("--latency-rows", type=int, nargs="+", default=list(LATENCY_ROWS),
                        help="index sizes timed (default: %(default)s)")
    return parser.parse_args()


def write_rows(path: Path, header: list[str], rows: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=header).to_csv(path, index=False)
    return path


def split_squad(squad: Path, work: Path) -> dict:
    """Writes corpus.csv, train.csv / dev.csv (question, paragraph), dev_queries.csv and test_queries.csv."""
    articles = json.loads(squad.read_text(encoding="utf-8"))["data"]
    corpus, train, dev, dev_queries, test_queries = [], [], [], [], []
    for a, article in enumerate(articles):
        held_out = a >= len(articles) - HELD_OUT_ARTICLES
        for p, paragraph in enumerate(article["paragraphs"]):
            doc_id = f"{a}-{p}"
            corpus.append((doc_id, paragraph["context"]))
            for q, qa in enumerate(paragraph["qas"]):
                if held_out:
                    test_queries.append((qa["question"], doc_id))
                elif (len(train) + len(dev)) % VALIDATION_EVERY == VALIDATION_EVERY - 1:
                    dev.append((qa["question"], paragraph["context"]))
                    dev_queries.append((qa["question"], doc_id))
                else:
                    train.append((qa["question"], paragraph["context"]))
    files = {"corpus": write_rows(work / "data" / "corpus.csv", ["id", "text"], corpus),
             "train": write_rows(work / "data" / "train.csv", ["question", "paragraph"], train),
             "dev": write_rows(work / "data" / "dev.csv", ["question", "paragraph"], dev),
             "dev_queries": write_rows(work / "data" / "dev_queries.csv", ["query", "relevant"], dev_queries),
             "test_queries": write_rows(work / "data" / "test_queries.csv", ["query", "relevant"], test_queries)}
    counts = {"articles": len(articles), "held_out_articles": [a["title"] for a in articles[-HELD_OUT_ARTICLES:]],
              "paragraphs": len(corpus), "train_pairs": len(train), "validation_queries": len(dev),
              "test_queries": len(test_queries)}
    return {"files": files, "counts": counts}


def untuned_embedder(root: Path, max_length: int = MAX_LENGTH) -> Path:
    """MiniLM-L6 as it ships, mean-pooled and L2-normalised: the sentence-transformers model untouched."""
    loaded = load_backbone("minilm-l6", max_length)
    task = EmbeddingTask({"pooling": "mean"}, DataConfig(text_pair_column="paragraph"))
    encoder = task.make_encoder(loaded.tokenizer, max_length)
    return export_saved_model(task.build_model(loaded.backbone, ModelConfig(), encoder), encoder, task, root)


def fine_tune(files: dict, work: Path, args) -> tuple[Path, dict]:
    config = load_config(ROOT / "tfft" / "tasks" / "embedding" / "example" / "config.yaml", [
        "name=squad-embedder", f"output_dir={work / 'runs'}", f"export.dir={work / 'saved_models'}",
        f"data.train={files['train']}", f"data.validation={files['dev']}", "data.test=null",
        "data.text_column=question", "data.text_pair_column=paragraph", f"model.max_length={MAX_LENGTH}",
        "task_options.symmetric=false", f"training.epochs={args.epochs}", f"training.batch_size={args.batch_size}",
        f"training.learning_rate={args.learning_rate}", "training.evaluate_before=false",
        f"data.train_sample={args.train_sample or 'null'}"])
    started = time.perf_counter()
    result = train_and_export(config, verbose=2)
    return result.export_path, {"train_seconds": round(time.perf_counter() - started, 1),
                                "validation": result.metrics["validation"]["after"]}


def bm25s_metrics(files: dict) -> dict:
    """The PyPI BM25 (bm25s, Lucene scoring, its tokenizer with English stop words) on the test queries."""
    import bm25s

    corpus = read_corpus(str(files["corpus"]), "text", "id")
    queries = read_queries(str(files["test_queries"]), "query", "relevant")
    retriever = bm25s.BM25(method="lucene", k1=1.5, b=0.75)
    retriever.index(bm25s.tokenize(corpus.texts, stopwords="en", show_progress=False), show_progress=False)
    rows, _ = retriever.retrieve(bm25s.tokenize(queries.texts, stopwords="en", show_progress=False), k=10,
                                 show_progress=False)
    ranked = [[corpus.ids[i] for i in row] for row in rows]
    return {"queries": len(queries), "rows": len(corpus), **retrieval_metrics(ranked, queries.relevant)}


def agreement_at_10(index: Path, reference: Path, texts: list[str]) -> float:
    """Share of the reference index's top-10 ids that ``index`` also returns in its top 10."""
    ours, theirs = ranked_ids(LoadedExport(index), texts), ranked_ids(LoadedExport(reference), texts)
    return float(np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(ours, theirs)]))


def quality(files: dict, untuned: Path, tuned: Path, work: Path) -> list[dict]:
    corpus = read_corpus(str(files["corpus"]), "text", "id")
    test = read_queries(str(files["test_queries"]), "query", "relevant")
    dev = read_queries(str(files["dev_queries"]), "query", "relevant")
    indexes = work / "indexes"
    built = {
        "tfft BM25 (in-graph; hybrid, dense weight 0)": build_index(untuned, corpus, indexes / "bm25", hybrid=True,
                                                                   dense_weight=0.0),
        "untuned MiniLM-L6, dense": build_index(untuned, corpus, indexes / "untuned"),
        "untuned MiniLM-L6, hybrid": build_index(untuned, corpus, indexes / "untuned-hybrid", hybrid=True,
                                                 validation=dev),
        "fine-tuned, dense float32": build_index(tuned, corpus, indexes / "tuned"),
        "fine-tuned, dense bfloat16": build_index(tuned, corpus, indexes / "tuned-bf16", storage="bfloat16"),
        "fine-tuned, dense int8": build_index(tuned, corpus, indexes / "tuned-int8", storage="int8"),
        "fine-tuned, hybrid": build_index(tuned, corpus, indexes / "tuned-hybrid", hybrid=True, validation=dev),
    }
    rows = [{"system": "bm25s 0.3 (Lucene BM25, PyPI)", **bm25s_metrics(files)}]
    for name, path in built.items():
        metadata = LoadedExport.read_metadata(path)
        row = {"system": name, **evaluate_index(path, test), "index_mb": round(folder_mb(path), 1)}
        if metadata["hybrid"]:
            row["dense_weight"] = metadata["hybrid"]["dense_weight"]
        if "bfloat16" in name or "int8" in name:
            row["top10_agreement_with_float32"] = round(agreement_at_10(path, built["fine-tuned, dense float32"],
                                                                        test.texts), 4)
        rows.append(row)
    return rows


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 1e6


def tiled_index(embedder: Path, vectors: np.ndarray, texts: list[str], rows: int, storage: str, hybrid: bool,
                folder: Path) -> Path:
    """An index of ``rows`` rows: the corpus's vectors repeated with a little noise (and its texts, for BM25)."""
    generator = np.random.default_rng(0)
    picks = np.arange(rows) % len(vectors)
    tiled = vectors[picks] + 0.05 * generator.normal(size=(rows, vectors.shape[1])).astype("float32")
    tiled /= np.linalg.norm(tiled, axis=1, keepdims=True)
    index = SearchIndex(load_embedder(embedder).module, CorpusMatrix(tiled, storage), [f"r{i}" for i in range(rows)],
                        {}, 10, Bm25Scorer([texts[i] for i in picks], 0.5) if hybrid else None)
    tf.saved_model.save(index, str(folder), signatures={"serving_default": index.serving_function()})
    return folder


def latency(tuned: Path, files: dict, scratch: Path, sizes: list[int]) -> list[dict]:
    """Median ms per call, every caller called in turn on each query (batch 1) or group of 32 queries."""
    corpus = read_corpus(str(files["corpus"]), "text", "id")
    queries = read_queries(str(files["test_queries"]), "query", "relevant").texts
    vectors = embed_texts(load_embedder(tuned), corpus.texts)
    embedder = LoadedExport(tuned).signature
    callers = {"plain embedding call": lambda batch: embedder(text=tf.constant(batch))}
    setups = [(rows, storage, False) for rows in sizes for storage in ("float32", "bfloat16", "int8")]
    setups += [(rows, "float32", True) for rows in sizes]
    for rows, storage, hybrid in setups:
        name = f"index {rows:,} rows, {storage}{', hybrid' if hybrid else ''}"
        folder = tiled_index(tuned, vectors, corpus.texts, rows, storage, hybrid, scratch / name.replace(" ", "_"))
        signature = tf.saved_model.load(str(folder)).signatures["serving_default"]
        callers[name] = lambda batch, s=signature: s(query=tf.constant(batch))
    figures = []
    for batch in (1, 32):
        cycled = [queries[i % len(queries)] for i in range(batch * (LATENCY_QUERIES + WARMUP))]
        groups = [cycled[i:i + batch] for i in range(0, len(cycled), batch)]
        times: dict[str, list[float]] = {name: [] for name in callers}
        for number, group in enumerate(groups):
            for name, call in callers.items():
                started = time.perf_counter()
                call(group)
                if number >= WARMUP:
                    times[name].append((time.perf_counter() - started) * 1000)
        plain = float(np.median(times["plain embedding call"]))
        for name, values in times.items():
            figures.append({"call": name, "batch": batch, "median_ms": round(float(np.median(values)), 2),
                            "ratio_to_embedding_call": round(float(np.median(values)) / plain, 2)})
    return figures


def main() -> int:
    args = parse_args()
    work = Path(args.work)
    split = split_squad(Path(args.squad), work)
    files = split["files"]
    untuned = untuned_embedder(work / "saved_models" / "minilm-untuned")
    tuned, training = fine_tune(files, work, args)
    rows = quality(files, untuned, tuned, work)
    with tempfile.TemporaryDirectory() as scratch:
        timings = latency(tuned, files, Path(scratch), args.latency_rows)
    figures = {"data": split["counts"], "training": {**training, "epochs": args.epochs,
                                                     "batch_size": args.batch_size,
                                                     "learning_rate": args.learning_rate, "max_length": MAX_LENGTH},
               "quality": rows, "latency": timings}
    print(json.dumps(figures, indent=2, default=float))
    print(write_record("retrieval", figures, extra_versions={"bm25s": _version("bm25s")}))
    return 0


def _version(name: str) -> str | None:
    import importlib.metadata

    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


if __name__ == "__main__":
    sys.exit(main())
