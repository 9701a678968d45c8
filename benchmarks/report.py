#!/usr/bin/env python
"""Render docs/benchmarks.md and the README's headline table from committed benchmark records.

``benchmarks/report_template.md`` is the page's text; each line
``<!-- record: NAME.json -->`` in it becomes the table of
``benchmarks/results/NAME.json`` followed by the machine, versions, commit, date
and command that record holds. In ``README.md`` the lines between
``<!-- headline:start -->`` and ``<!-- headline:end -->`` become the headline
table, from the records `HEADLINE` names.

    python benchmarks/report.py            # rewrite docs/benchmarks.md and the README's table
    python benchmarks/report.py --check    # exit 1 if either is not what the records give
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
TEMPLATE = ROOT / "benchmarks" / "report_template.md"
PAGE = ROOT / "docs" / "benchmarks.md"
README = ROOT / "README.md"
RECORD_LINE = re.compile(r"^<!-- record: (\S+\.json) -->$", re.M)
HEADLINE = re.compile(r"(<!-- headline:start -->\n).*?(<!-- headline:end -->)", re.S)
# The records the README's headline table is made of.
HEADLINE_RECORDS = {"training": "classification-20261203-175308.json", "precision": "throughput-20261203-175859.json",
                    "latency": "serving_latency-20261203-174706.json"}

NATIVE_BF16_FLAGS = {"avx512_bf16", "amx_bf16"}


def load(name: str, folder: Path = RESULTS) -> dict:
    path = folder / name
    if not path.is_file():
        raise SystemExit(f"{path}: no such record (the template or HEADLINE_RECORDS names it)")
    return json.loads(path.read_text(encoding="utf-8"))


def describe_machine(machine: dict) -> str:
    """'AMD EPYC, 2 cores, AVX2 + FMA (no AVX-512, no native bfloat16), 23.5 GiB, no GPU'."""
    flags = machine.get("cpu_flags", [])
    simd = " + ".join(flag.upper() for flag in flags) or "no AVX2"
    missing = []
    if "avx512f" not in flags:
        missing.append("no AVX-512")
    if not NATIVE_BF16_FLAGS & set(flags):
        missing.append("no native bfloat16")
    if "amx_tile" not in flags and "avx512f" in flags:
        missing.append("no AMX")
    extra = f" ({', '.join(missing)})" if missing else ""
    return (f"{machine.get('cpu')}, {machine.get('cores')} cores, {simd}{extra}, "
            f"{machine.get('memory_gib')} GiB, {machine.get('gpu') or 'no GPU'}")


def provenance(record: dict, name: str) -> str:
    versions = {**record.get("versions", {}), **_versions_in_rows(record["figures"])}
    libraries = ", ".join(f"{key} {value}" for key, value in versions.items() if key != "python")
    commit = (record.get("commit") or "unknown")[:12]
    return (f"*Machine: {describe_machine(record['machine'])}. {libraries}; tfft `{commit}`; "
            f"{record['date'][:10]}. Command: `{record['command']}`. Record: `benchmarks/results/{name}`.*")


def _versions_in_rows(figures) -> dict[str, str]:
    """Versions a peer reported in its own row (``{"versions": {"torch": ...}}``), as ``peer <name>``."""
    rows = figures if isinstance(figures, list) else []
    return {f"peer {key}": value for row in rows if isinstance(row, dict)
            for key, value in row.get("versions", {}).items() if key not in ("python", "numpy")}


def markdown_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def classification_table(figures: list[dict]) -> str:
    ours = figures[0]
    rows = [[row["framework"], f"{row['train_examples_per_s']:.1f}", f"{row['train_tokens_per_s']:,.0f}",
             f"{row['dev_accuracy']:.4f}", f"{ours['train_tokens_per_s'] / row['train_tokens_per_s']:.2f}×"]
            for row in figures]
    return markdown_table(["framework", "train rows/s", "real tokens/s", "dev accuracy",
                           f"{ours['framework']} / this (tokens/s)"], rows)


def serving_latency_table(figures: list[dict]) -> str:
    by_size = {}
    for row in figures:
        size = row["name"].split(", ")[-1]
        by_size.setdefault(size, row)  # the first row of each size is tfft's
    rows = [[row["name"], f"{row['p50_ms']:.2f}", f"{row['p99_ms']:.2f}", row["calls"],
             f"{by_size[row['name'].split(', ')[-1]]['p50_ms'] / row['p50_ms']:.2f}×"] for row in figures]
    return markdown_table(["what", "p50 ms", "p99 ms", "calls", "tfft export / this (p50)"], rows)


def throughput_table(figures: dict) -> str:
    peaks = figures["peaks"]
    rows = []
    for row in figures["rows"]:
        base = next(r for r in figures["rows"] if r["model"] == row["model"] and r["setting"] == "fp32")
        peak = peaks["bfloat16" if row["precision"] == "mixed_bfloat16" else "float32"]
        rows.append([row["model"], row["setting"], f"{row['tokens_per_second']:,.0f}",
                     f"{row['tokens_per_second'] / base['tokens_per_second']:.2f}×",
                     f"{row['model_flops_per_second'] / 1e9:,.0f}", f"{100 * row['model_flops_per_second'] / peak:.1f}%"])
    measured = ", ".join(f"{dtype} {value / 1e9:,.0f} GFLOP/s" for dtype, value in peaks.items())
    return (f"Matmul peak (2048² products) in the same run: {measured}.\n\n"
            + markdown_table(["model", "setting", "real tokens/s", "vs fp32", "model GFLOP/s",
                              "of its dtype's matmul peak"], rows))


def chinese_table(figures: dict) -> str:
    """Dev scores of (a) random init and (b) pre-trained, per task and label share, then pre-training and serving."""
    rows = []
    for key in sorted(k for k in figures if k.endswith("pct")):
        task, share = key.rsplit("_", 1)
        cells = figures[key]
        metric = next(name for name in cells["b_pretrained"] if name.startswith("dev_"))
        a, b = cells["a_random"][metric], cells["b_pretrained"][metric]
        baseline = cells.get("tfidf_logistic_regression", {}).get(metric)
        rows.append([task, share.replace("pct", "%"), f"{cells['b_pretrained']['rows']:,}", metric[4:],
                     f"{100 * a:.1f}", f"{100 * b:.1f}", f"{100 * (b - a):+.1f}",
                     "" if baseline is None else f"{100 * baseline:.1f}"])
    table = markdown_table(["task", "labels", "rows", "dev metric", "(a) random init", "(b) pre-trained",
                            "(b) − (a)", "TF-IDF + LR"], rows)
    pre = figures["pretraining"]
    perplexities = " → ".join(f"{value:,.1f}" for value in [pre.get("heldout_perplexity_before"),
                                                            *(pre.get("heldout_perplexity_per_epoch") or [])]
                              if value is not None)
    notes = [f"Pre-training: {pre.get('blocks'):,} blocks of {pre.get('block_tokens')} tokens, "
             f"{pre.get('tokens_per_second'):,.0f} tokens/s, {pre.get('train_seconds'):,.0f} s of training; "
             f"held-out masked-LM perplexity {perplexities} (before training, then after each epoch)."]
    if figures.get("sample_epochs"):
        notes.append(f"Fine-tunes on a sample of the labels train {figures['sample_epochs']} epochs, "
                     "those on all of them the recipe's; early stopping keeps each run's best epoch.")
    spans = figures.get("ner_served_spans")
    if spans:
        share = max(int(key.rsplit("_", 1)[1][:-3]) for key in figures if key.startswith("ner_") and key.endswith("pct"))
        notes.append(f"Served NER spans ((b), {share}% of the labels, TensorFlow + tensorflow-text only): "
                     f"{spans['predicted_entities']:,} entities on {spans['texts']:,} dev texts, "
                     f"{spans['offset_mismatches']} where `text[start:end]` differs from the entity text; "
                     f"served entity F1 {100 * spans['served_f1']:.1f}.")
    return table + "\n\n" + "\n\n".join(notes)


def retrieval_table(figures: dict) -> str:
    """Test-query quality of every system, then index latency against the plain embedding call."""
    metrics = ["recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10"]
    rows = [[row["system"], *(f"{100 * row[name]:.1f}" for name in metrics), row.get("dense_weight", ""),
             row.get("index_mb", ""), "" if "top10_agreement_with_float32" not in row
             else f"{100 * row['top10_agreement_with_float32']:.1f}%"] for row in figures["quality"]]
    quality = markdown_table(["system", "R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "dense weight", "index MB",
                              "top-10 as float32"], rows)
    latency = markdown_table(["call", "batch", "median ms", "× embedding call"],
                             [[row["call"], row["batch"], row["median_ms"], f"{row['ratio_to_embedding_call']:.2f}"]
                              for row in figures["latency"]])
    data, training = figures["data"], figures["training"]
    note = (f"{data['test_queries']:,} test questions of {', '.join(data['held_out_articles'])} against all "
            f"{data['paragraphs']:,} paragraphs; fine-tuned on {data['train_pairs']:,} (question, paragraph) pairs, "
            f"{training['epochs']} epoch(s), batch {training['batch_size']}, lr {training['learning_rate']}, "
            f"max length {training['max_length']} ({training['train_seconds']:,.0f} s); "
            f"{data['validation_queries']:,} held-back training questions chose the hybrid weights.")
    return f"{quality}\n\n{note}\n\n{latency}"


def clinc150_table(figures: dict) -> str:
    """Each hand-off rule at each in-scope budget, on the validation split, then the classifier without hand-off."""
    keys = ("in_scope_accuracy", "in_scope_handoff", "out_of_scope_recall", "out_of_scope_precision")

    def row(budget: str, name: str, rule: dict) -> list:
        thresholds = rule["thresholds"]
        return [budget, name, f"{thresholds['intent']:.3f}", f"{thresholds['answer']:.3f}",
                *(f"{rule['validation'][key]:.1f}%" for key in keys)]

    rows = [row(f"{100 * at['max_in_scope_handoff']:.0f}%", name, rule)
            for at in figures["budgets"] for name, rule in at["rules"].items()]
    rows.append(row("", "no hand-off", figures["no_handoff"]))
    table = markdown_table(["budget", "rule", "intent threshold", "answer threshold", "in-scope accuracy",
                            "in-scope handed off", "out-of-scope recall", "out-of-scope precision"], rows)
    data, training, served = figures["data"], figures["training"], figures["budgets"][0]["served_assistant_validation"]
    note = (f"Validation split: {served['in_scope']:,} in-scope and {served['out_of_scope']:,} out-of-scope queries. "
            f"Classifier fine-tuned on {data['train']:,} training utterances, {training['epochs']} epochs, batch "
            f"{training['batch_size']}, lr {training['learning_rate']} ({training['train_seconds']:,.0f} s). "
            f"Thresholds chosen on {data['calibration']:,} calibration queries ({data['held_out_per_intent']} "
            f"held-out training utterances per intent + the 100 of oos_train); the budget is the share of in-scope "
            f"calibration queries a rule may hand off. The answer index holds the {figures['index']['documents']:,} "
            f"training utterances, embedded by the untuned MiniLM-L6. The exported assistants, served, give: "
            + "; ".join(f"{100 * at['max_in_scope_handoff']:.0f}%: "
                        f"{at['served_assistant_validation']['in_scope_accuracy']:.1f}% / "
                        f"{at['served_assistant_validation']['out_of_scope_recall']:.1f}%"
                        for at in figures["budgets"]) + " (in-scope accuracy / out-of-scope recall).")
    return f"{table}\n\n{note}"


def explanations_table(figures: dict) -> str:
    """Deletion and insertion areas of each attribution method, then integrated gradients' completeness."""
    rows = [[row["method"], f"{row['deletion_auc']:.3f}", f"{row['deletion_auc_vs_random']:.2f}",
             f"{row['insertion_auc']:.3f}", f"{row['ms_per_explanation']:,.0f}" if row["ms_per_explanation"] else ""]
            for row in figures["methods"]]
    table = markdown_table(["method", "deletion area (lower is better)", "× random", "insertion area (higher is better)",
                            "ms per explanation"], rows)
    check = figures["completeness"]
    note = (f"{figures['dev_sentences']:,} SST-2 dev sentences; MiniLM-L6 fine-tuned on {figures['train_rows']:,} "
            f"training rows, {figures['epochs']} epoch(s). Integrated gradients at {figures['steps']} steps: "
            f"completeness within {100 * check['tolerance']:.0f}% on {100 * check['within_tolerance_share']:.1f}% "
            f"of the sentences (median error {100 * check['median_error']:.3f}%, largest "
            f"{100 * check['max_error']:.2f}%).")
    return f"{table}\n\n{note}"


