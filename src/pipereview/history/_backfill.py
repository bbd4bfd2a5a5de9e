"""Past weeks rebuilt from a CRM's change history: a quarter of changes on day one.

A team that starts with pipereview has one export: this week's. The CRM kept how each
deal got there (Salesforce ``OpportunityHistory``, HubSpot's "date entered" stages and
property history, Odoo's tracking values): :func:`backfill_weeks` turns the current
export's snapshot and that change log (one row per change: ``deal_id``, ``field``,
``old_value``, ``new_value``, ``changed_at``, values as the export writes them) into the
snapshot each past week's export would have been, as of the end of the week (the Sunday,
the as-of day of every week's figures):

- a deal is in week W when it was created before W ended; a deal the current export no
  longer holds (deleted, merged) cannot be rebuilt and is counted (``not_in_export``);
- each field the history tracks takes the value of its last change before W ended; before
  the first change, the change's old value; a deal with no change of the field keeps its
  current value. Where the history gives no old value (HubSpot's "date entered" stages),
  the time before the first change takes the first recorded value and is counted
  (``assumed``);
- a field the history never changes is carried from the current export (``carried``);
  fields a history cannot give for the past (the last activity, the next step, the
  evidence fields, a probability or forecast category it does not track) are left blank,
  so every figure that needs them says it was not checked (``unknown``);
- closed deals carry their outcome from the change that closed them; a loss reason is kept
  in the weeks the deal was already lost.

Values are read as the export's own cells are (stage names through the stage model and the
column map's aliases, amounts, dates in the history's day/month order); a change whose
value cannot be read is set aside with a :class:`~pipereview.core._errors.Problem`.

>>> current = pd.DataFrame({"snapshot_week": "2026-W49", "team": "North", "deal_id": ["D1"],
...     "deal_name": "MES", "account": "Acme", "owner": "Ann", "stage": "won",
...     "stage_model": "generic_4", "amount": 120.0, "currency": "USD",
...     "close_date": pd.Timestamp("2026-11-26"), "created_date": pd.Timestamp("2026-10-05"),
...     "probability": 1.0, "forecast_category": "closed", "last_activity_date":
...     pd.Timestamp("2026-11-26"), "next_step": "", "account_missing": False,
...     "source_file": "deals.csv", "source_row": 2})
>>> changes = pd.DataFrame({"deal_id": "D1", "field": ["stage", "amount", "stage"],
...     "old_value": [None, "100", "Negotiation"], "new_value": ["Negotiation", "120", "Won"],
...     "changed_at": pd.to_datetime(["2026-10-05", "2026-11-11", "2026-11-26"])})
>>> rebuilt = backfill_weeks(current, changes, weeks=["2026-W40", "2026-W45", "2026-W48"])
>>> rebuilt.weeks["2026-W40"].empty
True
>>> [(w, f.loc[0, "stage"], float(f.loc[0, "amount"])) for w, f in list(rebuilt.weeks.items())[1:]]
[('2026-W45', 'negotiation', 100.0), ('2026-W48', 'won', 120.0)]
>>> rebuilt.fields_from_history, rebuilt.weeks["2026-W45"].loc[0, "last_activity_date"]
(('stage', 'amount'), NaT)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipereview.core._errors import InputError, Problem
from pipereview.core._stages import EVIDENCE_FLAG_FIELDS, EVIDENCE_TEXT_FIELDS
from pipereview.core._weeks import Week
from pipereview.history._backfillvalues import FieldChanges, parsed_changes
from pipereview.ingest._columnmaps import ColumnMap, load_column_map
from pipereview.ingest._dates import DateFormat

__all__ = [
    "HISTORY_FIELDS",
    "REMOVAL_FIELDS",
    "Backfill",
    "backfill_weeks",
    "week_cutoff",
]

#: The deal fields a change history can give for past weeks, in the order they are rebuilt.
HISTORY_FIELDS: tuple[str, ...] = (
    "stage",
    "amount",
    "close_date",
    "probability",
    "forecast_category",
    "owner",
    "deal_name",
)
#: Changes that end a deal in the CRM rather than change it.
REMOVAL_FIELDS: tuple[str, ...] = ("deleted", "merged_into")
#: Fields no change history gives for the past: blank in a rebuilt week unless tracked.
_ALWAYS_UNKNOWN: tuple[str, ...] = ("last_activity_date", "next_step")
#: Optional history fields left blank (not carried) when the history does not track them.
_BLANK_UNLESS_TRACKED: tuple[str, ...] = ("probability", "forecast_category")
#: Salesforce record IDs: 18 characters from the API, their first 15 in reports.
_SALESFORCE_ID, _SALESFORCE_SHORT_ID = 18, 15


@dataclass(frozen=True)
class Backfill:
    """The weeks rebuilt from a change history, and what they could not know.

    ``weeks`` maps each ISO week (oldest first) to its canonical snapshot;
    ``fields_from_history`` the fields the history changes, ``carried`` the fields taken
    from the current export, ``unknown`` the fields left blank; ``not_in_export`` the
    deals the history names that the current export does not hold, ``removed`` the
    deleted and merged ones among them (``deal_id``, ``how``, ``into``, ``at``);
    ``assumed`` the deal-weeks where a field before its first recorded change took the
    first recorded value; ``problems`` the changes set aside.
    """

    weeks: dict[str, pd.DataFrame]
    fields_from_history: tuple[str, ...]
    carried: tuple[str, ...]
    unknown: tuple[str, ...]
    changes_used: int
    not_in_export: tuple[str, ...] = ()
    removed: pd.DataFrame = field(default_factory=pd.DataFrame)
    assumed: int = 0
    problems: tuple[Problem, ...] = ()

    def record(self, source: str) -> dict[str, object]:
        """What a stored backfilled week records about itself (see ``SnapshotStore.add``)."""
        return {
            "history": source,
            "fields_from_history": list(self.fields_from_history),
            "carried": list(self.carried),
            "unknown": list(self.unknown),
        }


def week_cutoff(week: str | Week) -> pd.Timestamp:
    """The first moment after ``week``: a change before it counts in the week.

    >>> week_cutoff("2026-W47")
    Timestamp('2026-11-23 00:00:00')
    """
    week = week if isinstance(week, Week) else Week.parse(week)
    return pd.Timestamp(week.sunday) + pd.Timedelta(days=1)


def backfill_weeks(
    current: pd.DataFrame,
    changes: pd.DataFrame,
    *,
    weeks: Iterable[str | Week],
    date_format: DateFormat = "iso",
    column_map: str | ColumnMap | None = None,
    source: str = "history",
) -> Backfill:
    """The snapshots of ``weeks`` rebuilt from ``current`` (one week's canonical snapshot)
    and ``changes`` (the change log; see the module docstring). ``date_format`` is how the
    history writes date values, ``column_map`` the deals export's map (its stage aliases
    and forecast words; its decimal mark)."""
    cmap = load_column_map(column_map) if isinstance(column_map, str) else column_map
    chosen = sorted({Week.parse(str(w)) for w in weeks})
    if current.empty:
        raise InputError(
            "the current export holds no deal to rebuild past weeks from",
            hint="backfill from the latest full deals export of the CRM",
        )
    ids = _current_ids(current)
    linked = _link_ids(changes, ids)
    in_export = linked["deal_id"].isin(ids)
    outside = tuple(sorted(set(linked.loc[~in_export, "deal_id"].astype(str))))
    removed = _removals(linked[~in_export])
    usable = linked[in_export & linked["field"].isin(HISTORY_FIELDS)]
    if not (usable["field"] == "stage").any():
        raise InputError(
            f"{source}: the history holds no stage change of a deal in the current export",
            hint="export the stage history (Salesforce Opportunity History, HubSpot's "
            "'Date entered' stage columns, Odoo's tracking values); a backfill needs the "
            "stage each deal had in each week",
        )
    parsed, problems = parsed_changes(usable, current, cmap, date_format, source)
    tracked = tuple(f for f in HISTORY_FIELDS if (parsed["field"] == f).any())
    unknown = _unknown_fields(current, tracked)
    carried = tuple(f for f in HISTORY_FIELDS if f not in tracked and f not in unknown)
    parsed["code"] = ids.get_indexer(pd.Index(parsed["deal_id"]))
    parsed = parsed.sort_values(["code", "changed_at"], kind="stable", ignore_index=True)
    by_field = {f: FieldChanges.of(parsed[parsed["field"] == f]) for f in tracked}
    out: dict[str, pd.DataFrame] = {}
    assumed = 0
    for week in chosen:
        frame, guessed = _week_frame(current, by_field, week, unknown, source)
        out[str(week)] = frame
        assumed += guessed
    return Backfill(
        weeks=out,
        fields_from_history=tracked,
        carried=carried,
        unknown=unknown,
        changes_used=len(parsed),
        not_in_export=outside,
        removed=removed,
        assumed=assumed,
        problems=tuple(problems),
    )


def _current_ids(current: pd.DataFrame) -> pd.Index:
    ids = current["deal_id"].astype("str").str.strip()
    if current["deal_id"].isna().any() or (ids == "").any():
        raise InputError(
            "the current export has deals without an ID: a change history is matched to "
            "deals by their CRM ID",
            column="deal_id",
            hint="export the deals with their record ID (Salesforce Opportunity ID, "
            "HubSpot Record ID)",
        )
    return pd.Index(ids)


def _link_ids(changes: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    """``changes`` with each deal ID as the current export writes it: Salesforce reports
    print 15-character IDs where the API and Data Loader print 18 (the same ID and a
    3-character case suffix)."""
    out = changes.copy()
    out["deal_id"] = out["deal_id"].astype("str").str.strip()
    long = ids[ids.str.len() == _SALESFORCE_ID]
    if len(long):
        short = pd.Series(long, index=long.str[:_SALESFORCE_SHORT_ID])
        short = short[~short.index.duplicated(keep=False)]
        fifteen = (out["deal_id"].str.len() == _SALESFORCE_SHORT_ID) & ~out["deal_id"].isin(ids)
        out.loc[fifteen, "deal_id"] = (
            out.loc[fifteen, "deal_id"].map(short).fillna(out.loc[fifteen, "deal_id"])
        )
    return out


def _removals(changes: pd.DataFrame) -> pd.DataFrame:
    ends = changes[changes["field"].isin(REMOVAL_FIELDS)]
    return pd.DataFrame(
        {
            "deal_id": ends["deal_id"].astype("str").to_numpy(),
            "how": np.where(ends["field"] == "deleted", "deleted", "merged"),
            "into": [
                str(v) if f == "merged_into" else None
                for f, v in zip(ends["field"], ends["new_value"], strict=True)
            ],
            "at": pd.to_datetime(ends["changed_at"]).to_numpy(),
        }
    )


def _unknown_fields(current: pd.DataFrame, tracked: Sequence[str]) -> tuple[str, ...]:
    evidence = [c for c in (*EVIDENCE_FLAG_FIELDS, *EVIDENCE_TEXT_FIELDS) if c in current]
    blank = [f for f in _BLANK_UNLESS_TRACKED if f not in tracked]
    return (*_ALWAYS_UNKNOWN, *blank, *evidence)


def _week_frame(
    current: pd.DataFrame,
    by_field: dict[str, FieldChanges],
    week: Week,
    unknown: Sequence[str],
    source: str,
) -> tuple[pd.DataFrame, int]:
    """One rebuilt week, and how many of its values took the first recorded value."""
    cutoff = week_cutoff(week)
    mine = (current["created_date"] < cutoff).to_numpy()
    frame = current[mine].copy()
    frame["snapshot_week"] = str(week)
    rows = np.flatnonzero(mine)  # the rows' positions in ``current``: their deal codes
    assumed = 0
    for name, changes in by_field.items():
        values, known, guessed = changes.as_of(cutoff, len(current))
        column = frame[name].astype("object").to_numpy(copy=True)
        column[known[rows]] = values[rows][known[rows]]
        frame[name] = pd.Series(column, index=frame.index).astype(current[name].dtype)
        assumed += int(guessed[rows].sum())
    for name in unknown:
        frame[name] = pd.Series(index=frame.index, dtype=current[name].dtype)
    if "loss_reason" in frame:  # a loss reason belongs to the weeks the deal was lost
        lost = frame["stage"].astype("str").eq(current.loc[frame.index, "stage"].astype("str"))
        frame["loss_reason"] = frame["loss_reason"].where(lost)
    frame["source_file"] = f"{source} (backfill)"
    return frame.reset_index(drop=True), assumed
