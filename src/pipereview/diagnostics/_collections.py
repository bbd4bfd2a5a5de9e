"""Collection of invoiced money (docs/collections.md; the method's step six, 跟踪实施与回款):
the collection rate (回款率), invoices overdue (逾期) and days sales outstanding
(应收账款周转天数, DSO), as of a week, from the ``invoices`` frame (one row per invoice,
its payments summed on it).

**What is known at the as-of moment.** A week stands for the end of the week (its Sunday,
:func:`~pipereview.diagnostics._figures.as_of_day`). An invoice dated after that day is
not known yet and is left out. A payment dated after it is not made yet: the invoice counts
as unpaid by it. A payment without a date counts as made (the export says the money came
in, not when). What an invoice still owes is its amount less what was paid, never below 0;
amounts are added in whole cents, so collected + outstanding = due exactly.

**One currency per team.** A team's invoices are added together only when they carry one
currency (blank currencies count as the team's one); a team whose invoices carry several
is set aside with the status ``mixed_currencies`` and no figures, never added up across
currencies (the deals export refuses such a team at ingest). Give each currency its own
team to see its figures.

>>> inv = pd.DataFrame({"team": "North", "owner": "Ann", "invoice_id": ["F1", "F2", "F3"],
...     "account": ["Acme", "Beta", "Core"], "currency": "EUR",
...     "invoice_date": pd.to_datetime(["2026-09-01", "2026-09-20", "2026-11-02"]),
...     "due_date": pd.to_datetime(["2026-10-01", "2026-10-20", "2026-12-02"]),
...     "amount": [1000.0, 500.0, 300.0], "paid_amount": [1000.0, 100.0, 0.0],
...     "paid_date": pd.to_datetime(["2026-10-05", "2026-11-01", None])})
>>> collection_rate(inv, "2026-W47")[["due_amount", "collected", "collection_rate", "status"]]
   due_amount  collected collection_rate     status
0      1500.0     1100.0        0.733333  below_min
>>> overdue_invoices(inv, "2026-W47")[["invoice_id", "days_overdue", "owed"]]
  invoice_id  days_overdue   owed
0         F2            33  400.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from pipereview.core._compare import less_than
from pipereview.core._errors import ConfigError, InputError
from pipereview.core._weeks import Week
from pipereview.diagnostics._figures import as_of_day

__all__ = [
    "COLLECTION_COLUMNS",
    "COLLECTION_STATUSES",
    "DSO_COLUMNS",
    "OVERDUE_COLUMNS",
    "CollectionSettings",
    "collection_rate",
    "days_sales_outstanding",
    "overdue_invoices",
    "team_currencies",
]

#: Columns of :func:`collection_rate` after the group columns, in order.
COLLECTION_COLUMNS: tuple[str, ...] = (
    "currency",
    "invoices_due",
    "due_amount",
    "collected",
    "outstanding",
    "collection_rate",
    "overdue_invoices",
    "overdue_amount",
    "status",
)
#: The ``status`` of a group in :func:`collection_rate`.
COLLECTION_STATUSES: tuple[str, ...] = ("ok", "below_min", "nothing_due", "mixed_currencies")
#: Columns of :func:`overdue_invoices` (those of the invoices frame it has, then the figures).
OVERDUE_COLUMNS: tuple[str, ...] = (
    "team",
    "invoice_id",
    "account",
    "deal_id",
    "owner",
    "currency",
    "invoice_date",
    "due_date",
    "amount",
    "paid_at_as_of",
    "owed",
    "days_overdue",
    "source_file",
    "source_row",
)
#: Columns of :func:`days_sales_outstanding`, in order.
DSO_COLUMNS: tuple[str, ...] = (
    "team",
    "currency",
    "receivables",
    "invoiced_in_window",
    "window_days",
    "dso",
    "reason",
)
_REQUIRED = ("team", "invoice_date", "due_date", "amount", "paid_amount", "paid_date")
_KEYS = {"team": ["team"], "rep": ["team", "owner"], "account": ["team", "account"]}


@dataclass(frozen=True)
class CollectionSettings:
    """When an unpaid invoice is a warning and how collection is judged (docs/collections.md).

    - ``overdue_days`` (30): an invoice with money still owed more than this many days
      past its due date is a warning (逾期超过30天); exactly 30 days is not yet;
    - ``dso_days`` (90): the window of days sales outstanding, the invoicing of the last
      90 days (a quarter) the receivables are measured against;
    - ``min_rate`` (0.9): a collection rate below it is flagged (``below_min``). Of what
      fell due, nine parts in ten collected is the usual floor for B2B project sales:
      the rest is normally a few invoices in acceptance or paperwork; below it, money is
      stuck with customers and the team should chase it. Exactly 0.9 is not flagged.

    >>> CollectionSettings(min_rate=1.5)
    Traceback (most recent call last):
    ...
    pipereview.core._errors.ConfigError: min_rate must be a share above 0 and at most 1, got 1.5
    Hint: set collections.min_rate to a share such as 0.9 (90% of what fell due collected)
    """

    overdue_days: int = 30
    dso_days: int = 90
    min_rate: float = 0.9

    def __post_init__(self) -> None:
        if self.overdue_days < 0:
            raise ConfigError(
                f"overdue_days must be at least 0, got {self.overdue_days}",
                hint="set collections.overdue_days to the days past due that make a warning, "
                "e.g. 30",
            )
        if self.dso_days < 1:
            raise ConfigError(
                f"dso_days must be at least 1, got {self.dso_days}",
                hint="set collections.dso_days to the days of invoicing DSO is measured "
                "against, e.g. 90",
            )
        if not 0 < self.min_rate <= 1:
            raise ConfigError(
                f"min_rate must be a share above 0 and at most 1, got {self.min_rate}",
                hint="set collections.min_rate to a share such as 0.9 (90% of what fell due "
                "collected)",
            )


def _known(invoices: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The invoices dated on or before ``day`` with ``amount_c``, ``paid_c`` (paid by
    ``day``) and ``owed_c`` in integer cents, ``is_due`` and ``days_overdue``."""
    missing = [c for c in _REQUIRED if c not in invoices.columns]
    if missing:
        raise InputError(
            f"the invoices frame has no column {', '.join(missing)}",
            column=missing[0],
            expected=f"the invoices columns {', '.join(_REQUIRED)}",
            hint="pass the invoices frame the invoices export is read into (docs/collections.md)",
        )
    frame = invoices.reindex(columns=list(dict.fromkeys([*invoices.columns, *OVERDUE_COLUMNS])))
    blank = frame[["invoice_date", "due_date", "amount"]].isna().any(axis=1)
    if blank.any():
        row = frame[blank].iloc[0]
        raise InputError(
            "an invoice without its invoice date, due date or amount cannot be judged",
            file=None if pd.isna(row["source_file"]) else str(row["source_file"]),
            row=None if pd.isna(row["source_row"]) else int(row["source_row"]),
            expected="invoice date, due date and amount on every invoice",
            hint="read the invoices export with its reader, which quarantines such rows",
        )
    frame = frame[frame["invoice_date"] <= day].copy()
    frame["amount_c"] = np.rint(frame["amount"].to_numpy(dtype=float) * 100).astype(np.int64)
    paid = np.rint(frame["paid_amount"].fillna(0.0).to_numpy(dtype=float) * 100)
    made = (frame["paid_date"].isna() | (frame["paid_date"] <= day)).to_numpy()
    frame["paid_c"] = np.where(made, paid, 0).astype(np.int64)
    frame["owed_c"] = np.maximum(frame["amount_c"] - frame["paid_c"], 0)
    frame["is_due"] = frame["due_date"] <= day
    frame["days_overdue"] = (day - frame["due_date"]).dt.days.astype("int64")
    return frame


