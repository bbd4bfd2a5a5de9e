"""The accounts of a week by class, and each class's service level checked against the
activity on the accounts' open deals (docs/method.md §4).

:func:`account_classes` classes each team's accounts (:func:`~pipereview.diagnostics._accounts.abc_accounts`)
on the deals won in the ``revenue_weeks`` (52) ending on the as-of Sunday and the open
deals of the team's latest week. :func:`service_coverage` reads, per account with open
deals, the most recent activity on any of them (``days_since_contact``, whole days to the
as-of Sunday, as :func:`~pipereview.diagnostics._aging.deal_risks` counts them): an
account is **below its service level** when that is more than its class's contact
interval (``a_contact_days`` 14, ``b_contact_days`` 30, ``c_contact_days`` 91); exactly
at the interval is still covered. Without an activity date on any of its open deals the
account is not checked (``below_service`` <NA>).

>>> classes = pd.DataFrame({"team": "N", "account": ["Acme", "Beta"], "abc": ["A", "C"]})
>>> risks = pd.DataFrame({"team": "N", "account": ["Acme", "Acme", "Beta"],
...     "deal_id": ["D1", "D2", "D3"], "deal_name": ["MES", "WMS", "ERP"],
...     "owner": "Ann", "amount": [10.0, 20.0, 5.0],
...     "days_since_activity": [15.0, 30.0, 40.0]})
>>> service_coverage(classes, risks)[["account", "contact_days", "days_since_contact",
...     "below_service", "deal_ids"]]
  account  contact_days  days_since_contact  below_service  deal_ids
0    Acme            14                15.0           True  (D2, D1)
1    Beta            91                40.0          False     (D3,)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipereview.core._compare import more_than
from pipereview.core._weeks import Week
from pipereview.diagnostics._accounts import ABCSettings, abc_accounts
from pipereview.diagnostics._figures import as_of_day

__all__ = ["SERVICE_COLUMNS", "account_classes", "revenue_window", "service_coverage"]

#: Columns of :func:`service_coverage`' result after the group columns, in order.
SERVICE_COLUMNS: tuple[str, ...] = (
    "account",
    "abc",
    "contact_days",
    "open_deals",
    "days_since_contact",
    "below_service",
    "deal_ids",
    "deal_names",
    "owners",
)


def revenue_window(
    won: pd.DataFrame, as_of: Week | str, settings: ABCSettings | None = None
) -> pd.DataFrame:
    """The won deals of ``won`` whose close date lies in the ``revenue_weeks`` ending on
    the as-of Sunday (the day after the window's start to the Sunday, both counted).

    >>> won = pd.DataFrame({"close_date": pd.to_datetime(["2025-11-23", "2025-11-24"])})
    >>> revenue_window(won, "2026-W47")["close_date"].dt.date.tolist()
    [datetime.date(2025, 11, 24)]
    """
    settings = settings or ABCSettings()
    end = as_of_day(as_of)
    start = end - pd.Timedelta(weeks=settings.revenue_weeks)
    dates = won["close_date"]
    return won[(dates > start) & (dates <= end)]


def account_classes(
    won: pd.DataFrame,
    open_deals: pd.DataFrame,
    as_of: Week | str,
    settings: ABCSettings | None = None,
) -> pd.DataFrame:
    """Each team's accounts by class: the deals of ``won`` (e.g.
    :func:`~pipereview.diagnostics._forecast.won_deals` with any close date) in the
    :func:`revenue_window`, and ``open_deals`` (the latest week's), by
    :func:`~pipereview.diagnostics._accounts.abc_accounts`.

    >>> won = pd.DataFrame({"team": "N", "account": ["Acme", "Beta"], "amount": [900.0, 100.0],
    ...     "close_date": pd.Timestamp("2026-10-01")})
    >>> open_deals = pd.DataFrame({"team": "N", "account": ["Core"], "amount": [400.0]})
    >>> account_classes(won, open_deals, "2026-W47")[["account", "abc", "abc_reason"]]
      account abc abc_reason
    0    Acme   A      value
    1    Beta   C  no_growth
    2    Core   B   pipeline
    """
    settings = settings or ABCSettings()
    return abc_accounts(
        revenue_window(won, as_of, settings), open_deals=open_deals, settings=settings
    )


def service_coverage(
    classes: pd.DataFrame,
    risks: pd.DataFrame,
    *,
    settings: ABCSettings | None = None,
    group_columns: Sequence[str] = ("team",),
) -> pd.DataFrame:
    """One row per classed account with open deals in ``risks`` (open deals with
    ``days_since_activity``, e.g. :func:`~pipereview.diagnostics._aging.deal_risks`),
    columns ``group_columns`` then :data:`SERVICE_COLUMNS`: the class's ``contact_days``,
    the days since the latest activity on any of its open deals, ``below_service``
    (<NA>: no activity date) and its open deals, largest first (``deal_ids``,
    ``deal_names``, ``owners``). Accounts below their service level come first."""
    settings = settings or ABCSettings()
    keys = list(group_columns)
    account = risks["account"].astype("str").fillna("").str.strip()
    deals = risks.assign(account=account)[account != ""]
    deals = deals.sort_values(
        [*keys, "account", "amount"], ascending=[True] * (len(keys) + 1) + [False], kind="stable"
    )
    days = pd.to_numeric(deals["days_since_activity"], errors="coerce").astype(float)
    per = (
        deals.assign(_days=days, deal_id=deals["deal_id"].astype("object").fillna(""))
        .groupby([*keys, "account"])
        .agg(
            open_deals=("deal_name", "size"),
            days_since_contact=("_days", "min"),
            deal_ids=("deal_id", tuple),
            deal_names=("deal_name", tuple),
            owners=("owner", lambda o: tuple(dict.fromkeys(o))),
        )
        .reset_index()
    )
    per = per.merge(classes[[*keys, "account", "abc"]], on=[*keys, "account"], how="inner")
    per["contact_days"] = [settings.contact_days(c) for c in per["abc"]]
    known = per["days_since_contact"].notna()
    below = more_than(per["days_since_contact"].to_numpy(dtype=float), per["contact_days"])
    per["below_service"] = pd.Series(np.asarray(below), index=per.index).astype("boolean")
    per.loc[~known, "below_service"] = pd.NA
    per = per.sort_values(
        [*keys, "below_service", "abc", "account"],
        ascending=[True] * len(keys) + [False, True, True],
        na_position="last",
        kind="stable",
    )
    return per[[*keys, *SERVICE_COLUMNS]].reset_index(drop=True)
