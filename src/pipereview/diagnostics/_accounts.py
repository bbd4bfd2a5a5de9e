"""ABC classification of customers by won revenue (docs/method.md §4).

Accounts are ranked by won amount, largest first (ties: account name, then ascending);
an account is **A** while the revenue of the accounts ranked above it is below
``a_share`` of the total (so the account that crosses the line is still A), **B** while
it is below ``a_share + b_share``, else **C**. Deals without an account are left out
and counted in ``unassigned_deals``. The thresholds are repeated on every row.

>>> won = pd.DataFrame({"team": "North",
...     "account": ["Acme", "Beta", "Core", "Acme", "Dyn", "Eko"],
...     "amount": [500.0, 250.0, 150.0, 300.0, 60.0, 40.0]})
>>> abc_accounts(won)[["account", "won_amount", "cumulative_share", "abc"]]
  account  won_amount  cumulative_share abc
0    Acme       800.0          0.615385   A
1    Beta       250.0          0.807692   A
2    Core       150.0          0.923077   B
3     Dyn        60.0          0.969231   B
4     Eko        40.0          1.000000   C
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipereview.core._compare import less_than
from pipereview.core._errors import ConfigError, InputError
from pipereview.diagnostics._grouping import group_columns_of

__all__ = ["ABC_COLUMNS", "ABCSettings", "abc_accounts", "abc_summary"]

#: Columns of :func:`abc_accounts`' result after the group columns, in order.
ABC_COLUMNS: tuple[str, ...] = (
    "account",
    "deals",
    "won_amount",
    "rank",
    "share",
    "cumulative_share",
    "abc",
    "a_share",
    "b_share",
    "unassigned_deals",
)


@dataclass(frozen=True)
class ABCSettings:
    """Where the classes split: ``a_share`` (0.80) of revenue makes the A accounts, the
    next ``b_share`` (0.15) the B accounts, the rest (about 5%) the C accounts."""

    a_share: float = 0.80
    b_share: float = 0.15

    def __post_init__(self) -> None:
        if not (self.a_share > 0 and self.b_share >= 0 and self.a_share + self.b_share <= 1):
            raise ConfigError(
                "need 0 < a_share, 0 <= b_share, a_share + b_share <= 1; got "
                f"{self.a_share}, {self.b_share}",
                hint="set accounts.a_share above 0 and accounts.b_share so that "
                "the two add up to 1 at most (defaults 0.80 and 0.15)",
            )


def abc_accounts(
    won: pd.DataFrame,
    *,
    group_columns: Sequence[str] = ("team",),
    settings: ABCSettings | None = None,
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per group and account of ``won`` (won deals, e.g.
    :func:`pipereview.diagnostics._forecast.won_deals`), columns ``group_columns`` then
    :data:`ABC_COLUMNS` (``by=``, the old name of ``group_columns``, is deprecated).

    Groups are classified on their own (one currency each: group by team, or by
    currency). ``won`` is not modified.
    """
    settings = settings or ABCSettings()
    keys = group_columns_of("abc_accounts", by, group_columns)
    if not keys:
        raise InputError(
            "group_columns must name at least one column, e.g. ('team',)",
            expected="a column to group by",
            hint="pass group_columns=('team',), or group_columns=('currency',) "
            "to classify per currency",
        )
    account = won["account"].astype("str").fillna("").str.strip()
    named = won.assign(account=account)[account != ""]
    unassigned = won[account == ""].groupby(keys).size()
    cents = np.rint(named["amount"].to_numpy(dtype=float) * 100).astype(np.int64)
    per = (
        named.assign(cents=cents)
        .groupby([*keys, "account"], as_index=False)
        .agg(deals=("cents", "size"), cents=("cents", "sum"))
    )
    per = per.assign(_neg=-per["cents"]).sort_values([*keys, "_neg", "account"], kind="stable")
    groups = per.groupby(keys, sort=False)["cents"]
    total = groups.transform("sum")
    cumulative = groups.cumsum()
    before = cumulative - per["cents"]
    per["won_amount"] = per["cents"] / 100.0
    per["rank"] = per.groupby(keys).cumcount() + 1
    per["share"] = per["cents"] / total
    per["cumulative_share"] = cumulative / total
    a_line, b_line = settings.a_share, settings.a_share + settings.b_share
    per["abc"] = np.select(
        [less_than(before, a_line * total), less_than(before, b_line * total)], ["A", "B"], "C"
    )
    per["a_share"], per["b_share"] = settings.a_share, settings.b_share
    per = per.join(unassigned.rename("unassigned_deals"), on=keys)
    per = per.fillna({"unassigned_deals": 0}).astype({"unassigned_deals": "int64"})
    return per[[*keys, *ABC_COLUMNS]].reset_index(drop=True)


def abc_summary(
    classes: pd.DataFrame,
    *,
    group_columns: Sequence[str] = ("team",),
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per group and class: ``accounts``, ``deals``, ``won_amount``, ``account_share``
    and ``revenue_share`` (how close the A class is to the 20% / 80% rule); grouped by
    ``group_columns`` (``by=``, its old name, is deprecated).

    >>> won = pd.DataFrame({"team": "N", "account": list("abcde"), "amount": [80.0, 8, 6, 4, 2]})
    >>> abc_summary(abc_accounts(won))[["abc", "accounts", "account_share", "revenue_share"]]
      abc  accounts  account_share  revenue_share
    0   A         1            0.2           0.80
    1   B         3            0.6           0.18
    2   C         1            0.2           0.02
    """
    keys = group_columns_of("abc_summary", by, group_columns)
    out = classes.groupby([*keys, "abc"], as_index=False).agg(
        accounts=("account", "size"), deals=("deals", "sum"), won_amount=("won_amount", "sum")
    )
    totals = out.groupby(keys)[["accounts", "won_amount"]].transform("sum")
    out["account_share"] = out["accounts"] / totals["accounts"]
    out["revenue_share"] = (out["won_amount"] / totals["won_amount"]).round(12)
    return out