def team_currencies(frame: pd.DataFrame) -> pd.DataFrame:
    """Per team (the index): its ``currency`` (the codes, joined with ", " when several;
    None when blank on every row) and ``mixed`` (several codes: not to be added up).

    >>> frame = pd.DataFrame({"team": ["N", "N", "S"], "currency": ["EUR", None, "USD"]})
    >>> team_currencies(frame).to_dict("index")
    {'N': {'currency': 'EUR', 'mixed': False}, 'S': {'currency': 'USD', 'mixed': False}}
    """
    given = frame["currency"] if "currency" in frame.columns else pd.Series(None, frame.index)
    codes = given.astype(object).where(given.notna(), None)
    codes = codes.map(lambda c: None if c is None or not str(c).strip() else str(c).strip())
    found = (
        frame.assign(_code=codes)
        .groupby("team", dropna=False, sort=True)["_code"]
        .agg(lambda s: sorted(set(s.dropna())))
    )
    return pd.DataFrame(
        {
            "currency": [", ".join(c) if c else None for c in found],
            "mixed": [len(c) > 1 for c in found],
        },
        index=found.index,
    )


def _restore_none(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``frame`` with None (not NaN) where the text columns ``keys`` are blank."""
    for key in keys:
        frame[key] = frame[key].astype(object).where(frame[key].notna(), None)
    return frame


def collection_rate(
    invoices: pd.DataFrame,
    as_of: Week | str,
    settings: CollectionSettings | None = None,
    *,
    by: Literal["team", "rep", "account"] = "team",
) -> pd.DataFrame:
    """The collection rate (回款率) per team (``by="rep"``: per team and owner,
    ``by="account"``: per team and account): of the invoices due on or before the as-of
    day, ``invoices_due``, ``due_amount``, ``collected`` (paid by the as-of day),
    ``outstanding`` (still owed), ``collection_rate`` = collected / due (None when
    nothing is due: status ``nothing_due``), ``overdue_invoices`` and ``overdue_amount``
    (owed more than ``overdue_days`` past due) and ``status`` (:data:`COLLECTION_STATUSES`:
    ``below_min`` when the rate is below ``min_rate``). A team with several currencies
    has ``mixed_currencies`` and no figures. Columns: the group's, then
    :data:`COLLECTION_COLUMNS`.

    >>> inv = pd.DataFrame({"team": "N", "invoice_date": pd.Timestamp("2026-11-20"),
    ...     "due_date": pd.Timestamp("2026-12-20"), "amount": [100.0],
    ...     "paid_amount": 0.0, "paid_date": pd.NaT})
    >>> collection_rate(inv, "2026-W47")[["due_amount", "collection_rate", "status"]]
       due_amount collection_rate       status
    0         0.0            None  nothing_due
    """
    settings = settings or CollectionSettings()
    if by not in _KEYS:
        raise InputError(
            f"by must be 'team', 'rep' or 'account', got {by!r}",
            expected="'team', 'rep' or 'account'",
            hint="pass by='team', by='rep' (per owner) or by='account'",
        )
    keys = _KEYS[by]
    frame = _known(invoices, as_of_day(as_of))
    if frame.empty:
        return pd.DataFrame(columns=[*keys, *COLLECTION_COLUMNS])
    due = frame[frame["is_due"]]
    overdue = due["days_overdue"] > settings.overdue_days
    due = due.assign(
        _over=(overdue & (due["owed_c"] > 0)).astype("int64"),
        _over_c=due["owed_c"].where(overdue & (due["owed_c"] > 0), 0),
    )
    sums = due.groupby(keys, dropna=False).agg(
        invoices_due=("amount_c", "size"),
        due_c=("amount_c", "sum"),
        owed_c=("owed_c", "sum"),
        overdue_invoices=("_over", "sum"),
        overdue_c=("_over_c", "sum"),
    )
    groups = frame[keys].drop_duplicates().set_index(keys).index
    out = sums.reindex(groups, fill_value=0).reset_index()
    out = out.join(team_currencies(frame), on="team")
    due_amount = out["due_c"] / 100.0
    out["due_amount"] = due_amount
    out["collected"] = (out["due_c"] - out["owed_c"]) / 100.0
    out["outstanding"] = out["owed_c"] / 100.0
    out["overdue_amount"] = out["overdue_c"] / 100.0
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = (out["due_c"] - out["owed_c"]) / out["due_c"].where(out["due_c"] != 0)
    out["collection_rate"] = rate.astype(object).where(rate.notna(), None)
    out["status"] = np.select(
        [out["mixed"], out["due_c"] == 0, less_than(rate, settings.min_rate)],
        ["mixed_currencies", "nothing_due", "below_min"],
        "ok",
    )
    figures = ["due_amount", "collected", "outstanding", "overdue_amount"]
    out.loc[out["mixed"], figures] = np.nan
    out.loc[out["mixed"], "collection_rate"] = None
    out = out.astype({"invoices_due": "int64", "overdue_invoices": "int64"})
    out = out.sort_values(keys, kind="stable", na_position="last").reset_index(drop=True)
    return _restore_none(out[[*keys, *COLLECTION_COLUMNS]], [*keys, "currency"])


def overdue_invoices(
    invoices: pd.DataFrame, as_of: Week | str, settings: CollectionSettings | None = None
) -> pd.DataFrame:
    """Each invoice that still owes money more than ``overdue_days`` past its due date as
    of the as-of day (a warning, 逾期): :data:`OVERDUE_COLUMNS`, with ``paid_at_as_of``
    (paid by the as-of day), ``owed`` and ``days_overdue``; the most owed first, then the
    longest overdue. An invoice exactly ``overdue_days`` past due is not listed yet.

    >>> inv = pd.DataFrame({"team": "N", "invoice_id": ["A", "B"],
    ...     "invoice_date": pd.Timestamp("2026-09-01"),
    ...     "due_date": pd.to_datetime(["2026-10-23", "2026-10-22"]), "amount": 100.0,
    ...     "paid_amount": 0.0, "paid_date": pd.NaT})
    >>> overdue_invoices(inv, "2026-W47")[["invoice_id", "days_overdue"]]
      invoice_id  days_overdue
    0          B            31
    """
    settings = settings or CollectionSettings()
    frame = _known(invoices, as_of_day(as_of))
    flagged = frame[
        frame["is_due"] & (frame["owed_c"] > 0) & (frame["days_overdue"] > settings.overdue_days)
    ]
    flagged = flagged.assign(
        paid_at_as_of=flagged["paid_c"] / 100.0, owed=flagged["owed_c"] / 100.0
    )
    flagged = flagged.sort_values(
        ["owed_c", "days_overdue", "team", "invoice_id"],
        ascending=[False, False, True, True],
        kind="stable",
        na_position="last",
    )
    text = ["team", "invoice_id", "account", "deal_id", "owner", "currency", "source_file"]
    return _restore_none(flagged[list(OVERDUE_COLUMNS)].reset_index(drop=True), text)


def days_sales_outstanding(
    invoices: pd.DataFrame, as_of: Week | str, settings: CollectionSettings | None = None
) -> pd.DataFrame:
    """Days sales outstanding (应收账款周转天数, DSO) per team as of the as-of day::

        DSO = receivables / invoiced in the window x window days

    ``receivables``: what every invoice dated on or before the as-of day still owes then
    (due or not); ``invoiced_in_window``: the amount of the invoices dated in the last
    ``dso_days`` days (the as-of day and the ``dso_days - 1`` days before it);
    ``window_days`` = ``dso_days``. ``dso`` is None with a ``reason`` when nothing was
    invoiced in the window (``nothing_invoiced``) or the team's invoices carry several
    currencies (``mixed_currencies``). Columns: :data:`DSO_COLUMNS`.

    Receivables of 300 against 900 invoiced in 90 days are 30 days of sales:

    >>> inv = pd.DataFrame({"team": "N", "invoice_date": pd.Timestamp("2026-11-01"),
    ...     "due_date": pd.Timestamp("2026-12-01"), "amount": [900.0],
    ...     "paid_amount": 600.0, "paid_date": pd.Timestamp("2026-11-10")})
    >>> days_sales_outstanding(inv, "2026-W47")[["receivables", "invoiced_in_window", "dso"]]
       receivables  invoiced_in_window   dso
    0        300.0               900.0  30.0
    """
    settings = settings or CollectionSettings()
    day = as_of_day(as_of)
    frame = _known(invoices, day)
    if frame.empty:
        return pd.DataFrame(columns=list(DSO_COLUMNS))
    start = day - pd.Timedelta(days=settings.dso_days)
    in_window = frame["amount_c"].where(frame["invoice_date"] > start, 0)
    sums = (
        frame.assign(_window=in_window)
        .groupby("team", dropna=False, sort=True)
        .agg(owed_c=("owed_c", "sum"), window_c=("_window", "sum"))
    )
    out = sums.join(team_currencies(frame)).reset_index()
    out["receivables"] = out["owed_c"] / 100.0
    out["invoiced_in_window"] = out["window_c"] / 100.0
    out["window_days"] = settings.dso_days
    nothing = out["window_c"] <= 0
    out["reason"] = np.select([out["mixed"], nothing], ["mixed_currencies", "nothing_invoiced"], "")
    with np.errstate(invalid="ignore", divide="ignore"):
        dso = out["owed_c"] / out["window_c"].where(~nothing) * settings.dso_days
    judged = out["reason"] == ""
    out["dso"] = dso.astype(object).where(judged, None)
    out["reason"] = out["reason"].astype(object).where(~judged, None)
    out.loc[out["mixed"], ["receivables", "invoiced_in_window"]] = np.nan
    return _restore_none(out[list(DSO_COLUMNS)], ["team", "currency"])
