"""Results compared: what was won and what pipeline was created in the month and quarter to
date, against the same span of the previous month / quarter (MoM / QoQ) and of the same
month / quarter a year earlier (YoY), and the open pipeline at the end of each span; split
as the caller groups them (team, rep, new or existing customer, product line). The review's
"Results compared" section and the dashboard's results tab print these figures
(docs/method.md §2, §4 and §7).

**The spans.** As of week W, "now" is W's Sunday (:func:`~pipereview.diagnostics._figures.as_of_day`).
The month to date runs from the first of its month to it, the quarter to date from the first
day of its quarter. Each is compared **at the same point**: the same number of days from the
start of the previous month (quarter) and of the same month (quarter) a year earlier, cut at
that period's end. As of Sunday 15 November 2026 the month to date is 1–15 November, against
1–15 October and 1–15 November 2025; the quarter to date is 1 October–15 November (45 days
after its first day), against 1 July–15 August and 1 October–15 November 2025. As of 31
March, the previous month is 1–28 February.

**The figures of a span** (one definition each):

- *won*: :func:`~pipereview.diagnostics._forecast.won_deals` with the span as the period — a
  deal whose latest row up to W is won, with its close date in the span — their amount
  (``won_amount``) and number (``won_deals``);
- *pipeline created*: the deals whose created date lies in the span, each once at its latest
  row up to W, whatever their state now (``created_amount``, ``created_deals``);
- *open pipeline*: the open deals of the team's stored week that stands for the span's last
  day (the week whose Sunday is that day or the last Sunday before it): ``open_amount``,
  ``open_deals``, NaN when that week is not stored (``open_week`` is then None).

**A short history.** A span that starts before the Monday of the team's first stored week
is not ``covered``: deals won or created before the first export may be missing from it, so
its won and created figures are lower bounds, never compared (the review prints "not
available: the history starts 2026-W36", never a zero).

>>> spans = comparison_spans("2026-W46")
>>> [(k, s, str(a.date()), str(b.date())) for k, s, a, b in spans.itertuples(index=False)]
... # doctest: +NORMALIZE_WHITESPACE
[('month', 'current', '2026-11-01', '2026-11-15'),
 ('month', 'previous', '2026-10-01', '2026-10-15'),
 ('month', 'last_year', '2025-11-01', '2025-11-15'),
 ('quarter', 'current', '2026-10-01', '2026-11-15'),
 ('quarter', 'previous', '2026-07-01', '2026-08-15'),
 ('quarter', 'last_year', '2025-10-01', '2025-11-15')]
>>> change_text(100.0, 80.0, "USD"), change_text(40, 50, "", "zh")
('up 25% from 80 USD', '比 50 减少 20%')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from pipereview.core._languages import check_language
from pipereview.core._weeks import Week
from pipereview.diagnostics._figures import as_of_day
from pipereview.diagnostics._forecast import as_week, won_deals
from pipereview.history._fuzzy import normalize_account
from pipereview.history._prepared import PreparedHistory, as_prepared

__all__ = [
    "CUSTOMER_KINDS",
    "PERIOD_KINDS",
    "RESULT_FIGURES",
    "SPANS",
    "change_text",
    "comparison_spans",
    "customer_kinds",
    "results_compared",
    "rollup_results",
    "span_text",
    "with_customers",
]

#: The periods compared to date, and the spans of each: now, the previous period at the
#: same point, the same period a year earlier at the same point.
PERIOD_KINDS: tuple[str, ...] = ("month", "quarter")
SPANS: tuple[str, ...] = ("current", "previous", "last_year")
#: The figures of each span (see the module's docstring).
RESULT_FIGURES: tuple[str, ...] = (
    "won_amount",
    "won_deals",
    "created_amount",
    "created_deals",
    "open_amount",
    "open_deals",
)
#: A deal's customer (:func:`customer_kinds`).
CUSTOMER_KINDS: tuple[str, ...] = ("new", "existing", "no_account")

_MONTHS_BACK = {("month", "previous"): 1, ("quarter", "previous"): 3}
_YEAR = 12  # months back to the same period last year
_SPAN_COLUMNS = ["kind", "span", "first", "last", "covered", "history_start", "open_week"]


def _period_start(day: pd.Timestamp, kind: str) -> pd.Timestamp:
    month = day.month if kind == "month" else 3 * ((day.month - 1) // 3) + 1
    return pd.Timestamp(day.year, month, 1)


def _period_end(first: pd.Timestamp, kind: str) -> pd.Timestamp:
    end = pd.offsets.MonthEnd(0) if kind == "month" else pd.offsets.QuarterEnd(0)
    return pd.Timestamp(first + end)


def comparison_spans(as_of: Week | str) -> pd.DataFrame:
    """The spans compared as of ``as_of``: one row per period kind (:data:`PERIOD_KINDS`)
    and span (:data:`SPANS`) with its ``first`` and ``last`` day (both included): the
    period to date, and the same number of days from the start of the previous period and
    of the same period a year earlier, cut at that period's end.

    >>> s = comparison_spans("2027-W13")  # Sunday 4 April 2027
    >>> [str(d.date()) for d in s.loc[s["kind"] == "month", "last"]]
    ['2027-04-04', '2027-03-04', '2026-04-04']
    >>> s = comparison_spans("2027-W12")  # Sunday 28 March 2027
    >>> str(s.loc[(s["kind"] == "month") & (s["span"] == "previous"), "last"].iloc[0].date())
    '2027-02-28'
    """
    day = as_of_day(as_of)
    rows = []
    for kind in PERIOD_KINDS:
        start = _period_start(day, kind)
        elapsed = day - start
        for span in SPANS:
            back = 0 if span == "current" else _MONTHS_BACK.get((kind, span), _YEAR)
            first = pd.Timestamp(start - pd.DateOffset(months=back))
            last = min(first + elapsed, _period_end(first, kind))
            rows.append({"kind": kind, "span": span, "first": first, "last": last})
    return pd.DataFrame(rows)


def _sunday_by(day: pd.Timestamp) -> Week:
    """The week whose Sunday is ``day`` or the last Sunday before it."""
    back = (day.weekday() + 1) % 7
    return Week.of((day - pd.Timedelta(days=back)).date())


def _groups(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame``'s group columns, a column it lacks read blank, blanks as ``""``."""
    out = pd.DataFrame(index=frame.index)
    for column in columns:
        values = frame[column] if column in frame else pd.Series("", index=frame.index)
        out[column] = values.astype("object").where(values.notna(), "").astype(str).str.strip()
    return out


