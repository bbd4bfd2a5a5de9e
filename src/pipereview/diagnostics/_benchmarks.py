"""The method's standards, and the team measured against them (docs/method.md §2).

The method sets explicit standards for the process: the needs stage converts at 60% or
more, a deal stays at a stage no longer than the stage's standard, a process has at most
nine steps (and a deviation from plan beyond 15 points triggers a root-cause analysis:
``plan.alert_threshold``, :class:`~pipereview.diagnostics._targets.PlanSettings`).
:class:`Benchmarks` holds the first three; :func:`stage_benchmarks` compares a team's
figures with them, one row per stage and measure:

- **conversion**: of the deals that entered the stage in the cohort window
  (:func:`~pipereview.diagnostics._conversion.cohort_conversion`), the share that reached
  a later stage, against ``stage_conversion`` (at least). Deals of the cohort still at
  the stage have no outcome yet: the share is at least ``observed`` (those that moved
  on) and at most ``observed_high`` (if every deal still there moves on). The standard
  is ``meets`` when even the lower figure reaches it, ``misses`` when even the higher
  one falls short, else ``below_so_far``: a verdict never counts an open deal as lost;
  fewer than ``min_entries`` entries is ``too_few``;
- **days**: the median days the stage's open deals have been at it (of an even
  number, the lower middle: always one deal's whole days), against ``stage_days`` or
  else the stage model's typical days (at most), with how many are beyond it;
  a deal there since the store's first week has days that are a lower bound:
  ``lower_bound`` when the median may then be more (fewer than half the deals have
  exact days at or below it), ``beyond_lower_bound`` when ``beyond`` may be more (such
  a deal is not yet past the standard).

>>> conversion = pd.DataFrame({"team": "North", "stage_model": "generic_4",
...     "stage": ["needs_confirmed"], "stage_order": [1], "entered": [20],
...     "reached_next": [11], "still_at_stage": [0]})
>>> risks = pd.DataFrame({"team": "North", "stage_model": "generic_4",
...     "stage": ["needs_confirmed"] * 3, "days_in_stage": [10, 30, 40]})
>>> table = stage_benchmarks(conversion, risks)
>>> table[["stage", "measure", "standard", "observed", "deals", "beyond", "status"]]
             stage     measure  standard  observed  deals  beyond  status
0  needs_confirmed  conversion       0.6      0.55     20      11  misses
1  needs_confirmed        days      21.0     30.00      3       2  misses
>>> steps_beyond_standard(["generic_4"])
{}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from pipereview.core._compare import at_least, at_most
from pipereview.core._errors import ConfigError, PipereviewError
from pipereview.core._stages import load_stage_model

__all__ = [
    "BENCHMARK_COLUMNS",
    "BENCHMARK_STATUSES",
    "NEEDS_STAGES",
    "Benchmarks",
    "conversion_against_standards",
    "stage_benchmarks",
    "steps_beyond_standard",
]

#: Columns of :func:`stage_benchmarks`' result, in order.
BENCHMARK_COLUMNS: tuple[str, ...] = (
    "team",
    "stage_model",
    "stage",
    "stage_order",
    "measure",
    "standard",
    "observed",
    "observed_high",
    "deals",
    "beyond",
    "pending",
    "lower_bound",
    "beyond_lower_bound",
    "status",
)
#: What a row says: the standard met, missed, below it so far (a conversion that its
#: deals still at the stage could yet lift to the standard), or too few deals to tell.
BENCHMARK_STATUSES: tuple[str, ...] = ("meets", "misses", "below_so_far", "too_few")
#: The needs stage of each shipped stage model: the method's 60% standard applies to it
#: (需求确认 in the generic model, the needs analysis of Salesforce, HubSpot's qualified
#: to buy, the deep needs discovery of the industrial process).
NEEDS_STAGES: tuple[str, ...] = (
    "needs_confirmed",
    "needs_analysis",
    "qualified_to_buy",
    "discover",
)


def _default_conversion() -> Mapping[str, float]:
    return MappingProxyType(dict.fromkeys(NEEDS_STAGES, 0.60))


@dataclass(frozen=True)
class Benchmarks:
    """The standards the review measures the team against.

    - ``stage_conversion`` (60% at the needs stage of each shipped model,
      :data:`NEEDS_STAGES`): by stage key, the smallest share of a stage's cohort that
      should reach a later stage;
    - ``stage_days`` (none: each stage model's typical days): by stage key, the most
      days a deal should stay at the stage;
    - ``max_steps`` (9): the most open stages a stage model should have;
    - ``min_entries`` (10): the fewest cohort entries a conversion is judged on.
    """

    stage_conversion: Mapping[str, float] = field(default_factory=_default_conversion)
    stage_days: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    max_steps: int = 9
    min_entries: int = 10

    def __post_init__(self) -> None:
        for key, value in self.stage_conversion.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ConfigError(
                    f"stage_conversion.{key} is {value!r}: expected a share between 0 and 1",
                    expected="a number between 0 and 1",
                    hint=f"write benchmarks.stage_conversion.{key} as a share, e.g. 0.6 for 60%",
                )
        for key, value in self.stage_days.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(
                    f"stage_days.{key} is {value!r}: expected a whole number of days, at least 1",
                    expected="a whole number of days, at least 1",
                    hint=f"write benchmarks.stage_days.{key} as days, e.g. 21",
                )
        if self.max_steps < 1 or self.min_entries < 1:
            raise ConfigError(
                f"max_steps ({self.max_steps}) and min_entries "
                f"({self.min_entries}) must be at least 1",
                hint="set them to whole numbers of 1 or more (defaults 9 and 10)",
            )
        object.__setattr__(self, "stage_conversion", MappingProxyType(dict(self.stage_conversion)))
        object.__setattr__(self, "stage_days", MappingProxyType(dict(self.stage_days)))


def _stage_place(model: str, stage: str) -> tuple[int, float]:
    """The stage's place in its model and its typical days (NaN without them); a model
    or stage no longer known comes first, with no typical days."""
    try:
        known = load_stage_model(model)
        days = known.stage(stage).typical_days
        return known.keys.index(stage), float(days) if days else float("nan")
    except (PipereviewError, ValueError):
        return 0, float("nan")


def conversion_against_standards(
    conversion: pd.DataFrame, settings: Benchmarks | None = None
) -> pd.DataFrame:
    """The rows of ``conversion`` (:func:`~pipereview.diagnostics._conversion.cohort_conversion`,
    by team or by rep) at a stage with a conversion standard, as :func:`stage_benchmarks`
    words them (the columns :data:`BENCHMARK_COLUMNS`, with ``owner`` after ``team``
    for a conversion by rep).

    >>> by_rep = pd.DataFrame({"team": "North", "owner": ["Ann", "Bo"],
    ...     "stage_model": "generic_4", "stage": "needs_confirmed", "stage_order": 1,
    ...     "entered": [10, 10], "reached_next": [2, 7], "still_at_stage": [1, 0]})
    >>> conversion_against_standards(by_rep)[["owner", "observed", "observed_high", "status"]]
      owner  observed  observed_high   status
    0   Ann       0.2            0.3   misses
    1    Bo       0.7            0.7    meets
    """
    settings = settings or Benchmarks()
    rows = _conversion_rows(conversion, settings)
    if "owner" in conversion.columns:
        kept = conversion[conversion["stage"].astype("str").isin(settings.stage_conversion)]
        rows.insert(1, "owner", kept["owner"].to_numpy())
    return rows


def _conversion_rows(conversion: pd.DataFrame, settings: Benchmarks) -> pd.DataFrame:
    rows = conversion[conversion["stage"].astype("str").isin(settings.stage_conversion)]
    entered = rows["entered"].fillna(0).to_numpy(dtype=np.int64)
    reached = rows["reached_next"].fillna(0).to_numpy(dtype=np.int64)
    pending = rows["still_at_stage"].fillna(0).to_numpy(dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):  # no entry: no rate
        low = np.where(entered > 0, reached / np.maximum(entered, 1), np.nan)
        high = np.where(entered > 0, (reached + pending) / np.maximum(entered, 1), np.nan)
    standard = np.array([settings.stage_conversion[str(s)] for s in rows["stage"]], dtype=float)
    status = np.select(
        [entered < settings.min_entries, at_least(low, standard), ~at_least(high, standard)],
        ["too_few", "meets", "misses"],
        "below_so_far",
    )
    return pd.DataFrame(
        {
            "team": rows["team"].to_numpy(),
            "stage_model": rows["stage_model"].to_numpy(),
            "stage": rows["stage"].to_numpy(),
            "stage_order": rows["stage_order"].to_numpy(),
            "measure": "conversion",
            "standard": standard,
            "observed": low,
            "observed_high": high,
            "deals": entered,
            "beyond": reached,
            "pending": pending,
            "lower_bound": False,
            "beyond_lower_bound": False,
            "status": status,
        }
    )


def _days_rows(risks: pd.DataFrame, settings: Benchmarks) -> pd.DataFrame:
    out = []
    keys = ["team", "stage_model", "stage"]
    for (team, model, stage), part in risks.groupby(keys, sort=False, observed=True):
        order, typical = _stage_place(str(model), str(stage))
        standard = float(settings.stage_days.get(str(stage)) or typical)
        if standard != standard:  # neither configured nor in the stage model
            continue
        days = part["days_in_stage"].to_numpy(dtype=np.float64)
        known = ~np.isnan(days)
        bounded = (
            part["days_in_stage_lower_bound"].fillna(False).to_numpy(dtype=bool)[known]
            if "days_in_stage_lower_bound" in part
            else np.zeros(int(known.sum()), dtype=bool)
        )
        days = days[known]
        if not len(days):
            continue
        middle = (len(days) - 1) // 2
        median = float(np.sort(days)[middle])  # a deal's own days
        # more days for the deals counted from the store's first week can only raise the
        # median: it stays exact while middle + 1 exact deals are at or below it
        bound = int(((days <= median) & ~bounded).sum()) < middle + 1
        beyond_bound = bool((bounded & (days <= standard)).any())
        out.append(
            {
                "team": team,
                "stage_model": model,
                "stage": stage,
                "stage_order": order,
                "measure": "days",
                "standard": standard,
                "observed": median,
                "observed_high": median,
                "deals": len(days),
                "beyond": int((days > standard).sum()),
                "pending": 0,
                "lower_bound": bool(bound),
                "beyond_lower_bound": beyond_bound,
                "status": "meets" if at_most(median, standard) else "misses",
            }
        )
    return pd.DataFrame(out, columns=list(BENCHMARK_COLUMNS))


def stage_benchmarks(
    conversion: pd.DataFrame, risks: pd.DataFrame, settings: Benchmarks | None = None
) -> pd.DataFrame:
    """The team's figures against the standards: one row per team, stage and measure
    (:data:`BENCHMARK_COLUMNS`), by team, stage order, then conversion before days.

    ``conversion`` is :func:`~pipereview.diagnostics._conversion.cohort_conversion` by
    team; ``risks`` the open deals with ``days_in_stage``
    (:func:`~pipereview.diagnostics._aging.deal_risks`). ``observed`` is the share that
    reached a later stage, or the median days at the stage; ``deals`` the entries, or
    the open deals at the stage; ``beyond`` those that reached a later stage, or the
    open deals beyond the standard. A stage with no standard has no row."""
    settings = settings or Benchmarks()
    parts = [
        _conversion_rows(conversion, settings) if len(conversion) else None,
        _days_rows(risks, settings) if len(risks) else None,
    ]
    frames = [p for p in parts if p is not None and len(p)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in BENCHMARK_COLUMNS})
    table = pd.concat(frames, ignore_index=True)
    table["stage_order"] = table["stage_order"].astype("int64")
    table["deals"] = table["deals"].astype("int64")
    for column in ("beyond", "pending"):
        table[column] = table[column].astype("int64")
    table["_m"] = (table["measure"] == "days").astype("int64")
    table = table.sort_values(["team", "stage_order", "_m"], kind="stable")
    return table.drop(columns="_m").reset_index(drop=True)[list(BENCHMARK_COLUMNS)]


def steps_beyond_standard(models: Iterable[str], max_steps: int = 9) -> dict[str, int]:
    """The stage models among ``models`` with more open stages than ``max_steps``, and
    how many they have (the method: at most nine steps in any company's process).

    >>> steps_beyond_standard(["salesforce", "generic_4"], max_steps=5)
    {'salesforce': 8}
    """
    out: dict[str, int] = {}
    for name in dict.fromkeys(str(m) for m in models):
        try:
            model = load_stage_model(name)
        except PipereviewError:  # a model no longer known: nothing to count
            continue
        steps = len(model.open_stages)
        if steps > max_steps:
            out[name] = steps
    return out
