"""Entity-level precision, recall and F1 (seqeval, strict IOB2), per type and overall.

Gold and predicted entities are character spans; both are turned into BIO
tags over the same words (the file's tokens for CoNLL), so the score is the
standard CoNLL entity score: an entity counts only if its type and both
boundaries match.

Example:

>>> report = entity_report(examples, predicted_spans)
>>> report.metrics["f1"], report.metrics["per_type"]["PER"]["f1"]
"""

from __future__ import annotations

from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from tfft.tasks.token_classification.span_examples import Span, SpanExamples
from tfft.evaluation.report import Report


def word_tags(words: list[tuple[int, int]], spans: list[Span]) -> list[str]:
    """BIO tag of each word: the span that contains the word's first character."""
    tags, spans = [], sorted(spans, key=lambda s: s.start)
    current, inside_since = 0, None
    for start, _ in words:
        while current < len(spans) and spans[current].end <= start:
            current, inside_since = current + 1, None
        span = spans[current] if current < len(spans) else None
        if span is not None and span.start <= start < span.end:
            tags.append(("I-" if inside_since == current else "B-") + span.label)
            inside_since = current
        else:
            tags.append("O")
    return tags


def entity_report(examples: SpanExamples, predicted: list[list[Span]]) -> Report:
    y_true = [word_tags(w, s) for w, s in zip(examples.words, examples.spans)]
    y_pred = [word_tags(w, s) for w, s in zip(examples.words, predicted)]
    table = classification_report(y_true, y_pred, mode="strict", scheme=IOB2, output_dict=True,
                                  zero_division=0)
    overall = table["micro avg"]
    per_type = {name: {"precision": float(v["precision"]), "recall": float(v["recall"]),
                       "f1": float(v["f1-score"]), "support": int(v["support"])}
                for name, v in table.items() if not name.endswith(" avg")}
    metrics = {
        "examples": len(examples),
        "precision": float(overall["precision"]),
        "recall": float(overall["recall"]),
        "f1": float(overall["f1-score"]),
        "per_type": per_type,
    }
    text = classification_report(y_true, y_pred, mode="strict", scheme=IOB2, digits=4, zero_division=0)
    return Report(metrics, text)
