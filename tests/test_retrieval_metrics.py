"""Recall@k, MRR@10 and nDCG@10: hand-computed cases, and agreement with trec_eval (pytrec_eval)."""

import math

import numpy as np
import pytest
import pytrec_eval

from tfft.evaluation.retrieval_metrics import retrieval_metrics


def test_hand_computed_cases():
    ranked = [["a", "b", "c"], ["x", "y", "z"], ["p", "q", "r"]]
    relevant = [{"a"}, {"z", "y"}, {"s"}]
    metrics = retrieval_metrics(ranked, relevant, ks=(1, 2, 3))
    assert metrics["recall@1"] == pytest.approx((1 + 0 + 0) / 3)
    assert metrics["recall@2"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert metrics["recall@3"] == pytest.approx((1 + 1 + 0) / 3)
    assert metrics["mrr@10"] == pytest.approx((1 + 1 / 2 + 0) / 3)
    second = (1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert metrics["ndcg@10"] == pytest.approx((1 + second + 0) / 3)


def test_a_hit_past_the_cutoff_scores_nothing_and_a_repeat_counts_once():
    ranked = [[f"d{i}" for i in range(12)] + ["gold"]]
    assert retrieval_metrics(ranked, [{"gold"}])["mrr@10"] == 0.0
    repeated = retrieval_metrics([["gold", "gold", "other"]], [{"gold", "other"}], ks=(2,))
    assert repeated["recall@2"] == pytest.approx(1.0)  # the repeat is dropped, so "other" is second


def test_bad_input_is_an_error():
    with pytest.raises(ValueError, match="2 rankings for 1 queries"):
        retrieval_metrics([["a"], ["b"]], [{"a"}])
    with pytest.raises(ValueError, match="at least one relevant id"):
        retrieval_metrics([["a"]], [set()])


def test_agrees_with_trec_eval_on_random_rankings():
    rng = np.random.default_rng(0)
    ranked, relevant, run, qrels = [], [], {}, {}
    for query in range(50):
        docs = [f"d{i}" for i in rng.permutation(40)[:20]]
        wanted = {f"d{i}" for i in rng.choice(40, size=int(rng.integers(1, 4)), replace=False)}
        ranked.append(docs)
        relevant.append(wanted)
        run[f"q{query}"] = {doc: float(20 - rank) for rank, doc in enumerate(docs)}
        qrels[f"q{query}"] = {doc: 1 for doc in wanted}
    ours = retrieval_metrics(ranked, relevant, ks=(5, 10))
    scores = pytrec_eval.RelevanceEvaluator(qrels, {"recall.5,10", "ndcg_cut.10"}).evaluate(run)
    mean = lambda key: np.mean([scores[q][key] for q in scores])  # noqa: E731
    assert ours["recall@5"] == pytest.approx(mean("recall_5"))
    assert ours["recall@10"] == pytest.approx(mean("recall_10"))
    assert ours["ndcg@10"] == pytest.approx(mean("ndcg_cut_10"))
    # trec_eval's recip_rank has no cut-off; MRR@10 equals it on runs of 10 documents.
    top10 = {q: dict(sorted(docs.items(), key=lambda kv: -kv[1])[:10]) for q, docs in run.items()}
    reciprocal = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(top10)
    assert ours["mrr@10"] == pytest.approx(np.mean([reciprocal[q]["recip_rank"] for q in reciprocal]))
