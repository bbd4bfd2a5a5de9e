"""The values of a change history read as a deals export's cells are, and each field's
changes kept as arrays by deal code for :func:`~pipereview.history._backfill.backfill_weeks`.

Stage names go through the stage model (and the column map's aliases), amounts and
probabilities through the export's parsers, dates in the history's day/month order,
forecast categories through the map's words; a change whose value cannot be read is set
aside with a :class:`~pipereview.core._errors.Problem` naming its row.

>>> changes = pd.DataFrame({"deal_id": "D1", "field": "amount", "old_value": [None, "1,200"],
...     "new_value": ["1,200", "lots"], "changed_at": pd.to_datetime(["2026-10-01", "2026-10-08"]),
...     "source_row": [2, 3]})
>>> current = pd.DataFrame({"deal_id": ["D1"], "stage_model": ["generic_4"]})
>>> kept, problems = parsed_changes(changes, current, None, "iso", "history.csv")
>>> kept[["new", "old_known"]].values.tolist(), [(p.row, p.column) for p in problems]
([[1200.0, False]], [(3, 'amount')])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipereview.core._errors import Problem
from pipereview.core._stages import load_stage_model
from pipereview.core._text import normalize_label
from pipereview.ingest._columnmaps import ColumnMap
from pipereview.ingest._dates import DateFormat, parse_dates
from pipereview.ingest._fieldvalues import translate
from pipereview.ingest._parsing import parse_amounts, parse_probabilities
from pipereview.ingest._schema import FORECAST_CATEGORIES

__all__ = ["FieldChanges", "parsed_changes"]

_CATEGORY_WORDS = {
    "best case": "best_case",
    "bestcase": "best_case",
    "closed won": "closed",
    "closed lost": "closed",
    "won": "closed",
    "lost": "closed",
    "omitted": "omitted",
    "not forecasted": "omitted",
}


def parsed_changes(
    usable: pd.DataFrame,
    current: pd.DataFrame,
    cmap: ColumnMap | None,
    date_format: DateFormat,
    source: str,
) -> tuple[pd.DataFrame, list[Problem]]:
    """The changes with their old and new values read (``old``, ``new``; ``old_known``),
    those with a value that cannot be read set aside with a problem each."""
    frames, problems = [], []
    models = current.set_axis(current["deal_id"].astype("str").str.strip())["stage_model"]
    for name, part in usable.groupby("field", sort=False):
        both = pd.concat([part["old_value"], part["new_value"]], ignore_index=True)
        stripped = both.astype("str").str.strip()
        blank = both.isna().to_numpy() | (stripped == "").to_numpy()
        text = stripped.astype("object").where(~blank, None)
        values, bad = _read_values(str(name), text, part, models, cmap, date_format)
        n = len(part)
        old, new = values.iloc[:n].to_numpy(), values.iloc[n:].to_numpy()
        bad_row = (
            bad.iloc[:n].to_numpy() | bad.iloc[n:].to_numpy() | text.iloc[n:].isna().to_numpy()
        )
        if name in ("amount",):  # a cleared amount is 0, as in an export
            bad_row = bad.iloc[:n].to_numpy() | bad.iloc[n:].to_numpy()
        for row in part[bad_row].head(20).to_dict("records"):
            problems.append(_problem(source, row, str(name)))
        kept = part.assign(old=old, new=new, old_known=text.iloc[:n].notna().to_numpy())
        frames.append(kept[~bad_row])
    out = pd.concat(frames, ignore_index=True)
    out["changed_at"] = pd.to_datetime(out["changed_at"])
    order = ["deal_id", "field", "changed_at"]
    order += ["source_row"] if "source_row" in out else []
    return out.sort_values(order, kind="stable", ignore_index=True), problems


def _problem(source: str, row: dict[str, Any], name: str) -> Problem:
    return Problem(
        file=str(row.get("source_file") or source),
        row=int(row["source_row"]) if "source_row" in row else None,
        column=name,
        expected=f"a {name.replace('_', ' ')} the deals export could hold",
        got=f"{row['old_value']!r} -> {row['new_value']!r}",
        hint="the change is left out of the rebuilt weeks; check the history export's "
        "values (stage names of the deals' stage model, amounts, dates)",
    )


def _read_values(
    name: str,
    text: pd.Series,
    part: pd.DataFrame,
    models: pd.Series,
    cmap: ColumnMap | None,
    date_format: DateFormat,
) -> tuple[pd.Series, pd.Series]:
    """Canonical values of one field's cells (old values, then new), and the bad ones."""
    blank = text.isna()
    if name == "stage":
        deals = pd.concat([part["deal_id"], part["deal_id"]], ignore_index=True)
        values = pd.Series(None, index=text.index, dtype="object")
        for model_name in pd.unique(models):
            model = load_stage_model(str(model_name))
            table = model.alias_table(cmap.stage_aliases if cmap else None)
            mine = deals.map(models).eq(model_name)
            values[mine] = translate(text[mine], table, keep_unknown=False)
        return values, values.isna() & ~blank
    if name == "amount":
        amounts, bad = parse_amounts(text, cmap.decimal if cmap else ".")
        return amounts.fillna(0.0).where(~bad).astype("object"), bad | (amounts < 0)
    if name == "close_date":
        dates, bad = parse_dates(text, date_format)
        return dates.astype("object"), bad | (dates.isna() & ~blank)
    if name == "probability":
        numbers, bad = parse_probabilities(text)
        return numbers.astype("object"), bad
    if name == "forecast_category":
        table = dict(_CATEGORY_WORDS)
        words = cmap.values.get("forecast_category", {}) if cmap else {}
        table.update({normalize_label(k): v for k, v in words.items()})
        table.update({normalize_label(c): c for c in FORECAST_CATEGORIES})
        values = translate(text, table, keep_unknown=False).astype("object")
        return values, values.isna() & ~blank
    return text, pd.Series(False, index=text.index)


