"""Turning the raw rows of one export into canonical columns, collecting every problem.

Private to :mod:`pipereview.ingest._export`: one :class:`RowBuilder` per file.
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
from pipereview.ingest._dates import DATE_RANGE, parse_dates
from pipereview.ingest._formatguess import stage_models_knowing
from pipereview.ingest._parsing import (
    MAX_AMOUNT,
    is_blank,
    parse_amounts,
    parse_flags,
    parse_probabilities,
)
from pipereview.ingest._readers import ExportPeek
from pipereview.ingest._results import IngestReport, IngestResult
from pipereview.ingest._rowchecks import currency_checks, name_checks
from pipereview.ingest._rowkind import skipped_rows
from pipereview.ingest._schema import FORECAST_CATEGORIES

__all__ = ["PLAIN_NUMBERS", "READ_AS_TEXT", "RowBuilder"]

_TEXT_FIELDS = ("deal_id", "deal_name", "account", "owner", "team", "currency", "next_step",
                "stage", "forecast_category", "status", *EVIDENCE_TEXT_FIELDS)
# read as text too: the parsers know more date formats than the CSV reader's guesses, and
# a problem then quotes the cell as written ('1e309', not the reader's 'inf')
READ_AS_TEXT = (*_TEXT_FIELDS, "amount", "probability", "close_date", "created_date",
                "last_activity_date")
#: fields of READ_AS_TEXT kept as the reader's numbers when every cell is a finite number
#: in the range given, where no check can find a problem to quote (reading them again as
#: text would cost a second pass over the file)
PLAIN_NUMBERS: dict[str, tuple[float, float]] = {"amount": (-1e12, 1e12),
                                                 "probability": (0.0, 100.0)}
# text fields whose control characters are removed (line breaks become spaces); a deal ID
# with one is refused instead: removing it could make it another deal's ID
_CLEANED_FIELDS = frozenset(_TEXT_FIELDS) - {"deal_id"}
_FIRST, _LAST = (d.date().isoformat() for d in DATE_RANGE)
_CATEGORY_WORDS = {"best case": "best_case", "bestcase": "best_case", "closed won": "closed",
                   "closed lost": "closed", "won": "closed", "lost": "closed"}


class RowBuilder:
    """Turns raw rows into canonical columns, collecting every problem on the way."""

    def __init__(self, peek: ExportPeek, cmap: ColumnMap, model: StageModel,
                 found: dict[str, str], raw: pd.DataFrame, week: str, team: str | None) -> None:
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
            *raw.attrs.get("long_rows", ()), *raw.attrs.get("row_problems", ()))
        self.long = pd.Series(raw.index.isin([p.row for p in self.reader_problems]),
                              index=raw.index)
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
        return _translate(column, lookup)

    def fail(self, mask: pd.Series, name: str, expected: str, hint: str = "") -> None:
        if bool(mask.any()):
            self.checks.append((mask, name, expected, hint))

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
                f"folder name: it {problem}", file=self.file, expected=NAME_RULE,
                hint=f"pass --team (team=) {NAME_RULE}")
        skipped, skip_reason = self._skipped_rows()
        self.skipped = skipped
        if bool(skipped.all()):
            raise SchemaError(
                f"{self.file}: no deals in the file: the {len(skipped)} row(s) below the header "
                f"on row {self.peek.header_row} are blank or report totals", file=self.file,
                row=int(skipped.index[0]), expected="at least one deal below the header",
                hint="export the report again with its rows (check the report's filters)")
        for name in ("deal_id", "deal_name", "account", "owner", "next_step", "currency",
                     *EVIDENCE_TEXT_FIELDS):
            if name in self.found:
                self.out[name] = self.text(name)
        for name, what in (("deal_name", "a deal name"), ("owner", "an owner")):
            self.fail(self.out[name].isna(), name, f"{what} (not blank)",
                      "fill it in the CRM, or remove the row if it is not a deal")
        self.fail(control_characters(self.out["deal_id"]), "deal_id",
                  "a deal ID without control characters (NUL, line breaks, tabs …)",
                  "an ID matches the deal across weeks, so it is not changed: export the "
                  "report again, or remove the character from the ID in the CRM")
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
                f"from {sum(self.control_cells.values())} text cell(s): {where}")
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
                self.repairs.append(f"skipped {int(mask.sum())} {label}: row {rows}"
                                    f"{' …' if mask.sum() > 5 else ''} (kept in the quarantine file)")
        return skipped, reason

    def _team(self) -> None:
        default = self.team or self.cmap.default_team
        if "team" in self.found:
            values = self.text("team")
            no_team = values.isna() & ~self.skipped
            if no_team.any():
                self.warnings.append(f"{int(no_team.sum())} row(s) without a team were "
                                     f"put in team {default!r}")
            self.out["team"] = values.fillna(default)
        else:
            self.out["team"] = pd.Series(default, index=self.raw.index, dtype="str")
            if not self.team:
                self.repairs.append(f"no team column: every deal put in team {default!r} "
                                    "(use --team to name it)")

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
                self.out["team"].where(~self.skipped), self.out["currency"])
            for mask, expected, hint in checks:
                self.fail(mask, "currency", expected, hint)

    def _stage(self) -> None:
        values = self.col("stage")
        table = self.model.alias_table(self.cmap.stage_aliases)  # keys already normalised
        stage = _translate(values, table, keep_unknown=False)
        if "status" in self.found:
            stage = self._apply_status(stage)
        self.out["stage"] = stage
        blank = is_blank(values)
        self.fail(blank, "stage", "a stage name (not blank)", "fill in the deal's stage")
        unknown = stage.isna() & ~blank
        if not unknown.any():
            return
        names = sorted(set(values[unknown].astype("str").str.strip()))
        hint = (f"add the name as an alias: a column map with 'extends: {self.cmap.name}' and "
                f"'stage_aliases: {{{names[0]!r}: <stage key>}}', passed with --map "
                "(docs/formats.md)")
        # the models that know every stage name of the file (one alone is chosen unless
        # --model names another: pipereview.ingest._formatguess.choose_stage_model)
        every = sorted(set(values[~blank].astype("str").str.strip()))
        better = [m for m in stage_models_knowing(every) if m != self.model.name]
        if len(better) == 1:
            hint = f"these names belong to stage model {better[0]!r}: pass --model {better[0]}"
        elif better:
            hint = (f"these names belong to the stage models {', '.join(better)}: pass --model "
                    "with one of them")
        known = ", ".join(self.model.known_names())
        self.fail(unknown, "stage", f"a stage of model {self.model.name!r} ({known})", hint)

    def _apply_status(self, stage: pd.Series) -> pd.Series:
        """Exports that keep the last stage of closed deals say won/lost in a status column."""
        status = self.col("status").astype("str").str.strip().str.casefold()
        won, lost = self.model.won_stage.key, self.model.lost_stages[0].key
        stage = stage.where(status != "won", won).where(status != "lost", lost)
        unknown = ~status.isin(["open", "won", "lost"]) & ~is_blank(self.col("status"))
        self.fail(unknown, "status", "a status of open, won or lost",
                  "add the CRM's status names under 'values: status:' in your column map")
        return stage

    def _amount(self) -> None:
        column = self.col("amount")
        values, bad = parse_amounts(column, self.cmap.decimal)
        blank = values.isna() & ~bad & ~self.skipped
        if blank.any():
            self.warnings.append(f"{int(blank.sum())} deal(s) have no amount; counted as 0")
        # numbers no amount can be: inf, 1e309, 1e20 (NaN text is no number: the other check)
        number = pd.to_numeric(column[bad].astype("str").str.strip(), errors="coerce")
        huge = pd.Series(False, index=column.index)
        huge[number.index] = number.abs() > MAX_AMOUNT  # inf too; NaN is not
        self.fail(huge, "amount", f"a finite amount of at most {MAX_AMOUNT:,.0f}",
                  "the amount is infinite or far larger than any deal: correct it in the CRM "
                  "(amounts are added as whole cents)")
        self.fail(bad & ~huge, "amount",
                  "an amount such as 12000, 12,000.00, ¥1,200,000.00 or 120万",
                  "remove text from the amount cell; for amounts such as 1.234,50 set "
                  "'decimal: \",\"' in a column map (docs/formats.md)")
        negative = values < 0
        self.fail(negative, "amount", "an amount >= 0",
                  "a pipeline holds no negative deals; correct the amount or remove the row")
        self.out["amount"] = values.fillna(0.0).where(~negative)

    def _dates(self) -> None:
        fmt = self.cmap.date_format
        hint = (f"write dates as 2026-11-23; day/month order here is {fmt!r} (set "
                "'date_format: dmy' or 'mdy' in a column map for 23/11/2026 or 11/23/2026)")
        for name in ("close_date", "created_date", "last_activity_date"):
            if name not in self.found:
                continue
            column = self.col(name)
            values, bad = parse_dates(column, fmt)
            self.out[name] = values
            self.fail(bad, name, f"a date from {_FIRST} to {_LAST}", hint)
            # a cell neither blank nor bad that parsed to no date held a placeholder
            # (parse_dates reads them as blank): the same cells date_placeholders finds
            placeholder = values.isna() & ~bad & ~self.skipped
            if placeholder.any():  # blank cells looked at only among the few without a date
                placeholder[placeholder] = ~is_blank(column[placeholder])
            if name == "last_activity_date":
                if placeholder.any():
                    shown = str(column[placeholder].iloc[0]).strip()
                    self.repairs.append(
                        f"{int(placeholder.sum())} '{self.found[name]}' cell(s) held a "
                        f"'no date' placeholder such as {shown!r}: read as blank")
                continue
            self.fail(placeholder, name, "a real date (9999-12-31, 1900-01-01, 0000-00-00 and "
                      "the like mean 'no date')", "fill in the date in the CRM")
            self.fail(values.isna() & ~bad & ~placeholder, name, "a date (not blank)",
                      "fill in the date")

    def _optional(self) -> None:
        if "probability" in self.found:
            values, bad = parse_probabilities(self.col("probability"))
            self.out["probability"] = values
            self.fail(bad, "probability", "a probability such as 20, 20% or 0.2 (0..100%)",
                      "write the win probability as a percentage between 0 and 100 (or a "
                      "fraction between 0 and 1)")
        if "forecast_category" in self.found:
            table = {normalize_label(k): v for k, v in self.cmap.values.get(
                "forecast_category", {}).items()}
            table.update({normalize_label(c): c for c in FORECAST_CATEGORIES})
            table.update({k: v for k, v in _CATEGORY_WORDS.items() if k not in table})
            text = self.text("forecast_category")
            mapped = _translate(text, table, keep_unknown=False)
            self.out["forecast_category"] = mapped
            self.fail(mapped.isna() & text.notna(), "forecast_category",
                      f"one of {sorted(set(table))}", "add the value under 'values: "
                      "forecast_category:' in your column map")
        for name in EVIDENCE_FLAG_FIELDS:
            if name in self.found:
                flags, bad = parse_flags(self.col(name))
                self.out[name] = flags
                self.fail(bad, name, "yes/no (yes, no, true, false, 1, 0, 是, 否, x or blank)",
                          f"write yes or no, or translate the CRM's words under 'values: {name}:' "
                          "in a column map (docs/formats.md)")

    def _duplicates(self, skipped: pd.Series) -> None:
        ids = self.out["deal_id"].where(~skipped) if skipped.any() else self.out["deal_id"]
        codes, _ = pd.factorize(ids, use_na_sentinel=True)
        counts = np.bincount(codes[codes >= 0], minlength=1)
        dup = pd.Series((codes >= 0) & (counts[np.maximum(codes, 0)] > 1), index=ids.index)
        self.fail(dup, "deal_id", "a deal ID used once per export",
                  "the same deal appears twice; keep one row (all copies are quarantined)")
        missing = ids.isna() & ~skipped
        if missing.any():
            self.warnings.append(f"{int(missing.sum())} deal(s) have no ID; they will be "
                                 "matched across weeks by account and name")

    def _assemble(self, skipped: pd.Series, skip_reason: pd.Series) -> IngestResult:
        found = collect_rejections(self.file, self.raw, self.found, self.checks,
                                   self.reader_problems, skipped, self.long)
        keep = ~(found.rejected | skipped)
        snapshot = snapshot_frame(self.out, keep, week=self.week, stage_model=self.model.name,
                                  source_file=self.peek.path.name)
        if "account" in self.found and bool(snapshot["account_missing"].any()):
            self.warnings.append(f"{int(snapshot['account_missing'].sum())} deal(s) have no "
                                 "account; kept and flagged (account_missing)")
        quarantine = quarantine_frame(self.raw, keep, found.reasons, skip_reason,
                                      self.peek.title_rows)
        mapped = set(self.found.values())
        report = IngestReport(
            file=self.file, week=self.week, column_map=self.cmap.name,
            stage_model=self.model.name, encoding=self.peek.encoding,
            header_row=self.peek.header_row, rows_read=len(self.raw.index) + len(self.peek.title_rows), rows_kept=int(keep.sum()),
            rows_rejected=int(found.rejected.sum()),
            rows_skipped=int(skipped.sum()) + len(self.peek.title_rows),
            repairs=tuple(self.repairs), warnings=tuple(self.warnings),
            problems=tuple(found.problems), problem_count=found.total,
            ignored_columns=tuple(h for h in self.peek.header if h and h not in mapped))
        return IngestResult(snapshot, quarantine, report)


def _translate(column: pd.Series, lookup: dict[str, str], *, keep_unknown: bool = True
               ) -> pd.Series:
    """Map a column's values through ``lookup`` (keys normalised), distinct values only.

    Unknown values stay as they are (``keep_unknown``) or become missing.
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    mapped = [lookup.get(normalize_label(u), u if keep_unknown else None) for u in uniques]
    table = pd.Series([*mapped, None], dtype=object if keep_unknown else "str")
    result = table.iloc[np.where(codes < 0, len(uniques), codes)]
    return result.set_axis(column.index)


