"""Benchmark records name what ran and where; the report renders them under their machine."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import record, report  # noqa: E402

AVX2 = {"cpu": "AMD EPYC", "cores": 2, "cpu_flags": ["avx2", "fma"], "memory_gib": 23.5, "gpu": None}
AMX = {"cpu": "Intel(R) Xeon(R) Platinum 8481C", "cores": 2,
       "cpu_flags": ["avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8"],
       "memory_gib": 16.0, "gpu": "NVIDIA H200"}


def test_a_record_holds_the_command_commit_versions_machine_date_and_figures(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(ROOT / "benchmarks" / "classification.py"), "--data-dir", "x"])
    path = record.write_record("classification", [{"framework": "tfft"}], tmp_path)
    written = json.loads(path.read_text())
    assert path.name.startswith("classification-") and path.parent == tmp_path
    assert written["command"] == "python benchmarks/classification.py --data-dir x"
    assert written["commit"] is None or len(written["commit"].split("-")[0]) == 40
    assert {"python", "tensorflow", "keras-hub"} <= set(written["versions"])
    assert written["machine"]["cores"] >= 1 and isinstance(written["machine"]["cpu_flags"], list)
    assert set(written["machine"]["cpu_flags"]) <= set(record.SPEED_FLAGS)
    assert written["date"].endswith("Z") and written["figures"] == [{"framework": "tfft"}]


def test_the_machine_line_says_what_the_cpu_lacks():
    assert report.describe_machine(AVX2) == ("AMD EPYC, 2 cores, AVX2 + FMA (no AVX-512, no native bfloat16), "
                                             "23.5 GiB, no GPU")
    line = report.describe_machine(AMX)
    assert "AMX_BF16" in line and "no " not in line.replace("no GPU", "") and line.endswith("NVIDIA H200")


def test_the_page_renders_each_cited_record_with_its_machine(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["benchmarks/few_shot.py"])
    path = record.write_record("few_shot", [{"shots": 8, "accuracy": 0.81}, {"shots": 32, "accuracy": 0.88}],
                               tmp_path)
    page = report.render_page(f"# B\n\n<!-- record: {path.name} -->\n", tmp_path)
    assert "| shots | accuracy |" in page and "| 32 | 0.88 |" in page
    assert f"Record: `benchmarks/results/{path.name}`" in page and "Command: `python benchmarks/few_shot.py`" in page
    assert report.describe_machine(record.machine()) in page


def test_a_cited_record_that_is_missing_is_named(tmp_path):
    with pytest.raises(SystemExit, match="classification-1.json: no such record"):
        report.render_page("<!-- record: classification-1.json -->\n", tmp_path)


def test_the_chinese_table_sets_random_init_beside_pre_trained_and_the_baseline():
    cell = lambda metric, a, b: {"a_random": {f"dev_{metric}": a, "rows": 100},  # noqa: E731
                                 "b_pretrained": {f"dev_{metric}": b, "rows": 100}}
    figures = {"pretraining": {"heldout_perplexity_before": 3141.0, "heldout_perplexity_per_epoch": [206.0, 184.0],
                               "blocks": 19176, "block_tokens": 128, "train_seconds": 1133.0,
                               "tokens_per_second": 6401.0},
               "sentiment_10pct": {**cell("accuracy", 0.52, 0.668), "tfidf_logistic_regression": {"dev_accuracy": 0.791}},
               "ner_100pct": cell("f1", 0.70, 0.80), "sample_epochs": 8,
               "ner_served_spans": {"texts": 1948, "predicted_entities": 3000, "offset_mismatches": 0, "served_f1": 0.8}}
    table = report.chinese_table(figures)
    assert "| sentiment | 10% | 100 | accuracy | 52.0 | 66.8 | +14.8 | 79.1 |" in table
    assert "| ner | 100% | 100 | f1 | 70.0 | 80.0 | +10.0 |  |" in table
    assert "3,141.0 → 206.0 → 184.0" in table and "0 where `text[start:end]` differs" in table
    assert "((b), 100% of the labels" in table
    assert "on a sample of the labels train 8 epochs" in table
