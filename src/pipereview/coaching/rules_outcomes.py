"""Built-in rules on what a rep's deals came to: the target reached, deals won and lost,
the pipeline left. Strengths so that a rep with a genuinely good figure hears it
(docs/method.md §5: feedback starts from a real strength), and the silences a manager
must not miss: a rep who lost every deal closed recently, a rep with no open deal left.

Closed deals are counted as the forecast counts them
(:func:`pipereview.diagnostics._forecast.win_rates`): each deal's latest row, won or lost,
with a close date in the trailing ``forecast.win_rate_weeks`` (13) ending with the as-of
week.

>>> sorted(RULES)
['big_win', 'no_open_pipeline', 'target_attainment', 'win_rate_above_peers', 'zero_win_rate']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from pipereview.coaching._rulekit import (
    builtin_rule,
    deal_rows,
    evidence_records,
    severity_bands,
    shared_figure,
    with_plan_rule,
)
from pipereview.core._compare import at_least
from pipereview.week import WeekDiagnostics

__all__ = [
    "RULES",
    "big_win",
    "closed_deals",
    "no_open_pipeline",
    "target_attainment",
    "win_rate_above_peers",
    "zero_win_rate",
]

#: The rules this module registers.
RULES: tuple[str, ...] = (
    "big_win",
    "no_open_pipeline",
    "target_attainment",
    "win_rate_above_peers",
    "zero_win_rate",
)

_ALL_LOST = severity_bands("zero_win_rate", "deals lost, none won", (6.0,), (2, 3))


@shared_figure
def closed_deals(context: WeekDiagnostics) -> pd.DataFrame:
    """The deals won or lost with a close date in the win-rate window: each deal's latest
    row with ``deal_key``, ``won`` and ``lost`` (booleans) and ``weeks`` (the window).
    Shared by the rules of a run (:func:`~pipereview.coaching._rulekit.shared_figure`)."""
    prep = context.prepared.in_week_order()
    last = prep.last_rows()
    weeks = context.config.forecast.win_rate_weeks
    end = pd.Timestamp(context.week.sunday)
    start = end - pd.Timedelta(weeks=weeks) + pd.Timedelta(days=1)
    close = pd.to_datetime(prep.frame["close_date"].iloc[last])
    done = prep.is_won[last] | prep.is_lost[last]
    last = last[done & ((close >= start) & (close <= end)).to_numpy(dtype=bool)]
    rows = prep.frame.iloc[last].assign(
        deal_key=prep.deal_key.iloc[last].to_numpy(),
        won=prep.is_won[last],
        lost=prep.is_lost[last],
        weeks=weeks,
    )
    closed: pd.DataFrame = rows.reset_index(drop=True)
    return closed


@shared_figure
def _rep_results(context: WeekDiagnostics) -> pd.DataFrame:
    """Per rep with a closed deal: ``won``, ``lost``, ``amount_lost``, the teammates'
    ``peer_won`` and ``peer_lost``, and the team's currency (shared by the rules of a
    run)."""
    closed = closed_deals(context)
    if closed.empty:
        return pd.DataFrame()
    closed = closed[["team", "owner", "currency"]].assign(
        won=closed["won"].astype("int64"),
        lost=closed["lost"].astype("int64"),
        amount_lost=closed["amount"].where(closed["lost"], 0.0),
    )
    reps = closed.groupby(["team", "owner"])[["won", "lost", "amount_lost"]].sum().reset_index()
    team: dict[Any, tuple[int, int]] = {}  # the team's deals won and lost
    for name, won, lost in zip(reps["team"], reps["won"], reps["lost"], strict=True):
        before = team.get(name, (0, 0))
        team[name] = (before[0] + won, before[1] + lost)
    reps["peer_won"] = np.array([team[t][0] for t in reps["team"]], dtype=np.int64) - reps["won"]
    reps["peer_lost"] = np.array([team[t][1] for t in reps["team"]], dtype=np.int64) - reps["lost"]
    currency: dict[Any, Any] = {}  # each team's first currency recorded
    for name, code in zip(closed["team"], closed["currency"], strict=True):
        if pd.notna(code):
            currency.setdefault(name, code)
    reps["currency"] = [currency.get(t, np.nan) for t in reps["team"]]
    reps["weeks"] = context.config.forecast.win_rate_weeks
    return reps


@builtin_rule(
    "target_attainment",
    kind="strength",
    coaching="skill",
    scope="rep",
    defaults={"min_share": 1.0, "min_points_ahead": 0.15},
    replace=True,
)
def target_attainment(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A rep who has won ``min_share`` (100%) of the period's target or more, or is ahead
    of the plan to date by ``min_points_ahead`` (15 points of the target) or more (needs
    rep targets). Value: the share of the target won; reference: the share planned by now.
    Evidence: won to date, the target, the plan to date, the period and whether the target
    is ``met``."""
    progress = context.progress_rep
    if progress.empty:
        return pd.DataFrame()
    met = at_least(progress["won_share"], params["min_share"])
    ahead = at_least(progress["won_share"] - progress["expected_share"], params["min_points_ahead"])
    hit = progress[(met | ahead) & (progress["target"] > 0)]
    hit = hit.assign(met=met[hit.index], points=hit["won_share"] - hit["expected_share"])
    hit = with_plan_rule(context, hit)
    return pd.DataFrame(
        {
            "team": hit["team"].to_numpy(),
            "owner": hit["owner"].to_numpy(),
            "metric": "target_share_won",
            "value": hit["won_share"].to_numpy(),
            "reference": hit["expected_share"].to_numpy(),
            "amount_at_stake": hit["won_to_date"].to_numpy(),
            "currency": hit["currency"].to_numpy(),
            "evidence": evidence_records(
                hit,
                [
                    "won_to_date",
                    "target",
                    "plan_to_date",
                    "period",
                    "met",
                    "points",
                    "plan_rule",
                    "plan_rule_zh",
                ],
            ),
        }
    )