def financial_monitoring_table(figures: dict) -> str:
    """The alerts tfft monitor raised on the replay stream, then where the surge was and how calm the rest stayed."""
    rows = [[alert["window_start"], alert["group"], alert["count"], f"{100 * alert['negative_share']:.1f}%",
             f"{100 * alert['baseline_share']:.1f}%", f"{alert['z']:.1f}"] for alert in figures["alerts"]]
    table = markdown_table(["window", "group", "rows", "negative share", "baseline share", "z"], rows)
    stream, rule = figures["stream"], figures["rule"]
    sentiment, topics = figures["sentiment_model"], figures["topic_model"]
    note = (f"{stream['rows']:,} rows over {stream['hours']} hourly windows; the surge was injected in the window of "
            f"{stream['surge_window']} ({100 * stream['surge_negative_share_of_phrasebank']:.0f}% of that hour's "
            f"PhraseBank sentences negative). Alerts in the surge window: {figures['alerts_in_surge_window']}; in "
            f"the calm windows: {figures['alerts_in_calm_windows']} ({figures['window_tallies']:,} window tallies of "
            f"all groups in all; largest "
            f"calm z {figures['largest_calm_z']:.2f}; rule z ≥ {rule['z']}, at least {rule['min_count']} rows, "
            f"baseline of {rule['baseline_windows']} windows). Sentiment model test accuracy "
            f"{100 * sentiment['test_accuracy']:.1f}%, topic model {100 * topics['test_accuracy']:.1f}%; scored at "
            f"{figures['rows_per_second']:.0f} rows/s through both, exit status {figures['exit_status']}.")
    return f"{table}\n\n{note}"


