"""What an ingest returns: the canonical rows, the quarantined rows and the report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from pipereview.core._errors import Problem, SchemaError

__all__ = ["IngestReport", "IngestResult"]


@dataclass(frozen=True)
class IngestReport:
    """What happened to one export: where it came from, counts, repairs and problems.

    Every row of the file but the header is counted once: ``rows_read`` (the rows above
    the header too) = ``rows_kept`` + ``rows_rejected`` + ``rows_skipped``; the rejected
    and skipped rows are the ones in the quarantine file.
    """

    file: str
    week: str
    column_map: str
    stage_model: str
    encoding: str | None
    header_row: int
    rows_read: int
    rows_kept: int
    rows_rejected: int
    rows_skipped: int
    repairs: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    problem_count: int = 0
    ignored_columns: tuple[str, ...] = ()
    #: what the export's values settled that its column map left open (the stage model,
    #: the decimal mark), repeated columns read per association, a column it lacks
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """A few lines for people: counts, repairs, warnings, grouped problems."""
        lines = [
            f"{self.file}: {self.rows_read} rows read, {self.rows_kept} kept, "
            f"{self.rows_rejected} rejected, {self.rows_skipped} skipped "
            f"(map {self.column_map}, model {self.stage_model}, "
            f"{self.encoding or 'binary'}, header on row {self.header_row})"
        ]
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  repaired: {r}" for r in self.repairs]
        lines += [f"  warning: {w}" for w in self.warnings]
        lines += [f"  problem: {p}" for p in _group_problems(self.problems)]
        if self.problem_count > len(self.problems):
            lines.append(
                f"  … {self.problem_count - len(self.problems)} more problems "
                "(all rows are in the quarantine file)"
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class IngestResult:
    """The canonical snapshot of the good rows, the quarantined rows and the report."""

    snapshot: pd.DataFrame
    quarantine: pd.DataFrame
    report: IngestReport

    @property
    def ok(self) -> bool:
        """True when no row was rejected (skipped blank/footer rows are fine)."""
        return self.report.rows_rejected == 0

    def raise_for_problems(self) -> None:
        """Raise :class:`SchemaError` listing every problem when any row was rejected."""
        if self.ok:
            return
        report = self.report
        raise SchemaError(
            f"{report.file}: {report.rows_rejected} of {report.rows_read} rows cannot be "
            f"used:\n" + "\n".join(f"  - {p}" for p in _group_problems(report.problems)),
            file=report.file,
            problems=report.problems,
            row=report.problems[0].row if report.problems else None,
            column=report.problems[0].column if report.problems else None,
            hint="fix those rows in the CRM or the file and ingest again; the rejected rows "
            "are written to the quarantine file with their reasons",
        )


def _group_problems(problems: Sequence[Problem]) -> list[str]:
    """One line per (column, expectation): the rows it concerns and a sample value."""
    groups: dict[tuple[str | None, str, str], list[Problem]] = {}
    for problem in problems:
        groups.setdefault((problem.column, problem.expected, problem.hint), []).append(problem)
    lines = []
    for (column, expected, hint), items in groups.items():
        rows = ", ".join(str(p.row) for p in items[:8]) + (" …" if len(items) > 8 else "")
        got = ", ".join(sorted({repr(p.got) for p in items})[:5])
        where = f"column {column!r}, " if column else ""
        line = (
            f"{items[0].file}, {where}row{'s' if len(items) > 1 else ''} {rows}: "
            f"expected {expected}, got {got}."
        )
        lines.append(line + (f" Hint: {hint}" if hint else ""))
    return lines