@builtin_rule(
    "win_rate_above_peers",
    kind="strength",
    coaching="skill",
    scope="rep",
    defaults={"min_closed": 5, "min_gap": 0.1},
    replace=True,
)
def win_rate_above_peers(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A rep who won a larger share of the deals they closed than their teammates did:
    at least ``min_closed`` closed deals on each side, the rep's win rate ``min_gap``
    (10 points) or more above the teammates'. Value: the rep's win rate; reference: the
    teammates'."""
    reps = _rep_results(context)
    if reps.empty:
        return pd.DataFrame()
    closed, peer_closed = reps["won"] + reps["lost"], reps["peer_won"] + reps["peer_lost"]
    rate = reps["won"] / closed.where(closed > 0)
    peer = reps["peer_won"] / peer_closed.where(peer_closed > 0)
    hit = reps[
        (closed >= params["min_closed"])
        & (peer_closed >= params["min_closed"])
        & at_least(rate - peer, params["min_gap"])
    ]
    return pd.DataFrame(
        {
            "team": hit["team"].to_numpy(),
            "owner": hit["owner"].to_numpy(),
            "metric": "win_rate",
            "value": rate[hit.index].to_numpy(),
            "reference": peer[hit.index].to_numpy(),
            "currency": hit["currency"].to_numpy(),
            "evidence": evidence_records(hit, ["won", "lost", "peer_won", "peer_lost", "weeks"]),
        }
    )


@builtin_rule(
    "big_win",
    kind="strength",
    coaching="opportunity",
    scope="deal",
    defaults={"min_ratio": 2.0, "min_team_wins": 3},
    replace=True,
)
def big_win(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A won deal large for its team: at least ``min_ratio`` (2) times the median of the
    deals the team won in the window, in a team with ``min_team_wins`` (3) or more wins.
    One per rep, the largest. Value: the deal's amount; reference: the team's median win.
    """
    closed = closed_deals(context)
    won = closed[["team", "owner", "amount"]][closed["won"].to_numpy(dtype=bool)]
    if won.empty:
        return pd.DataFrame()
    amounts = won.groupby("team")["amount"]
    median, wins = amounts.transform("median"), amounts.transform("size")
    big = won[
        (wins >= params["min_team_wins"]) & at_least(won["amount"], params["min_ratio"] * median)
    ]
    close = pd.to_datetime(closed.loc[big.index, "close_date"]).dt.strftime("%Y-%m-%d")
    big = big.sort_values(["team", "owner", "amount"], ascending=[True, True, False])
    rows = big.drop_duplicates(["team", "owner"]).index  # the largest win of each rep
    hit = closed.loc[rows].assign(team_median=median[rows], team_wins=wins[rows], close=close[rows])
    return deal_rows(
        hit,
        metric="amount",
        value=hit["amount"],
        reference=hit["team_median"],
        amount_at_stake=hit["amount"],
        evidence=evidence_records(hit, ["team_median", "team_wins", "close", "weeks"]),
    )


@builtin_rule(
    "zero_win_rate",
    kind="risk",
    coaching="skill",
    scope="rep",
    defaults={"min_lost": 3},
    replace=True,
)
def zero_win_rate(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A rep who lost every deal closed in the window, ``min_lost`` (3) or more: a 0% win
    rate, the worst there is, not "no win rate". Value: 0; reference: the teammates' win
    rate (blank without closed teammates' deals). Severity: 2, and 3 from 6 deals lost.
    Amount at stake: the amount lost. Evidence: the most frequent loss reason when the
    export records one."""
    reps = _rep_results(context)
    if reps.empty:
        return pd.DataFrame()
    hit = reps[(reps["won"] == 0) & (reps["lost"] >= params["min_lost"])]
    if hit.empty:
        return pd.DataFrame()
    peer_closed = hit["peer_won"] + hit["peer_lost"]
    hit = hit.assign(main_reason=_main_reasons(closed_deals(context), hit))
    return pd.DataFrame(
        {
            "team": hit["team"].to_numpy(),
            "owner": hit["owner"].to_numpy(),
            "metric": "win_rate",
            "value": 0.0,
            "reference": (hit["peer_won"] / peer_closed.where(peer_closed > 0)).to_numpy(),
            "severity": _ALL_LOST(hit["lost"]),
            "amount_at_stake": hit["amount_lost"].to_numpy(),
            "currency": hit["currency"].to_numpy(),
            "evidence": evidence_records(
                hit, ["lost", "peer_won", "peer_lost", "weeks", "main_reason"]
            ),
        }
    )


def _main_reasons(closed: pd.DataFrame, reps: pd.DataFrame) -> list[str]:
    """The loss reason each of ``reps`` (team and owner) gave most often for the deals
    ``closed`` lost (the first in sort order on a tie; blank: none recorded)."""
    if "loss_reason" not in closed:
        return [""] * len(reps)
    lost = closed[closed["lost"]]
    named = lost["loss_reason"].notna() & lost["loss_reason"].astype("str").str.strip().ne("")
    wanted = set(zip(reps["team"], reps["owner"], strict=True))
    counts: dict[tuple[Any, Any], Counter[Any]] = {}
    lost = lost[named.to_numpy(dtype=bool)]
    for team, owner, reason in zip(lost["team"], lost["owner"], lost["loss_reason"], strict=True):
        if (team, owner) in wanted:
            counts.setdefault((team, owner), Counter())[reason] += 1
    return [
        min(counts[rep].items(), key=lambda item: (-item[1], item[0]))[0] if rep in counts else ""
        for rep in zip(reps["team"], reps["owner"], strict=True)
    ]


@builtin_rule(
    "no_open_pipeline", kind="risk", coaching="skill", scope="rep", defaults={}, replace=True
)
def no_open_pipeline(context: WeekDiagnostics, params: Mapping[str, Any]) -> pd.DataFrame:
    """A rep still on the team (a deal in the team's latest export, or a target for the
    period) with no open deal left: no pipeline, so nothing to win next. Value: 0 open
    deals; reference: the team's median open deals per rep. Severity 3. Amount at stake:
    the rep's remaining target when there is one. Evidence: the deals won and lost in the
    window."""
    progress = context.progress_rep
    on_team = [context.latest[["team", "owner"]]]
    if not progress.empty:
        on_team.append(progress[["team", "owner"]])
    reps = {
        (team, owner)
        for frame in on_team
        for team, owner in frame.to_numpy(dtype=object)
        if pd.notna(team) and pd.notna(owner)
    }
    deals = context.open_deals
    teams, owners = (deals[c].to_numpy(dtype=object) for c in ("team", "owner"))
    open_deals = Counter(zip(teams, owners, strict=True))
    idle = sorted(rep for rep in reps if not open_deals[rep])
    if not idle:
        return pd.DataFrame()
    busy: dict[Any, list[int]] = {}  # each team's open deals per rep, of reps with one
    for team, owner in reps:
        if open_deals[(team, owner)]:
            busy.setdefault(team, []).append(open_deals[(team, owner)])
    results = _rep_results(context)
    closed: dict[tuple[Any, Any], tuple[int, int]] = {}
    if len(results):
        rows = zip(results["team"], results["owner"], results["won"], results["lost"], strict=True)
        closed = {(team, owner): (won, lost) for team, owner, won, lost in rows}
    hit = pd.DataFrame(
        {
            "team": [team for team, _ in idle],
            "owner": [owner for _, owner in idle],
            "won": np.array([closed.get(rep, (0, 0))[0] for rep in idle], dtype=np.int64),
            "lost": np.array([closed.get(rep, (0, 0))[1] for rep in idle], dtype=np.int64),
        }
    )
    keys = pd.MultiIndex.from_frame(hit[["team", "owner"]])
    median = pd.Series({team: float(np.median(counts)) for team, counts in busy.items()})
    remaining = pd.Series(np.nan, index=keys)
    currencies = context.latest.groupby("team")["currency"].first()
    if not progress.empty:
        left = progress.assign(_left=(progress["target"] - progress["won_to_date"]).clip(lower=0))
        remaining = left.set_index(["team", "owner"])["_left"].reindex(keys)
        currencies = currencies.combine_first(progress.groupby("team")["currency"].first())
    currency = currencies.reindex(hit["team"])
    return pd.DataFrame(
        {
            "team": hit["team"].to_numpy(),
            "owner": hit["owner"].to_numpy(),
            "metric": "open_deals",
            "value": 0.0,
            "reference": median.reindex(hit["team"]).to_numpy(),
            "severity": 3,
            "amount_at_stake": remaining.to_numpy(),
            "currency": currency.fillna("").to_numpy(),
            "evidence": evidence_records(hit, ["won", "lost"]),
        }
    )
