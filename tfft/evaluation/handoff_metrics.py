"""How well an assistant answers in-scope messages and hands the others to a person.

In-scope accuracy counts a handed-off in-scope message as wrong (the CLINC150
convention: out-of-scope is one more prediction). Out-of-scope recall is the
share of out-of-scope messages handed off, precision the share of hand-offs
that were out of scope.

Example:

>>> handoff_metrics(["a", "b", "oos"], ["a", "a", "b"], [False, False, True], "oos")["in_scope_accuracy"]
50.0
"""

from __future__ import annotations

import numpy as np


def handoff_metrics(true_intents: list[str], predicted_intents: list[str], handoff, out_of_scope: str,
                    true_answers: list[str] | None = None, predicted_answers: list[str] | None = None
                    ) -> dict[str, float]:
    """Percentages (and counts) over messages whose true intent is a label or ``out_of_scope``."""
    true, predicted, handoff = np.asarray(true_intents), np.asarray(predicted_intents), np.asarray(handoff, bool)
    inside = true != out_of_scope
    kept = inside & ~handoff
    metrics = {
        "messages": int(true.size), "in_scope": int(inside.sum()), "out_of_scope": int((~inside).sum()),
        "in_scope_accuracy": _percent(kept & (predicted == true), inside),
        "intent_accuracy_without_handoff": _percent(predicted == true, inside),
        "in_scope_handoff": _percent(handoff, inside),
        "out_of_scope_recall": _percent(handoff, ~inside),
        "out_of_scope_precision": _percent(~inside, handoff),
    }
    if true_answers is not None and predicted_answers is not None:
        answers, found = np.asarray(true_answers), np.asarray(predicted_answers)
        with_answer = inside & (answers != "")
        metrics["answer_accuracy"] = _percent(kept & (found == answers), with_answer)
    return metrics


def _percent(hits: np.ndarray, over: np.ndarray) -> float:
    """100 × |hits ∩ over| / |over|; 0 when ``over`` is empty."""
    count = int(np.sum(over))
    return round(100.0 * float(np.sum(hits & over)) / count, 2) if count else 0.0