def generic_table(figures) -> str:
    """A table of any record: a list of flat dicts by column, a dict by key."""
    if isinstance(figures, list) and figures and all(isinstance(row, dict) for row in figures):
        columns = list(dict.fromkeys(key for row in figures for key in row))
        return markdown_table(columns, [[row.get(key, "") for key in columns] for row in figures])
    if isinstance(figures, dict):
        return markdown_table(["figure", "value"], [[key, json.dumps(value)] for key, value in figures.items()])
    return f"`{json.dumps(figures)}`"


TABLES: dict[str, Callable] = {"classification": classification_table,
                               "serving_latency": serving_latency_table,
                               "throughput": throughput_table,
                               "chinese": chinese_table, "retrieval": retrieval_table,
                               "clinc150": clinc150_table, "explanations": explanations_table,
                               "financial_monitoring": financial_monitoring_table}


def render_record(name: str, folder: Path = RESULTS) -> str:
    record = load(name, folder)
    table = TABLES.get(record["benchmark"], generic_table)(record["figures"])
    return f"{table}\n\n{provenance(record, name)}"


def render_page(template: str, folder: Path = RESULTS) -> str:
    header = ("<!-- Generated by `python benchmarks/report.py` from benchmarks/report_template.md and "
              "the records in benchmarks/results/: edit those, not this page. -->\n")
    return header + RECORD_LINE.sub(lambda match: render_record(match.group(1), folder), template)


