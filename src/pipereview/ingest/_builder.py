"""Turning the raw rows of one export into canonical columns, collecting every problem.

Private to :mod:`pipereview.ingest._export`: one :class:`RowBuilder` per file. The value
fields (stage, amount, dates, forecast category) are parsed in
:mod:`pipereview.ingest._fieldvalues`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipereview.core._errors import InputError, Problem, SchemaError
from pipereview.core._names import NAME_RULE, name_problem
from pipereview.core._stages import (
    EVIDENCE_FLAG_FIELDS,
    EVIDENCE_TEXT_FIELDS,
    StageModel,
)
from pipereview.core._text import normalize_label
from pipereview.core._textcells import clean_text, control_characters, strip_text
from pipereview.ingest._assembly import (
    FieldCheck,
    collect_rejections,
    quarantine_frame,
    snapshot_frame,
)
from pipereview.ingest._columnmaps import ColumnMap
from pipereview.ingest._fieldvalues import (
    amount_column,
    date_column,
    forecast_column,
    stage_column,
    translate,
)
from pipereview.ingest._parsing import parse_amounts, parse_flags, parse_probabilities
from pipereview.ingest._readers import ExportPeek
from pipereview.ingest._results import IngestReport, IngestResult
from pipereview.ingest._rowchecks import currency_checks, name_checks
from pipereview.ingest._rowkind import skipped_rows

__all__ = ["PLAIN_NUMBERS", "READ_AS_TEXT", "RowBuilder"]

_TEXT_FIELDS = (
    "deal_id",
    "deal_name",
    "account",
    "owner",
    "team",
    "currency",
    "next_step",
    "loss_reason",
    "product_line",
    "stage",
    "forecast_category",
    "status",
    *EVIDENCE_TEXT_FIELDS,
)
# read as text too: the parsers know more date formats than the CSV reader's guesses, and
# a problem then quotes the cell as written ('1e309', not the reader's 'inf')
READ_AS_TEXT = (
    *_TEXT_FIELDS,
    "amount",
    "account_potential",
    "probability",
    "close_date",
    "created_date",
    "last_activity_date",
)
#: fields of READ_AS_TEXT kept as the reader's numbers when every cell is a finite number
#: in the range given, where no check can find a problem to quote (reading them again as
#: text would cost a second pass over the file)
PLAIN_NUMBERS: dict[str, tuple[float, float]] = {
    "amount": (-1e12, 1e12),
    "probability": (0.0, 100.0),
}
# text fields whose control characters are removed (line breaks become spaces); a deal ID
# with one is refused instead: removing it could make it another deal's ID
_CLEANED_FIELDS = frozenset(_TEXT_FIELDS) - {"deal_id"}


class RowBuilder:
    """Turns raw rows into canonical columns, collecting every problem on the way."""

    def __init__(
        self,
        peek: ExportPeek,
        cmap: ColumnMap,
        model: StageModel,
        found: dict[str, str],
        raw: pd.DataFrame,
        week: str,
        team: str | None,
    ) -> None:
        self.peek, self.cmap, self.model, self.found = peek, cmap, model, found
        self.raw, self.week, self.team = raw, week, team
        self.file = str(peek.path)
        self.out: dict[str, pd.Series] = {}
        self.checks: list[FieldCheck] = []  # mask, field, expected, hint
        self.repairs = list(peek.repairs)
        self.warnings: list[str] = []
        self.skipped = pd.Series(False, index=raw.index)
        # problems the reader found in whole rows, each rejected with its problem: CSV rows
        # with more fields than the header (_csvrows.find_long_rows) and per-cell problems
        # such as XLSX formulas without a saved value (``row`` is the frame's index label)
        self.reader_problems: tuple[Problem, ...] = (
            *raw.attrs.get("long_rows", ()),
            *raw.attrs.get("row_problems", ()),
        )
        self.long = pd.Series(
            raw.index.isin([p.row for p in self.reader_problems]), index=raw.index
        )
        self.cleaned: dict[str, pd.Series] = {}  # field -> its column, control chars removed
        self.control_cells: dict[str, int] = {}  # header -> cells cleaned (rows not skipped)

    def col(self, name: str) -> pd.Series:
        """The export's column for a canonical field, control characters removed from text
        fields, with the map's value translations."""
        column = self.cleaned.get(name)
        if column is None:
            column = self.raw[self.found[name]]
            if name in _CLEANED_FIELDS:
                column, changed = clean_text(column)
                count = int((changed & ~self.skipped).sum())
                if count:
                    self.control_cells[self.found[name]] = count
            self.cleaned[name] = column
        table = self.cmap.values.get(name)
        if not table:
            return column
        lookup = {normalize_label(k): v for k, v in table.items()}
        return translate(column, lookup)

    def fail(self, mask: pd.Series, name: str, expected: str, hint: str = "") -> None:
        if bool(mask.any()):
            self.checks.append((mask, name, expected, hint))

    def _fail_all(self, checks: list[FieldCheck]) -> None:
        for mask, name, expected, hint in checks:
            self.fail(mask, name, expected, hint)

    def text(self, name: str) -> pd.Series:
        """A text field, trimmed, with blank cells as missing."""
        values = strip_text(self.col(name).astype("str"))
        empty = values == ""
        return values.where(~empty) if empty.any() else values

    def build(self) -> IngestResult:
        problem = None if self.team is None else name_problem(self.team)
        if problem is not None:
            raise InputError(
                f"{self.file}: team name {self.team!r} (the --team option) cannot be used as a "
                f"folder name: it {problem}",
                file=self.file,
                expected=NAME_RULE,
                hint=f"pass --team (team=) {NAME_RULE}",
            )
        skipped, skip_reason = self._skipped_rows()
        self.skipped = skipped
        if bool(skipped.all()):
            raise SchemaError(
                f"{self.file}: no deals in the file: the {len(skipped)} row(s) below the header "
                f"on row {self.peek.header_row} are blank or report totals",
                file=self.file,
                row=int(skipped.index[0]),
                expected="at least one deal below the header",
                hint="export the report again with its rows (check the report's filters)",
            )
        for name in (
            "deal_id",
            "deal_name",
            "account",
            "owner",
            "next_step",
            "loss_reason",
            "product_line",
            "currency",
            *EVIDENCE_TEXT_FIELDS,
        ):
            if name in self.found:
                self.out[name] = self.text(name)
        for name, what in (("deal_name", "a deal name"), ("owner", "an owner")):
            self.fail(
                self.out[name].isna(),
                name,
                f"{what} (not blank)",
                "fill it in the CRM, or remove the row if it is not a deal",
            )
        self.fail(
            control_characters(self.out["deal_id"]),
            "deal_id",
            "a deal ID without control characters (NUL, line breaks, tabs …)",
            "an ID matches the deal across weeks, so it is not changed: export the "
            "report again, or remove the character from the ID in the CRM",
        )
        self._team()
        self._names()
        self._currency()
        self._stage()
        self._amount()
        self._dates()
        self._optional()
        self._duplicates(skipped)
        if self.control_cells:
            where = ", ".join(f"{n} in {h!r}" for h, n in self.control_cells.items())
            self.repairs.append(
                f"removed control characters (NUL, DEL …; line breaks and tabs became spaces) "
                f"from {sum(self.control_cells.values())} text cell(s): {where}"
            )
        return self._assemble(skipped, skip_reason)

    def _skipped_rows(self) -> tuple[pd.Series, pd.Series]:
        """Blank rows, and report footers and totals (see :mod:`pipereview.ingest._rowkind`)."""
        # a row a reader rejected is rejected, never skipped
        blank_all, footer = skipped_rows(self.raw, self.found, self.long)
        skipped = blank_all | footer
        reason = pd.Series("blank row", index=skipped[skipped].index, dtype="str")
        reason[footer[footer].index] = "report footer or total row (not a deal)"
        for label, mask in (("blank row(s)", blank_all), ("footer/total row(s)", footer)):
            if mask.any():
                rows = ", ".join(str(r) for r in mask[mask].index[:5])
                self.repairs.append(
                    f"skipped {int(mask.sum())} {label}: row {rows}"
                    f"{' …' if mask.sum() > 5 else ''} (kept in the quarantine file)"
                )
        return skipped, reason

    def _team(self) -> None:
        default = self.team or self.cmap.default_team
        if "team" in self.found:
            values = self.text("team")
            no_team = values.isna() & ~self.skipped
            if no_team.any():
                self.warnings.append(
                    f"{int(no_team.sum())} row(s) without a team were put in team {default!r}"
                )
            self.out["team"] = values.fillna(default)
        else:
            self.out["team"] = pd.Series(default, index=self.raw.index, dtype="str")
            if not self.team:
                self.repairs.append(
                    f"no team column: every deal put in team {default!r} (use --team to name it)"
                )

    def _names(self) -> None:
        """Team and rep names become folders and files of the packs: checked here, once."""
        for name, what in (("team", "team"), ("owner", "rep")):
            checks, warnings = name_checks(self.out[name].where(~self.skipped), name, what)
            for mask, expected, hint in checks:
                self.fail(mask, name, expected, hint)
            self.warnings += warnings

    def _currency(self) -> None:
        """One currency per team: a team's amounts are added together."""
        if "currency" in self.out:
            self.out["currency"], checks = currency_checks(
                self.out["team"].where(~self.skipped), self.out["currency"]
            )
            for mask, expected, hint in checks:
                self.fail(mask, "currency", expected, hint)

    def _stage(self) -> None:
        status = self.col("status") if "status" in self.found else None
        self.out["stage"], checks = stage_column(self.col("stage"), status, self.model, self.cmap)
        self._fail_all(checks)

    def _amount(self) -> None:
        self.out["amount"], checks, warnings = amount_column(
            self.col("amount"), self.cmap.decimal, self.skipped
        )
        self._fail_all(checks)
        self.warnings += warnings

    def _dates(self) -> None:
        for name in ("close_date", "created_date", "last_activity_date"):
            if name in self.found:
                self.out[name], checks, repairs = date_column(
                    self.col(name), name, self.found[name], self.cmap.date_format, self.skipped
                )
                self._fail_all(checks)
                self.repairs += repairs

    def _optional(self) -> None:
        if "account_potential" in self.found:
            values, bad = parse_amounts(self.col("account_potential"), self.cmap.decimal)
            self.out["account_potential"] = values.where(values >= 0)
            self.fail(
                bad | (values < 0),
                "account_potential",
                "an amount >= 0 such as 250000, 250,000.00 or 25万 (blank: not known)",
                "write the account's potential revenue as an amount, or leave it blank",
            )
        if "probability" in self.found:
            values, bad = parse_probabilities(self.col("probability"))
            self.out["probability"] = values
            self.fail(
                bad,
                "probability",
                "a probability such as 20, 20% or 0.2 (0..100%)",
                "write the win probability as a percentage between 0 and 100 (or a "
                "fraction between 0 and 1)",
            )
        if "forecast_category" in self.found:
            self.out["forecast_category"], checks = forecast_column(
                self.text("forecast_category"), self.cmap
            )
            self._fail_all(checks)
        for name in EVIDENCE_FLAG_FIELDS:
            if name in self.found:
                flags, bad = parse_flags(self.col(name))
                self.out[name] = flags
                self.fail(
                    bad,
                    name,
                    "yes/no (yes, no, true, false, 1, 0, 是, 否, x or blank)",
                    f"write yes or no, or translate the CRM's words under 'values: {name}:' "
                    "in a column map (docs/formats.md)",
                )

    def _duplicates(self, skipped: pd.Series) -> None:
        ids = self.out["deal_id"].where(~skipped) if skipped.any() else self.out["deal_id"]
        codes, _ = pd.factorize(ids, use_na_sentinel=True)
        counts = np.bincount(codes[codes >= 0], minlength=1)
        dup = pd.Series((codes >= 0) & (counts[np.maximum(codes, 0)] > 1), index=ids.index)
        self.fail(
            dup,
            "deal_id",
            "a deal ID used once per export",
            "the same deal appears twice; keep one row (all copies are quarantined)",
        )
        missing = ids.isna() & ~skipped
        if missing.any():
            self.warnings.append(
                f"{int(missing.sum())} deal(s) have no ID; they will be "
                "matched across weeks by account and name"
            )

    def _assemble(self, skipped: pd.Series, skip_reason: pd.Series) -> IngestResult:
        found = collect_rejections(
            self.file, self.raw, self.found, self.checks, self.reader_problems, skipped, self.long
        )
        keep = ~(found.rejected | skipped)
        snapshot = snapshot_frame(
            self.out,
            keep,
            week=self.week,
            stage_model=self.model.name,
            source_file=self.peek.path.name,
        )
        if "account" in self.found and bool(snapshot["account_missing"].any()):
            self.warnings.append(
                f"{int(snapshot['account_missing'].sum())} deal(s) have no "
                "account; kept and flagged (account_missing)"
            )
        quarantine = quarantine_frame(
            self.raw, keep, found.reasons, skip_reason, self.peek.title_rows
        )
        mapped = set(self.found.values())
        report = IngestReport(
            file=self.file,
            week=self.week,
            column_map=self.cmap.name,
            stage_model=self.model.name,
            encoding=self.peek.encoding,
            header_row=self.peek.header_row,
            rows_read=len(self.raw.index) + len(self.peek.title_rows),
            rows_kept=int(keep.sum()),
            rows_rejected=int(found.rejected.sum()),
            rows_skipped=int(skipped.sum()) + len(self.peek.title_rows),
            repairs=tuple(self.repairs),
            warnings=tuple(self.warnings),
            problems=tuple(found.problems),
            problem_count=found.total,
            ignored_columns=tuple(h for h in self.peek.header if h and h not in mapped),
        )
        return IngestResult(snapshot, quarantine, report)