def _sums(codes: np.ndarray, amounts: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group code (``0 .. size - 1``): the amounts' sum and how many rows."""
    total = np.bincount(codes, weights=amounts.astype(float), minlength=size)
    return total, np.bincount(codes, minlength=size)


def results_compared(
    history: pd.DataFrame | PreparedHistory,
    as_of: Week | str,
    *,
    group_columns: Sequence[str] = ("team",),
) -> pd.DataFrame:
    """The figures of every span of :func:`comparison_spans` per group of ``group_columns``
    (``("team", "owner")`` for reps; a column the history lacks reads blank, as do blank
    cells): the group columns, ``kind``, ``span``, ``first``, ``last``, ``covered`` (the
    span starts on or after the Monday of the team's first stored week),
    ``history_start`` (that week), ``open_week`` (the stored week read for the open
    pipeline, None when not stored) and :data:`RESULT_FIGURES`. Every group seen in the
    history up to ``as_of`` gets every span; a span without deals counts zero. A deal
    counts in the group of its latest row up to ``as_of`` (the open pipeline: of its row
    in the week read).

    >>> day = pd.Timestamp("2026-11-10")
    >>> h = pd.DataFrame({"snapshot_week": ["2026-W44", "2026-W46"], "team": "T",
    ...     "deal_id": "a", "stage_model": "generic_4", "stage": ["negotiation", "won"],
    ...     "amount": 100.0, "close_date": day, "created_date": pd.Timestamp("2026-10-05")})
    >>> r = results_compared(h, "2026-W46")
    >>> r[r["kind"] == "month"][["span", "covered", "won_amount", "created_deals"]]
            span  covered  won_amount  created_deals
    0    current     True       100.0              0
    1   previous    False         0.0              1
    2  last_year    False         0.0              0
    """
    as_of = as_week(as_of)
    columns = list(group_columns)
    prep = as_prepared(history).upto(as_of)
    frame = prep.frame
    keys = _groups(frame, columns).reset_index(drop=True)
    codes = keys.groupby(columns, sort=True).ngroup().to_numpy()
    groups = keys.groupby(columns, sort=True).size().reset_index()[columns]
    size = len(groups)
    amounts = frame["amount"].to_numpy(dtype=float)
    weeks = frame["snapshot_week"].astype(str).to_numpy()
    last_rows = prep.last_rows()
    position = pd.Series(last_rows, index=prep.deal_key.iloc[last_rows].to_numpy())
    created = (
        pd.to_datetime(frame["created_date"].iloc[last_rows]).dt.normalize().to_numpy()
        if "created_date" in frame
        else None
    )
    starts = _team_starts(frame)
    team = groups["team"] if "team" in columns else pd.Series("", index=groups.index)
    start = team.map(starts).fillna(min(starts, default=str(as_of)))
    monday = start.map(lambda w: pd.Timestamp(Week.parse(w).monday)).to_numpy()
    pieces = []
    for kind, span, first, last in comparison_spans(as_of).itertuples(index=False):
        part = groups.assign(kind=kind, span=span, first=first, last=last)
        won = position.reindex(won_deals(prep, (first, last), as_of)["deal_key"]).to_numpy()
        part["won_amount"], part["won_deals"] = _sums(codes[won], amounts[won], size)
        if created is not None:  # without created dates nothing is known of it: NaN
            made = last_rows[(created >= first.to_datetime64()) & (created <= last.to_datetime64())]
            part["created_amount"], part["created_deals"] = _sums(codes[made], amounts[made], size)
        week = str(_sunday_by(last))
        at = np.flatnonzero((weeks == week) & prep.is_open)
        stored = set(_groups(frame[weeks == week], ["team"])["team"])
        in_store = (team.isin(stored) | ("team" not in columns and len(stored) > 0)).to_numpy()
        for name, values in zip(
            ("open_amount", "open_deals"), _sums(codes[at], amounts[at], size), strict=True
        ):
            part[name] = np.where(in_store, values, np.nan)  # its week not stored: unknown
        part["covered"] = monday <= first
        part["history_start"] = start.to_numpy()
        part["open_week"] = pd.Series(week, index=part.index, dtype="object").where(in_store, None)
        pieces.append(part)
    out = pd.concat(pieces, ignore_index=True)
    out = out.astype(
        {"won_deals": "int64", **({"created_deals": "int64"} if created is not None else {})}
    )
    order = [*columns, *_SPAN_COLUMNS, *RESULT_FIGURES]
    return out.reindex(columns=order).reset_index(drop=True)


def _team_starts(frame: pd.DataFrame) -> pd.Series:
    """Each team's first stored week (the history's own when it has no team column)."""
    weeks = frame["snapshot_week"].astype(str)
    team = _groups(frame, ["team"])["team"]
    return weeks.groupby(team.to_numpy()).min()


def rollup_results(results: pd.DataFrame, group_columns: Sequence[str]) -> pd.DataFrame:
    """:func:`results_compared`'s figures summed up to ``group_columns`` (a subset of its
    own, ``team`` among them: a span's coverage and open week are the team's). An open
    pipeline that was not stored stays NaN.

    >>> r = pd.DataFrame({"team": "T", "owner": ["A", "B"], "kind": "month",
    ...     "span": "current", "first": pd.Timestamp("2026-11-01"),
    ...     "last": pd.Timestamp("2026-11-15"), "covered": True, "history_start": "2026-W36",
    ...     "open_week": "2026-W46", "won_amount": [1.0, 2.0], "won_deals": 1,
    ...     "created_amount": 0.0, "created_deals": 0, "open_amount": [5.0, 5.0],
    ...     "open_deals": 1})
    >>> rollup_results(r, ["team"])[["team", "won_amount", "won_deals", "open_amount"]]
      team  won_amount  won_deals  open_amount
    0    T         3.0          2         10.0
    """
    keys = [*group_columns, *_SPAN_COLUMNS]
    frame = results.assign(open_week=results["open_week"].astype("object").fillna(""))
    figures = list(RESULT_FIGURES)
    out = frame.groupby(keys, sort=False)[figures].sum(min_count=1).reset_index()
    weeks = out["open_week"].astype("object")
    out["open_week"] = weeks.where(weeks != "", None)
    for name in ("won_deals", "created_deals"):
        if out[name].notna().all():
            out[name] = out[name].astype("int64")
    return out[[*group_columns, *_SPAN_COLUMNS, *RESULT_FIGURES]]


# --- new and existing customers -----------------------------------------------------------
def customer_kinds(history: pd.DataFrame | PreparedHistory, as_of: Week | str) -> pd.Series:
    """Each deal's customer as of ``as_of``, per row of the history up to it (index of its
    frame): ``existing`` when its account (:func:`~pipereview.history._fuzzy.normalize_account`
    of its latest row's) had another deal won (:func:`won_deals`) with a close date before
    this deal's created date, ``new`` when not, ``no_account`` without an account. Only the
    stored history is known: a customer won before it counts as new, so ``existing`` is a
    lower bound.

    >>> h = pd.DataFrame({"snapshot_week": "2026-W46", "team": "T", "deal_id": list("abc"),
    ...     "account": ["Acme Ltd", "ACME", None], "stage_model": "generic_4",
    ...     "stage": ["won", "negotiation", "negotiation"], "amount": 1.0,
    ...     "close_date": pd.to_datetime(["2026-10-01", "2026-12-01", "2026-12-01"]),
    ...     "created_date": pd.to_datetime(["2026-08-01", "2026-10-20", "2026-10-20"])})
    >>> customer_kinds(h, "2026-W46").tolist()
    ['new', 'existing', 'no_account']
    """
    as_of = as_week(as_of)
    prep = as_prepared(history).upto(as_of)
    frame = prep.frame
    rows = prep.last_rows()
    last = frame.iloc[rows].assign(deal_key=prep.deal_key.iloc[rows].to_numpy())
    account = _account_keys(last)
    created = (
        pd.to_datetime(last["created_date"])
        if "created_date" in last
        else pd.Series(pd.NaT, index=last.index)
    )
    won = won_deals(prep, None, as_of)
    wins = pd.DataFrame(
        {"account": _account_keys(won).to_numpy(), "deal": won["deal_key"].to_numpy()}
    ).assign(close=pd.to_datetime(won["close_date"]).to_numpy())
    wins = wins[wins["account"] != ""].sort_values(["account", "close"], kind="stable")
    # an account's two earliest wins: the first that is not the deal itself decides
    ranked = wins.assign(rank=wins.groupby("account").cumcount())
    first = ranked[ranked["rank"] == 0].set_index("account")
    second = ranked[ranked["rank"] == 1].set_index("account")
    deals = pd.DataFrame({"account": account.to_numpy(), "own": last["deal_key"].to_numpy()})
    deals = deals.join(first[["deal", "close"]], on="account").join(
        second[["close"]].rename(columns={"close": "next_close"}), on="account"
    )
    close = deals["close"].where(deals["deal"] != deals["own"], deals["next_close"])
    existing = (close.to_numpy() < created.to_numpy()).astype(bool)
    own = deals["own"].to_numpy()
    kinds = np.select([account.to_numpy() == "", existing], ["no_account", "existing"], "new")
    per_deal = pd.Series(kinds, index=own)
    return pd.Series(per_deal.reindex(prep.deal_key).to_numpy(), index=frame.index, name="customer")


def _account_keys(frame: pd.DataFrame) -> pd.Series:
    """The normalised account of each row, ``""`` without one."""
    if "account" not in frame:
        return pd.Series("", index=frame.index)
    names = frame["account"].astype("object").where(frame["account"].notna(), "")
    keys = names.astype(str).str.strip()
    if "account_missing" in frame:
        keys = keys.where(~frame["account_missing"].fillna(False).astype(bool), "")
    return keys.map(lambda name: normalize_account(name) if name else "")


def with_customers(history: pd.DataFrame | PreparedHistory, as_of: Week | str) -> PreparedHistory:
    """The history up to ``as_of``, prepared, with each row's ``customer``
    (:func:`customer_kinds`) as a column: group :func:`results_compared` by it.

    >>> h = pd.DataFrame({"snapshot_week": "2026-W46", "team": "T", "deal_id": ["a"],
    ...     "account": ["Acme"], "stage_model": "generic_4", "stage": ["negotiation"],
    ...     "amount": 1.0, "close_date": pd.Timestamp("2026-12-01"),
    ...     "created_date": pd.Timestamp("2026-10-20")})
    >>> with_customers(h, "2026-W46").frame["customer"].tolist()
    ['new']
    """
    prep = as_prepared(history).upto(as_of)
    return replace(prep, frame=prep.frame.assign(customer=customer_kinds(prep, as_of)))


# --- wording ------------------------------------------------------------------------------
def change_text(current: float, previous: float, unit: str = "", lang: str = "en") -> str:
    """A figure against the one it is compared with, worded by the sign of the change:
    "up 25% from 80 USD", "down 20% from 50", "unchanged at 80 USD", and against nothing
    "up 100 USD from 0 USD" (zh: 增加 / 减少 / 持平).

    >>> change_text(100, 50, "USD"), change_text(80, 80, "USD", "zh"), change_text(5, 0)
    ('up 100% from 50 USD', '与 80 USD 持平', 'up 5 from 0')
    """
    check_language(lang)
    before = f"{previous:,.0f} {unit}".strip()
    difference = float(current) - float(previous)
    if round(difference) == 0:
        return f"与 {before} 持平" if lang == "zh" else f"unchanged at {before}"
    if round(float(previous)) == 0:
        size = f"{abs(difference):,.0f} {unit}".strip()
    else:
        size = f"{abs(difference) / float(previous) * 100:,.0f}%"
    if lang == "zh":
        return f"比 {before} {'增加' if difference > 0 else '减少'} {size}"
    return f"{'up' if difference > 0 else 'down'} {size} from {before}"


def span_text(first: pd.Timestamp, last: pd.Timestamp, lang: str = "en") -> str:
    """A span's days as printed.

    >>> span_text(pd.Timestamp("2026-11-01"), pd.Timestamp("2026-11-15"), "zh")
    '2026-11-01 至 2026-11-15'
    """
    check_language(lang)
    joint = " 至 " if lang == "zh" else " to "
    return f"{first.date()}{joint}{last.date()}"
