"""Built-in strengths: what a rep does measurably well, so feedback starts from a real
strength (docs/method.md §5). Each needs a number and a comparison, like any finding.

>>> sorted(RULES)
['best_conversion', 'biggest_progress', 'improvement_since_last_month', 'most_complete_evidence']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from pipereview.coaching._rulekit import builtin_rule, evidence_records, team_currency
from pipereview.coaching.rules_rep import peer_move_on
from pipereview.core._compare import at_least, at_most
from pipereview.core._stages import load_stage_model
from pipereview.week import WeekDiagnostics

__all__ = [
    "RULES",
    "best_conversion",
    "biggest_progress",
    "improvement_since_last_month",
    "most_complete_evidence",
]

#: The rules this module registers.
RULES: tuple[str, ...] = (
    "best_conversion",
    "biggest_progress",
    "improvement_since_last_month",
    "most_complete_evidence",
)


def _currency(context: WeekDiagnostics, teams: pd.Series) -> np.ndarray:
    return team_currency(context).reindex(teams).fillna("").to_numpy()


@builtin_rule(
    "best_conversion",
    kind="strength",
    coaching="skill",
    scope="rep",
    defaults={"min_exposures": 10, "min_ratio": 1.25, "min_gap": 0.05, "max_p_value": 0.2},
    replace=True,
)
def best_conversion(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """The stage where a rep's deals move on most above their teammates' (week-over-week
    move-on rates over the context's window, as ``low_stage_conversion`` reads them): at
    least ``min_exposures``, ``min_ratio`` times and ``min_gap`` above the teammates', a
    one-sided Fisher exact test at ``max_p_value`` or below. One per rep, the largest
    gap. Value: the rep's rate; reference: the teammates'."""
    rates = peer_move_on(context, alternative="greater")
    gap = rates["rate"] - rates["peer_rate"]
    ok = rates[
        (rates["exposures"] >= params["min_exposures"])
        & at_least(rates["rate"], params["min_ratio"] * rates["peer_rate"])
        & at_least(gap, params["min_gap"])
        & at_most(rates["p_value"], params["max_p_value"])
    ]
    best = ok.assign(_gap=gap[ok.index]).sort_values(
        ["team", "owner", "_gap", "stage"], ascending=[True, True, False, True], kind="stable"
    )
    best = best.drop_duplicates(["team", "owner"]).assign(weeks=context.window_weeks)
    return pd.DataFrame(
        {
            "team": best["team"].to_numpy(),
            "owner": best["owner"].to_numpy(),
            "stage_model": best["stage_model"].to_numpy(),
            "stage": best["stage"].to_numpy(),
            "metric": "move_on_rate",
            "value": best["rate"].to_numpy(),
            "reference": best["peer_rate"].to_numpy(),
            "evidence": evidence_records(
                best, ["exposures", "moved", "peer_exposures", "peer_moved", "weeks"]
            ),
        }
    )


@builtin_rule(
    "biggest_progress",
    kind="strength",
    coaching="skill",
    scope="rep",
    defaults={"min_advances": 2},
    replace=True,
)
def biggest_progress(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """The rep of each team who moved the most deals forward this week (a later stage or
    won, against the team's previous stored week), with at least ``min_advances``.
    Value: deals moved forward; reference: the team's median per rep; evidence: the
    amount moved forward and the deals won."""
    prev, now = context.previous_week, context.latest
    if prev.empty:
        return pd.DataFrame()
    rank: dict[tuple[str, str], int] = {}
    rank_models = set(now["stage_model"].unique())
    for name in set(prev["stage_model"].unique()) | rank_models:  # loops over models
        model = load_stage_model(str(name))
        rank.update({(name, s.key): i for i, s in enumerate(model.open_stages)})
        rank[(name, model.won_stage.key)] = len(model.stages)

    def position(frame: pd.DataFrame) -> np.ndarray:
        models, stages = (frame[c].to_numpy(dtype=object) for c in ("stage_model", "stage"))
        keys = zip(models, stages, strict=True)
        return np.array([rank.get(k, -1) for k in keys], dtype=np.int64)

    before = pd.Series(position(prev), index=prev["deal_key"])
    was = now["deal_key"].map(before).to_numpy(dtype=float)  # NaN: not stored the week before
    moved = now[["team", "owner", "stage_model", "stage", "amount"]][
        (was >= 0) & (position(now) > was)
    ]
    won_key = {name: load_stage_model(str(name)).won_stage.key for name in rank_models}
    models = zip(moved["stage_model"], moved["stage"], strict=True)
    won = [stage == won_key[name] for name, stage in models]
    groups = moved.assign(_won=np.array(won, dtype=bool)).groupby(["team", "owner"])
    per_rep = pd.DataFrame(
        {"advances": groups.size(), "amount": groups["amount"].sum(), "won": groups["_won"].sum()}
    )
    reps = now[["team", "owner"]].drop_duplicates().join(per_rep, on=["team", "owner"])
    reps = reps.fillna({"advances": 0, "amount": 0.0, "won": 0})
    reps["median"] = reps.groupby("team")["advances"].transform("median")
    top = reps.groupby("team")["advances"].transform("max")
    best = reps[(reps["advances"] == top) & (reps["advances"] >= params["min_advances"])]
    best = best.sort_values(["team", "owner"], kind="stable").astype(
        {"advances": "int64", "won": "int64"}
    )
    return pd.DataFrame(
        {
            "team": best["team"].to_numpy(),
            "owner": best["owner"].to_numpy(),
            "metric": "deals_moved_forward",
            "value": best["advances"].to_numpy(),
            "reference": best["median"].to_numpy(),
            "amount_at_stake": best["amount"].to_numpy(),
            "currency": _currency(context, best["team"]),
            "evidence": evidence_records(best, ["advances", "amount", "won"]),
        }
    )


@builtin_rule(
    "most_complete_evidence",
    kind="strength",
    coaching="skill",
    scope="rep",
    defaults={"min_open": 5, "min_gap": 0.1},
    replace=True,
)
def most_complete_evidence(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A rep whose open deals are backed by their evidence (no stage inflation) more often
    than the team's, by ``min_gap`` or more, with at least ``min_open`` open deals.
    Value: the rep's share of deals without gaps; reference: the rest of the team's.
    Only deals whose stage could be checked count: a deal the export records no evidence
    for is neither clean nor inflated."""
    gaps = context.gaps
    if "evidence_checked" in gaps:
        gaps = gaps[gaps["evidence_checked"]]
    clean = (~gaps["inflated"]).astype("int64").groupby([gaps["team"], gaps["owner"]])
    reps = pd.DataFrame({"open": clean.size(), "clean": clean.sum()}).reset_index()
    team = reps.groupby("team")[["open", "clean"]].transform("sum")
    reps["share"] = reps["clean"] / reps["open"]
    peers = (team["clean"] - reps["clean"]) / (team["open"] - reps["open"]).where(
        team["open"] > reps["open"]
    )
    reps["peer_share"] = peers
    best = reps[
        (reps["open"] >= params["min_open"])
        & at_least(reps["share"] - reps["peer_share"], params["min_gap"])
    ]
    return pd.DataFrame(
        {
            "team": best["team"].to_numpy(),
            "owner": best["owner"].to_numpy(),
            "metric": "evidenced_share",
            "value": best["share"].to_numpy(),
            "reference": best["peer_share"].to_numpy(),
            "evidence": evidence_records(best, ["open", "clean"]),
        }
    )


def _pooled_move_on(
    context: WeekDiagnostics, weeks_back: int, weeks: int
) -> dict[tuple[Any, Any], tuple[int, int]]:
    """Each rep's deal-weeks (``exposures``) and moves on (``moved``), all stages pooled,
    over the ``weeks`` weeks to ``weeks_back`` weeks before the as-of week, by team and rep."""
    from pipereview.diagnostics._funnel import move_on_rates

    rates = move_on_rates(context.prepared, as_of=context.week - weeks_back, weeks=weeks, by="rep")
    pooled: dict[tuple[Any, Any], tuple[int, int]] = {}
    reps = zip(rates["team"], rates["owner"], strict=True)
    for rep, exposures, moved in zip(reps, rates["exposures"], rates["moved"], strict=True):
        before = pooled.get(rep, (0, 0))
        pooled[rep] = (before[0] + exposures, before[1] + moved)
    return pooled


@builtin_rule(
    "improvement_since_last_month",
    kind="strength",
    coaching="skill",
    scope="rep",
    defaults={"min_exposures": 20, "min_gain": 0.1},
    replace=True,
)
def improvement_since_last_month(
    context: WeekDiagnostics, params: Mapping[str, Any]
) -> pd.DataFrame:
    """A rep whose deals move on more often this month than the month before: the rep's
    week-over-week move-on rate, all stages pooled, over the last 4 weeks at least
    ``min_gain`` (10 points) above the 4 weeks before, with ``min_exposures`` deal-weeks
    in each. Value: this month's rate; reference: last month's."""
    now, before = _pooled_move_on(context, 0, 4), _pooled_move_on(context, 4, 4)
    reps = [rep for rep in now if rep in before]  # reps with deal-weeks in both months

    def counts(pooled: dict[tuple[Any, Any], tuple[int, int]], i: int) -> np.ndarray:
        return np.array([pooled[rep][i] for rep in reps], dtype=np.int64)

    both = pd.DataFrame(
        {
            "team": [team for team, _ in reps],
            "owner": [owner for _, owner in reps],
            "exposures": counts(now, 0),
            "moved": counts(now, 1),
            "exposures_before": counts(before, 0),
            "moved_before": counts(before, 1),
        }
    )
    both["rate"] = both["moved"] / both["exposures"].where(both["exposures"] > 0)
    both["rate_before"] = both["moved_before"] / both["exposures_before"].where(
        both["exposures_before"] > 0
    )
    hit = both[
        (both["exposures"] >= params["min_exposures"])
        & (both["exposures_before"] >= params["min_exposures"])
        & at_least(both["rate"] - both["rate_before"], params["min_gain"])
    ].sort_values(["team", "owner"], kind="stable")
    return pd.DataFrame(
        {
            "team": hit["team"].to_numpy(),
            "owner": hit["owner"].to_numpy(),
            "metric": "move_on_rate",
            "value": hit["rate"].to_numpy(),
            "reference": hit["rate_before"].to_numpy(),
            "evidence": evidence_records(
                hit, ["exposures", "moved", "exposures_before", "moved_before"]
            ),
        }
    )
