"""When the assistant hands a message to a person, and how its two thresholds are chosen.

A message is handed off when the classifier's top probability is below the
intent threshold or the best answer's score is below the answer threshold.
The rule that picks them, on validation messages labelled in scope (an
intent) or out of scope: among all threshold pairs that hand off at most
``max_in_scope_handoff`` of the in-scope messages, the pair that hands off
the most out-of-scope ones; ties go to the pair with fewer in-scope
hand-offs, then the lower intent threshold.

Example:

>>> thresholds = choose_thresholds(probability, score, in_scope, max_in_scope_handoff=0.05)
>>> hands_off(probability, score, thresholds).mean()
0.21
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from tfft.config import HANDOFF_IN_SCOPE_SHARE


@dataclass(frozen=True)
class Thresholds:
    intent: float
    answer: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def hands_off(probability: np.ndarray, score: np.ndarray, thresholds: Thresholds) -> np.ndarray:
    """True where the intent probability or the answer score is below its threshold."""
    return (np.asarray(probability) < thresholds.intent) | (np.asarray(score) < thresholds.answer)


def choose_thresholds(probability: np.ndarray, score: np.ndarray, in_scope: np.ndarray,
                      max_in_scope_handoff: float = HANDOFF_IN_SCOPE_SHARE) -> Thresholds:
    """The rule of this module's docstring, on the top intent probability and best answer score per message."""
    probability, score, in_scope = (np.asarray(probability, dtype="float64"), np.asarray(score, dtype="float64"),
                                    np.asarray(in_scope, dtype=bool))
    if not 0.0 <= max_in_scope_handoff < 1.0:
        raise ValueError(f"max_in_scope_handoff must be in [0, 1), got {max_in_scope_handoff}")
    if in_scope.all() or not in_scope.any():
        raise ValueError("choosing hand-off thresholds needs both in-scope and out-of-scope validation messages")
    budget = math.floor(max_in_scope_handoff * in_scope.sum())
    inside_probability, inside_score = probability[in_scope], score[in_scope]
    best, best_key = Thresholds(0.0, -math.inf), None
    for intent in np.unique(np.concatenate([[0.0], inside_probability])):
        by_intent = inside_probability < intent
        left = budget - int(by_intent.sum())
        if left < 0:
            break
        answer = _answer_threshold(inside_score[~by_intent], left)
        candidate = Thresholds(float(intent), answer)
        caught = hands_off(probability[~in_scope], score[~in_scope], candidate).mean()
        cost = hands_off(inside_probability, inside_score, candidate).sum()
        key = (caught, -cost, -intent)
        if best_key is None or key > best_key:
            best, best_key = candidate, key
    return Thresholds(_just_below(best.intent, probability), _just_below(best.answer, score))


def _just_below(threshold: float, values: np.ndarray) -> float:
    """Halfway down to the next smaller value seen: the same hand-offs, and a margin for float round-off.

    A threshold equal to a message's own score would flip that message on a
    last-bit difference between two runs of the same graph.
    """
    below = values[values < threshold]
    return float((threshold + below.max()) / 2) if below.size else threshold


def _answer_threshold(kept_scores: np.ndarray, allowed: int) -> float:
    """The highest threshold that hands off at most ``allowed`` of ``kept_scores`` (strictly below it)."""
    if kept_scores.size == 0:
        return -math.inf
    return float(np.sort(kept_scores)[min(allowed, kept_scores.size - 1)])
