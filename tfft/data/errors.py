"""Errors and reports about bad input rows, always naming file, line and column."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class BadRow:
    """One rejected row: where it is and why."""

    source: str
    line: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}: {self.reason}"


class DataError(ValueError):
    """Input data is malformed. ``str()`` names the file, line and column."""

    def __init__(self, bad_row: BadRow, hint: str = ""):
        self.bad_row = bad_row
        super().__init__(str(bad_row) + (f". {hint}" if hint else ""))


@dataclass
class SkipReport:
    """Rows skipped by ``--skip-bad-rows``; printed and saved with the run."""

    source: str
    skipped: list[BadRow] = field(default_factory=list)

    def summary(self, limit: int = 10) -> str:
        if not self.skipped:
            return f"{self.source}: no bad rows"
        lines = ", ".join(str(row.line) for row in self.skipped[:limit])
        more = f" and {len(self.skipped) - limit} more" if len(self.skipped) > limit else ""
        return f"{self.source}: skipped {len(self.skipped)} bad row(s) at line(s) {lines}{more}"
