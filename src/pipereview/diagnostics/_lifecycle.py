"""The customer lifecycle (客户生命周期, docs/collections.md): each account's stage —
introduction (引入期), growth (成长期), maturity (成熟期) or decline (衰退期) — from its
revenue over the last two years, as of a week.

**Revenue** is what the account was invoiced, by invoice date, when an invoices frame is
given; else its won deals, by close date, from the deals history (the won-revenue reading
of the ABC classes, :func:`~pipereview.diagnostics._forecast.won_deals`). Nothing dated
after the as-of day (the Sunday ending the week) counts; rows without an account are not
any account's revenue and are left out.

**Quarters** count back from the as-of day, three calendar months each: the last four
quarters are the twelve months up to the as-of day, the four before them the twelve
months before that, so the two compare like with like and no quarter is half over.

**Stages**, with :class:`LifecycleSettings`:

1. *introduction*: the account's first revenue lies within the last ``new_quarters``
   quarters — and the team's revenue reaches further back, else whether it bought
   before cannot be told;
2. an account whose revenue reaches fewer than eight quarters back is not judged further:
   ``not_enough_history`` ("not enough history: N quarters stored"), never guessed;
3. *growth*: revenue of the last four quarters more than ``growth`` above the four before
   (or revenue now after none then); *decline*: more than ``decline`` below them (or no
   revenue in either); *maturity*: in between, both bounds included.

A team whose revenue carries several currencies is set aside (``mixed_currencies``).

>>> inv = pd.DataFrame({"team": "N", "account": ["Acme", "Acme", "Beta"],
...     "invoice_date": pd.to_datetime(["2024-12-01", "2026-01-15", "2026-06-01"]),
...     "amount": [100.0, 120.0, 50.0], "currency": "EUR"})
>>> customer_lifecycle(inv, as_of="2026-W47")[["account", "quarters_stored", "change", "stage"]]
  account  quarters_stored change         stage
0    Acme                8    0.2        growth
1    Beta                2   None  introduction
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipereview.core._compare import less_than, more_than
from pipereview.core._errors import ConfigError, InputError
from pipereview.core._weeks import Week
from pipereview.diagnostics._collections import team_currencies
from pipereview.diagnostics._figures import as_of_day
from pipereview.diagnostics._forecast import won_deals
from pipereview.history._prepared import PreparedHistory

__all__ = ["LIFECYCLE_COLUMNS", "WINDOW_QUARTERS", "LifecycleSettings", "customer_lifecycle"]

#: Columns of :func:`customer_lifecycle`, in order.
LIFECYCLE_COLUMNS: tuple[str, ...] = (
    "team",
    "account",
    "currency",
    "first_revenue_date",
    "quarters_stored",
    "revenue_last_4q",
    "revenue_prior_4q",
    "change",
    "stage",
    "source",
)
#: The quarters of one comparison window; growth compares two of them, so an account is
#: judged on at least twice this many quarters of revenue.
WINDOW_QUARTERS = 4
_MONTHS_PER_QUARTER = 3


@dataclass(frozen=True)
class LifecycleSettings:
    """Where the lifecycle stages split (docs/collections.md).

    - ``growth`` (0.10): revenue of the last four quarters more than 10% above the four
      before is growth (成长期);
    - ``decline`` (0.10): more than 10% below is decline (衰退期); in between is maturity
      (成熟期);
    - ``new_quarters`` (4): a customer whose first revenue lies within the last four
      quarters is in introduction (引入期).

    >>> LifecycleSettings(decline=1.0)
    Traceback (most recent call last):
    ...
    pipereview.core._errors.ConfigError: decline must be at least 0 and below 1, got 1.0
    Hint: set lifecycle.decline to a share such as 0.10 (revenue 10% below the year before)
    """

    growth: float = 0.10
    decline: float = 0.10
    new_quarters: int = 4

    def __post_init__(self) -> None:
        if self.growth < 0:
            raise ConfigError(
                f"growth must be at least 0, got {self.growth}",
                hint="set lifecycle.growth to a share such as 0.10 "
                "(revenue 10% above the year before)",
            )
        if not 0 <= self.decline < 1:
            raise ConfigError(
                f"decline must be at least 0 and below 1, got {self.decline}",
                hint="set lifecycle.decline to a share such as 0.10 "
                "(revenue 10% below the year before)",
            )
        if self.new_quarters < 1:
            raise ConfigError(
                f"new_quarters must be at least 1, got {self.new_quarters}",
                hint="set lifecycle.new_quarters to the quarters a new customer stays in "
                "introduction, e.g. 4",
            )


def _revenue(
    invoices: pd.DataFrame | None,
    history: pd.DataFrame | PreparedHistory | None,
    as_of: Week | str,
) -> tuple[pd.DataFrame, str]:
    """``team``, ``account``, ``currency``, ``date`` and ``cents`` of each revenue row up
    to the as-of day, and the source's name."""
    if invoices is not None:
        needed, date, source = (
            ("team", "account", "invoice_date", "amount"),
            "invoice_date",
            "invoices",
        )
        frame = invoices
    elif history is not None:
        frame = won_deals(history, None, as_of)
        needed, date, source = (
            ("team", "account", "close_date", "amount"),
            "close_date",
            "won_deals",
        )
    else:
        raise InputError(
            "the customer lifecycle needs revenue: an invoices frame or the deals history",
            expected="invoices= or history=",
            hint="pass invoices= (the invoices export) or history= (the keyed deals history)",
        )
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputError(
            f"the {source.replace('_', ' ')} frame has no column {', '.join(missing)}",
            column=missing[0],
            expected=", ".join(needed),
            hint="pass the frame the export or the store is read into (docs/collections.md)",
        )
    rows = pd.DataFrame(
        {
            "team": frame["team"].astype(object),
            "account": frame["account"].astype(object),
            "currency": frame["currency"] if "currency" in frame.columns else None,
            "date": pd.to_datetime(frame[date]).dt.normalize(),
            "amount": frame["amount"].astype(float),
        }
    )
    rows = rows[rows["date"].notna() & rows["amount"].notna() & (rows["date"] <= as_of_day(as_of))]
    rows = rows.assign(cents=np.rint(rows["amount"].to_numpy() * 100).astype(np.int64))
    return rows, source


