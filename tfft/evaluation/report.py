"""What evaluating a task produces: metrics, a readable text and figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def headline_numbers(metrics: dict[str, Any]) -> dict[str, float]:
    """The single-number metrics of a report (accuracy, f1, ...), without per-class tables."""
    return {name: value for name, value in metrics.items() if isinstance(value, float)}


@dataclass
class Report:
    """Evaluation results: JSON-able ``metrics``, a readable ``text`` and figures.

    ``figures`` maps a file name (``confusion_matrix.png``) to a function that
    writes the figure to a path.
    """

    metrics: dict[str, Any]
    text: str = ""
    figures: dict[str, Any] = field(default_factory=dict)

    def write(self, directory: Path, prefix: str = "") -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if self.text:
            (directory / f"{prefix}report.txt").write_text(self.text, encoding="utf-8")
        for name, draw in self.figures.items():
            draw(directory / f"{prefix}{name}")
