"""The official SemEval-2010 Task 8 score: macro-F1 over the nine relations.

As the task's scorer computes its official figure ("9+1-way, directionality
taken into account"): labels are grouped by relation type (direction dropped);
a prediction is correct only with the right type *and* direction; for each
type, P = correct / predicted-as-type and R = correct / gold-of-type; the
score is the mean F1 of the nine types, ``Other`` excluded.

Example:

>>> semeval_macro_f1(["Cause-Effect(e1,e2)", "Other"], ["Cause-Effect(e2,e1)", "Other"])
0.0
"""

from __future__ import annotations

OTHER = "Other"


def relation_type(label: str) -> str:
    return label.split("(")[0]


def semeval_per_type(gold: list[str], predicted: list[str]) -> dict[str, dict[str, float]]:
    types = sorted({relation_type(label) for label in gold} - {OTHER})
    table = {}
    for kind in types:
        correct = sum(g == p and relation_type(g) == kind for g, p in zip(gold, predicted))
        predicted_as = sum(relation_type(p) == kind for p in predicted)
        gold_of = sum(relation_type(g) == kind for g in gold)
        precision = correct / predicted_as if predicted_as else 0.0
        recall = correct / gold_of if gold_of else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table[kind] = {"precision": precision, "recall": recall, "f1": f1, "support": gold_of}
    return table


def semeval_macro_f1(gold: list[str], predicted: list[str]) -> float:
    table = semeval_per_type(gold, predicted)
    return sum(row["f1"] for row in table.values()) / len(table) if table else 0.0