def _quarters_back(dates: pd.Series, day: pd.Timestamp) -> pd.Series:
    """The trailing quarter (1: the three months up to ``day``) each date lies in."""
    if dates.empty:
        return pd.Series(np.zeros(0, dtype=np.int64), index=dates.index)
    span = (day - dates.min()).days // 28 + 2  # more quarters than the data covers
    bounds = [day - pd.DateOffset(months=_MONTHS_PER_QUARTER * k) for k in range(span, 0, -1)]
    ascending = np.array(bounds, dtype="datetime64[ns]")
    before = len(ascending) - np.searchsorted(ascending, dates.to_numpy(), side="left")
    return pd.Series(before + 1, index=dates.index).astype("int64")


def _stages(per: pd.DataFrame, settings: LifecycleSettings) -> tuple[pd.Series, pd.Series]:
    """Each account's stage and its change (NaN without prior revenue)."""
    last, prior = per["last_c"], per["prior_c"]
    change = pd.Series(np.nan, index=per.index)
    has_prior = prior > 0
    change[has_prior] = last[has_prior] / prior[has_prior] - 1
    new = per["quarters_stored"] <= settings.new_quarters
    told = per["team_quarters"] > settings.new_quarters
    short = per["quarters_stored"] < 2 * WINDOW_QUARTERS
    growth = (~has_prior & (last > 0)) | more_than(change, settings.growth)
    decline = (~has_prior & (last <= 0)) | less_than(change, -settings.decline)
    return pd.Series(
        np.select(
            [per["mixed"], new & told, new | short, growth, decline],
            ["mixed_currencies", "introduction", "not_enough_history", "growth", "decline"],
            "maturity",
        ),
        index=per.index,
    ), change


def customer_lifecycle(
    invoices: pd.DataFrame | None = None,
    history: pd.DataFrame | PreparedHistory | None = None,
    *,
    as_of: Week | str,
    settings: LifecycleSettings | None = None,
) -> pd.DataFrame:
    """One row per team and account with revenue up to the as-of week: its
    ``first_revenue_date``, ``quarters_stored`` (the trailing quarters from its first
    revenue to the as-of day), ``revenue_last_4q`` and ``revenue_prior_4q``, ``change``
    (last / prior - 1; None without prior revenue), the ``stage``
    (:data:`~pipereview.diagnostics._collectiontexts.LIFECYCLE_STAGES`) and the ``source``
    (``invoices``: invoiced revenue by invoice date, when ``invoices`` is given; else
    ``won_deals``: won deals by close date from ``history``). Columns:
    :data:`LIFECYCLE_COLUMNS`, teams and accounts in order.

    >>> h = pd.DataFrame({"snapshot_week": "2026-W47", "team": "N", "deal_id": ["a", "b"],
    ...     "account": "Acme", "stage": "won", "stage_model": "generic_4",
    ...     "amount": [100.0, 80.0], "currency": "EUR",
    ...     "close_date": pd.to_datetime(["2024-12-01", "2026-02-01"])})
    >>> customer_lifecycle(history=h, as_of="2026-W47")[["change", "stage", "source"]]
      change    stage     source
    0   -0.2  decline  won_deals
    """
    settings = settings or LifecycleSettings()
    day = as_of_day(as_of)
    rows, source = _revenue(invoices, history, as_of)
    named = rows["account"].notna() & rows["account"].astype(str).str.strip().ne("")
    if not named.any():
        return pd.DataFrame(columns=list(LIFECYCLE_COLUMNS))
    rows = rows.assign(quarter=_quarters_back(rows["date"], day))
    team_quarters = rows.groupby("team", dropna=False)["quarter"].max().rename("team_quarters")
    currencies = team_currencies(rows)
    rows = rows[named].assign(account=rows["account"].astype(str).str.strip())
    window = rows["quarter"] <= WINDOW_QUARTERS
    prior = ~window & (rows["quarter"] <= 2 * WINDOW_QUARTERS)
    per = (
        rows.assign(last_c=rows["cents"].where(window, 0), prior_c=rows["cents"].where(prior, 0))
        .groupby(["team", "account"], dropna=False, sort=True)
        .agg(
            first_revenue_date=("date", "min"),
            quarters_stored=("quarter", "max"),
            last_c=("last_c", "sum"),
            prior_c=("prior_c", "sum"),
        )
        .reset_index()
    )
    per = per.join(team_quarters, on="team").join(currencies, on="team")
    stage, change = _stages(per, settings)
    per["stage"] = stage
    judged = stage.isin(["growth", "maturity", "decline"]) & change.notna()
    per["change"] = change.round(12).astype(object).where(judged, None)
    per["revenue_last_4q"] = per["last_c"] / 100.0
    per["revenue_prior_4q"] = per["prior_c"] / 100.0
    per["source"] = source
    per["team"] = per["team"].astype(object).where(per["team"].notna(), None)
    return per[list(LIFECYCLE_COLUMNS)].reset_index(drop=True)
