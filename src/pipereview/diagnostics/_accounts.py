"""ABC classification of customers by value and potential (docs/method.md §4).

**A** (value): accounts are ranked by won amount, largest first (ties: account name); an
account is in the value line while the revenue of the accounts ranked above it is below
``a_share`` of the total (the account that crosses the line is still in it). The A class
holds the accounts of the value line among the first ``a_accounts`` of the accounts with
revenue (rounded down, at least one), and never splits equal revenue: when an account
left out has the revenue of the smallest A account, all accounts with that revenue stay
out (``a_note`` says ``cap`` or ``tie``). Flat revenue therefore makes no account A.

**B** (potential): of the accounts outside A whose *growth room* is at least ``b_growth``
of their own won revenue, the ones with the largest room, at most ``b_accounts`` of the
team's accounts (rounded down, at least one; equal room never split: the others are
``abc_reason`` ``b_cap``). The room is its ``account_potential`` less its won revenue (``growth_source``
``potential``), or, without a potential for it, its open pipeline, unweighted
(``pipeline``). ``b_rule`` says which rule classed the group: ``potential`` (the export
has the column), ``pipeline`` (open deals given, no potential column) or ``revenue``
(neither: B is then the next ``b_share`` of revenue, the value reading alone).

**C**: the rest (standard service). Deals (won or open) without an account are counted in
``unassigned_deals``, never classed.

>>> won = pd.DataFrame({"team": "North",
...     "account": ["Acme", "Beta", "Core", "Acme", "Dyn", "Eko"],
...     "amount": [500.0, 250.0, 150.0, 300.0, 60.0, 40.0]})
>>> abc_accounts(won)[["account", "won_amount", "cumulative_share", "abc", "abc_reason"]]
  account  won_amount  cumulative_share abc abc_reason
0    Acme       800.0          0.615385   A      value
1    Beta       250.0          0.807692   B    revenue
2    Core       150.0          0.923077   B    revenue
3     Dyn        60.0          0.969231   B    revenue
4     Eko        40.0          1.000000   C    revenue
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipereview.core._compare import at_least, at_most, less_than
from pipereview.core._errors import ConfigError, InputError
from pipereview.core._languages import check_language
from pipereview.diagnostics._grouping import group_columns_of

__all__ = ["ABC_COLUMNS", "ABCSettings", "ServiceLevel", "abc_accounts", "abc_summary"]

#: Columns of :func:`abc_accounts`' result after the group columns, in order.
ABC_COLUMNS: tuple[str, ...] = (
    "account",
    "deals",
    "won_amount",
    "rank",
    "share",
    "cumulative_share",
    "open_deals",
    "open_amount",
    "potential",
    "growth_room",
    "growth_source",
    "abc",
    "abc_reason",
    "a_note",
    "b_rule",
    "a_share",
    "b_share",
    "unassigned_deals",
)


@dataclass(frozen=True)
class ServiceLevel:
    """The service the method gives a class of accounts, in words (``en``, ``zh``); the
    contact interval is a setting of its own (``a_contact_days`` …)."""

    en: str
    zh: str

    def __post_init__(self) -> None:
        if not (isinstance(self.en, str) and self.en.strip() and self.zh.strip()):
            raise ConfigError(
                f"a service level needs words in both languages, got {self.en!r}, {self.zh!r}",
                hint="write accounts.a_service (b_service, c_service) as "
                "{en: 'senior owner, frequent coverage', zh: '资深销售负责，高频覆盖'}",
            )


@dataclass(frozen=True)
class ABCSettings:
    """Where the classes split and the service each class gets (docs/forecast.md).

    - ``a_share`` (0.80): the value line, a share of the team's won revenue;
    - ``a_accounts`` (0.20): the A class holds at most this share of the accounts with
      revenue (rounded down, at least one);
    - ``b_growth`` (0.5): growth room, as a share of the account's won revenue, that
      makes an account a B candidate; ``b_accounts`` (0.30): B holds the candidates with
      the largest room, at most this share of the accounts (rounded down, at least one);
    - ``b_share`` (0.15): without potential or pipeline, B is the next ``b_share`` of revenue;
    - ``revenue_weeks`` (52): the weeks of won revenue classed (to the as-of Sunday);
    - ``a_contact_days`` (14), ``b_contact_days`` (30), ``c_contact_days`` (91): the
      longest time without activity on an account's open deals its class allows;
    - ``a_service``, ``b_service``, ``c_service``: the service in words (:class:`ServiceLevel`).

    >>> ABCSettings(a_contact_days=40)
    Traceback (most recent call last):
    ...
    pipereview.core._errors.ConfigError: contact days must grow from A to C: A 40, B 30, C 91
    Hint: set accounts.a_contact_days <= b_contact_days <= c_contact_days (A is covered most often)
    """

    a_share: float = 0.80
    a_accounts: float = 0.20
    b_share: float = 0.15
    b_growth: float = 0.5
    b_accounts: float = 0.30
    revenue_weeks: int = 52
    a_contact_days: int = 14
    b_contact_days: int = 30
    c_contact_days: int = 91
    a_service: ServiceLevel = field(
        default_factory=lambda: ServiceLevel(
            "senior owner, frequent coverage", "资深销售负责，高频覆盖"
        )
    )
    b_service: ServiceLevel = field(
        default_factory=lambda: ServiceLevel("develop: a growth plan", "重点开发：制定客户增长计划")
    )
    c_service: ServiceLevel = field(
        default_factory=lambda: ServiceLevel("standard service", "标准服务")
    )

    def __post_init__(self) -> None:
        if not (self.a_share > 0 and self.b_share >= 0 and self.a_share + self.b_share <= 1):
            raise ConfigError(
                "need 0 < a_share, 0 <= b_share, a_share + b_share <= 1; got "
                f"{self.a_share}, {self.b_share}",
                hint="set accounts.a_share above 0 and accounts.b_share so that "
                "the two add up to 1 at most (defaults 0.80 and 0.15)",
            )
        for name in ("a_accounts", "b_accounts"):
            if not 0 < getattr(self, name) <= 1:
                raise ConfigError(
                    f"{name} must be a share above 0 and at most 1, got {getattr(self, name)}",
                    hint=f"set accounts.{name} to a share such as "
                    f"{ABCSettings.__dataclass_fields__[name].default}",
                )
        for name in ("revenue_weeks", "a_contact_days", "b_contact_days", "c_contact_days"):
            if getattr(self, name) < 1:
                raise ConfigError(
                    f"{name} must be at least 1, got {getattr(self, name)}",
                    hint=f"set accounts.{name} to a whole number of at least 1",
                )
        days = (self.a_contact_days, self.b_contact_days, self.c_contact_days)
        if not days[0] <= days[1] <= days[2]:
            raise ConfigError(
                "contact days must grow from A to C: A {}, B {}, C {}".format(*days),
                hint="set accounts.a_contact_days <= b_contact_days <= c_contact_days "
                "(A is covered most often)",
            )

    def contact_days(self, abc: str) -> int:
        """The longest time without activity class ``abc`` allows.

        >>> ABCSettings().contact_days("B")
        30
        """
        return int(getattr(self, f"{abc.lower()}_contact_days"))

    def service(self, abc: str, lang: str = "en") -> str:
        """The service of class ``abc`` in words, in ``lang``.

        >>> ABCSettings().service("C", "zh")
        '标准服务'
        """
        level: ServiceLevel = getattr(self, f"{abc.lower()}_service")
        return level.zh if check_language(lang) == "zh" else level.en


def _named(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    account = frame["account"].astype("str").fillna("").str.strip()
    return frame.assign(account=account)[account != ""], account == ""


def _potentials(frames: Sequence[pd.DataFrame], keys: list[str]) -> pd.Series | None:
    """Each account's potential: its latest week's value (the largest there), or None when
    no frame has the column."""
    parts = [f for f in frames if "account_potential" in f.columns]
    if not parts:
        return None
    cols = [*keys, "account", "account_potential"]
    rows = pd.concat(
        [p.reindex(columns=[*cols, "snapshot_week"]) for p in parts], ignore_index=True
    )
    rows = _named(rows.dropna(subset=["account_potential"]))[0]
    week = rows["snapshot_week"].astype("str").fillna("")
    rows = rows[week == week.groupby([rows[k] for k in [*keys, "account"]]).transform("max")]
    return rows.groupby([*keys, "account"])["account_potential"].max().astype(float)


def _per_account(
    won: pd.DataFrame, open_deals: pd.DataFrame | None, keys: list[str]
) -> tuple[pd.DataFrame, pd.Series]:
    """Per group and account: won deals and cents, open deals and amount; and the deals
    without an account per group."""
    named, blank = _named(won)
    unassigned = [won[blank].groupby(keys).size()]
    cents = np.rint(named["amount"].to_numpy(dtype=float) * 100).astype(np.int64)
    per = (
        named.assign(cents=cents)
        .groupby([*keys, "account"])
        .agg(deals=("cents", "size"), cents=("cents", "sum"))
    )
    if open_deals is not None:
        opened, blank = _named(open_deals)
        unassigned.append(open_deals[blank].groupby(keys).size())
        pipe = opened.groupby([*keys, "account"]).agg(
            open_deals=("amount", "size"), open_amount=("amount", "sum")
        )
        per = per.join(pipe, how="outer")
    else:
        per = per.assign(open_deals=0, open_amount=0.0)
    per = per.fillna({"deals": 0, "cents": 0, "open_deals": 0, "open_amount": 0.0})
    per = per.astype({"deals": "int64", "cents": "int64", "open_deals": "int64"})
    counts = pd.concat(unassigned).groupby(level=list(range(len(keys)))).sum()
    return per.reset_index(), counts


def _value_classes(per: pd.DataFrame, keys: list[str], settings: ABCSettings) -> pd.DataFrame:
    """Rank, shares, the value line and the A class (with ``a_note``) of each account."""
    per = per.assign(_neg=-per["cents"]).sort_values([*keys, "_neg", "account"], kind="stable")
    groups = per.groupby(keys, sort=False)["cents"]
    total = groups.transform("sum")
    cumulative = groups.cumsum()
    before = cumulative - per["cents"]
    per["won_amount"] = per["cents"] / 100.0
    per["rank"] = per.groupby(keys).cumcount() + 1
    with np.errstate(invalid="ignore", divide="ignore"):
        per["share"] = per["cents"] / total
        per["cumulative_share"] = cumulative / total
    paying = per["cents"] > 0
    n = paying.groupby([per[k] for k in keys]).transform("sum")
    in_line = less_than(before, settings.a_share * total) & paying
    within = (per["rank"] == 1) | at_most(per["rank"], settings.a_accounts * n)
    candidate = in_line & within
    smallest = per["cents"].where(candidate).groupby([per[k] for k in keys]).transform("min")
    left_out = per["cents"].where(~candidate & paying)
    tied_out = left_out.groupby([per[k] for k in keys]).transform("max") == smallest
    tied = candidate & tied_out & (per["cents"] == smallest)
    per["_a"] = candidate & ~tied
    tie_cents = smallest.where(tied_out)
    per["a_note"] = np.select(
        [per["_a"], in_line & (per["cents"] == tie_cents), in_line], ["", "tie", "cap"], ""
    )
    per["_before"], per["_total"] = before, total
    return per


def _growth_classes(
    per: pd.DataFrame,
    keys: list[str],
    potentials: pd.Series | None,
    pipeline: bool,
    settings: ABCSettings,
) -> pd.DataFrame:
    """The growth room of each account, the B rule of each group and the classes."""
    index = pd.MultiIndex.from_frame(per[[*keys, "account"]])
    potential = (
        pd.Series(np.nan, index=per.index)
        if potentials is None
        else pd.Series(potentials.reindex(index).to_numpy(), index=per.index)
    )
    per["potential"] = potential
    has_potential = potential.notna()
    group = [per[k] for k in keys]
    by_potential = has_potential.groupby(group).transform("any")
    per["b_rule"] = np.select(
        [by_potential, np.full(len(per), pipeline)], ["potential", "pipeline"], "revenue"
    )
    room = (potential - per["won_amount"]).clip(lower=0.0)
    pipe = per["open_amount"] if pipeline else pd.Series(np.nan, index=per.index)
    per["growth_room"] = room.where(has_potential, pipe)
    per["growth_source"] = np.select(
        [has_potential, np.full(len(per), pipeline)], ["potential", "pipeline"], "revenue"
    )
    grows = (per["growth_room"] > 0) & at_least(
        per["growth_room"], settings.b_growth * per["won_amount"]
    )
    grows, left_out = _largest_rooms(per, keys, grows & ~per["_a"], settings.b_accounts)
    b_line = (settings.a_share + settings.b_share) * per["_total"]
    by_revenue = (per["b_rule"] == "revenue") & less_than(per["_before"], b_line)
    revenue_b = by_revenue & (per["cents"] > 0)
    is_b = ~per["_a"] & np.where(per["b_rule"] == "revenue", revenue_b, grows)
    per["abc"] = np.select([per["_a"], is_b], ["A", "B"], "C")
    judged = per["growth_room"].notna()
    per["abc_reason"] = np.select(
        [per["_a"], per["b_rule"] == "revenue", is_b, left_out, judged],
        ["value", "revenue", per["growth_source"], "b_cap", "no_growth"],
        "not_judged",
    )
    return per


def _largest_rooms(
    per: pd.DataFrame, keys: list[str], eligible: pd.Series, share: float
) -> tuple[pd.Series, pd.Series]:
    """Of the ``eligible`` accounts, the ones with the largest growth room (ties: account
    name), at most ``share`` of the group's accounts (rounded down, at least one), never
    splitting equal room; and the eligible ones left out."""
    cents = np.rint(per["growth_room"].fillna(0.0) * 100).where(eligible)
    order = per.assign(_room=-cents).sort_values([*keys, "_room", "account"], kind="stable")
    rank = eligible[order.index].groupby([order[k] for k in keys]).cumsum().reindex(per.index)
    n = per.groupby(keys)["account"].transform("size")
    within = eligible & ((rank == 1) | at_most(rank, share * n))
    group = [per[k] for k in keys]
    smallest = cents.where(within).groupby(group).transform("min")
    largest_out = cents.where(eligible & ~within).groupby(group).transform("max")
    chosen = within & ~((cents == smallest) & (largest_out == smallest))
    return chosen, eligible & ~chosen


def abc_accounts(
    won: pd.DataFrame,
    *,
    open_deals: pd.DataFrame | None = None,
    group_columns: Sequence[str] = ("team",),
    settings: ABCSettings | None = None,
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per group and account of ``won`` (won deals, e.g.
    :func:`pipereview.diagnostics._forecast.won_deals`) and of ``open_deals`` (the open
    deals of the latest week, optional: their pipeline is the growth rule), columns
    ``group_columns`` then :data:`ABC_COLUMNS` (``by=``, the old name of
    ``group_columns``, is deprecated). An ``account_potential`` column in either frame is
    the potential rule. Groups are classified on their own (one currency each: group by
    team, or by currency). The frames are not modified.

    >>> won = pd.DataFrame({"team": "N", "account": list("abcde"), "amount": 100.0})
    >>> abc_accounts(won)["abc"].tolist()  # flat revenue: no account stands out
    ['B', 'B', 'B', 'B', 'B']
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
    per, unassigned = _per_account(won, open_deals, keys)
    frames = [won] if open_deals is None else [won, open_deals]
    per = _value_classes(per, keys, settings)
    per = _growth_classes(per, keys, _potentials(frames, keys), open_deals is not None, settings)
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
    """Per group and class (A, B and C, each even when empty): ``accounts``, ``deals``,
    ``won_amount``, ``open_amount``, ``account_share`` and ``revenue_share`` (how close the
    A class is to the 20% / 80% rule) and the group's ``b_rule``; grouped by
    ``group_columns`` (``by=``, its old name, is deprecated).

    >>> won = pd.DataFrame({"team": "N", "account": list("abcde"), "amount": [80.0, 8, 6, 4, 2]})
    >>> abc_summary(abc_accounts(won))[["abc", "accounts", "account_share", "revenue_share"]]
      abc  accounts  account_share  revenue_share
    0   A         1            0.2           0.80
    1   B         3            0.6           0.18
    2   C         1            0.2           0.02
    """
    keys = group_columns_of("abc_summary", by, group_columns)
    sums = classes.groupby([*keys, "abc"]).agg(
        accounts=("account", "size"),
        deals=("deals", "sum"),
        won_amount=("won_amount", "sum"),
        open_amount=("open_amount", "sum"),
    )
    groups = classes.groupby(keys)["b_rule"].first()
    full = pd.MultiIndex.from_tuples(
        [(*(g if isinstance(g, tuple) else (g,)), c) for g in groups.index for c in "ABC"],
        names=[*keys, "abc"],
    )
    out = sums.reindex(full, fill_value=0).reset_index()
    out = out.astype({"accounts": "int64", "deals": "int64"})
    totals = out.groupby(keys)[["accounts", "won_amount"]].transform("sum")
    out["account_share"] = out["accounts"] / totals["accounts"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["revenue_share"] = (out["won_amount"] / totals["won_amount"]).round(12)
    return out.join(groups, on=keys)