@dataclass(frozen=True)
class FieldChanges:
    """One field's changes as arrays, ordered by deal code, then time and file row."""

    code: np.ndarray
    at: np.ndarray
    old: np.ndarray
    new: np.ndarray
    old_known: np.ndarray

    @classmethod
    def of(cls, changes: pd.DataFrame) -> FieldChanges:
        return cls(
            changes["code"].to_numpy(),
            changes["changed_at"].to_numpy(dtype="datetime64[ns]"),
            changes["old"].to_numpy(dtype=object),
            changes["new"].to_numpy(dtype=object),
            changes["old_known"].to_numpy(dtype=bool),
        )

    def as_of(self, cutoff: pd.Timestamp, deals: int) -> tuple[np.ndarray, ...]:
        """Per deal code: the field's value at ``cutoff``, whether the history gives one
        (else the current value stays), and whether it is the first recorded value taken
        for the time before it (no old value recorded)."""
        early = self.at < cutoff.to_datetime64()
        value = np.full(deals, None, dtype=object)
        known = np.zeros(deals, dtype=bool)
        # the last change before the cutoff: the last row of each code among the early ones
        last = np.flatnonzero(early)
        last = last[np.r_[self.code[last][1:] != self.code[last][:-1], True]] if len(last) else last
        value[self.code[last]], known[self.code[last]] = self.new[last], True
        first = np.flatnonzero(~early)
        first = (
            first[np.r_[True, self.code[first][1:] != self.code[first][:-1]]]
            if len(first)
            else first
        )
        first = first[~known[self.code[first]]]  # deals with no change before the cutoff
        with_old = first[self.old_known[first]]
        value[self.code[with_old]], known[self.code[with_old]] = self.old[with_old], True
        guessed_rows = first[~self.old_known[first]]
        value[self.code[guessed_rows]], known[self.code[guessed_rows]] = (
            self.new[guessed_rows],
            True,
        )
        guessed = np.zeros(deals, dtype=bool)
        guessed[self.code[guessed_rows]] = True
        return value, known, guessed
