"""The official SQuAD exact match and F1 (answer normalisation as in the v1.1 script).

Normalisation: lower-case, drop punctuation, drop the articles a/an/the,
collapse whitespace. Each prediction scores the best over its gold answers;
EM and F1 are averaged over questions and given in percent. A question with
no gold answer (SQuAD v2.0) scores 1 only for an empty prediction.

Example:

>>> squad_scores(["the Eiffel Tower"], [["Eiffel Tower", "the tower"]])
{'exact_match': 100.0, 'f1': 100.0}
"""

from __future__ import annotations

import re
import string
from collections import Counter

PUNCTUATION = set(string.punctuation)


def normalize_answer(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in PUNCTUATION)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def token_f1(prediction: str, gold: str) -> float:
    predicted, expected = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not predicted or not expected:
        return float(predicted == expected)
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def squad_scores(predictions: list[str], golds: list[list[str]]) -> dict[str, float]:
    golds = [answers or [""] for answers in golds]
    em = [max(exact_match(p, g) for g in answers) for p, answers in zip(predictions, golds)]
    f1 = [max(token_f1(p, g) for g in answers) for p, answers in zip(predictions, golds)]
    count = max(len(predictions), 1)
    return {"exact_match": 100.0 * sum(em) / count, "f1": 100.0 * sum(f1) / count}