def headline_table(folder: Path = RESULTS) -> str:
    """The README's table: training and batch-1 latency against Hugging Face + PyTorch."""
    training = load(HEADLINE_RECORDS["training"], folder)
    precision = {row["setting"]: row for row in load(HEADLINE_RECORDS["precision"], folder)["figures"]["rows"]}
    latency = load(HEADLINE_RECORDS["latency"], folder)
    ours, peer = training["figures"][0], next(row for row in training["figures"] if "PyTorch" in row["framework"])
    times = {row["name"]: row["p50_ms"] for row in latency["figures"]}
    session, torch = times["tfft export in a session (TF Serving's path), batch 1"], times["HF + PyTorch, batch 1"]
    bf16 = precision["bf16"]["tokens_per_second"] / precision["fp32"]["tokens_per_second"]
    rows = [[f"training, {ours['framework']} (real tokens/s, batch 32)", f"{ours['train_tokens_per_s']:,.0f}",
             f"{peer['train_tokens_per_s']:,.0f}", f"{ours['train_tokens_per_s'] / peer['train_tokens_per_s']:.2f}×"],
            ["batch-1 latency, float32 export on TF Serving's path (ms, p50)", f"{session:.2f}", f"{torch:.2f}",
             f"{session / torch:.2f}×"],
            ["training with mixed_bfloat16 forced, vs float32 (tokens/s)", f"{bf16:.2f}×", "", ""]]
    return (markdown_table(["", "tfft", "HF + PyTorch", "ratio"], rows)
            + f"\n\nMachine: {describe_machine(training['machine'])}; {training['date'][:10]}.\n")


def render_readme(readme: str, folder: Path = RESULTS) -> str:
    if not HEADLINE.search(readme):
        raise SystemExit(f"{README}: no <!-- headline:start --> ... <!-- headline:end --> block")
    return HEADLINE.sub(lambda match: match.group(1) + headline_table(folder) + match.group(2), readme)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if a page differs from its rendering")
    args = parser.parse_args()
    stale = []
    for path, rendered in ((PAGE, render_page(TEMPLATE.read_text(encoding="utf-8"))),
                           (README, render_readme(README.read_text(encoding="utf-8")))):
        if path.read_text(encoding="utf-8") == rendered:
            continue
        if args.check:
            stale.append(path)
        else:
            path.write_text(rendered, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    for path in stale:
        print(f"{path.relative_to(ROOT)} is not what the records give: run python benchmarks/report.py",
              file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
