"""One team's rows, and the rows a team's review reads to tell a reorganisation apart.

A team's review loads :func:`team_deals`: the team's own rows plus, of every deal that
changed team, its handover rows (its row in the other team in the week before it joined or
the week after it left). With them a deal
that moved from team A to team B reads as ``moved_in`` ("moved from A") in B's review and
as ``moved_out`` ("moved to B") in A's, never as new, lost or dropped
(:func:`team_movements`). The team's figures (open pipeline, funnel, forecast, its reps'
tables and coaching) are only ever computed on :func:`team_rows`: the rows whose team is
the team in their week, the one place that says which rows a team's figures count.

>>> h = pd.DataFrame({"snapshot_week": ["2026-W46", "2026-W46", "2026-W47", "2026-W47"],
...     "team": ["North", "South", "South", "South"], "deal_id": ["D1", "D2", "D1", "D2"]})
>>> team_deals(h, "North")[["snapshot_week", "team", "deal_id"]].values.tolist()
[['2026-W46', 'North', 'D1'], ['2026-W47', 'South', 'D1']]
>>> team_rows(team_deals(h, "North"), "North")["deal_id"].tolist()
['D1']
"""

from __future__ import annotations

import pandas as pd

from pipereview.history._trail import deal_key

__all__ = ["MOVED_CATEGORIES", "team_deals", "team_movements", "team_rows"]

#: The movement categories a team's review gives a deal that changed team:
#: ``moved_in`` (joined the team) and ``moved_out`` (left it).
MOVED_CATEGORIES: tuple[str, str] = ("moved_in", "moved_out")


def team_rows(history: pd.DataFrame, team: str) -> pd.DataFrame:
    """The rows whose team is ``team`` in their week: what every figure of the team counts
    (the other teams' rows of the deals that moved, which :func:`team_deals` adds, never
    are). The frame's ``attrs`` (the definitions it carries, the deals a store records as
    removed) are kept.

    >>> h = pd.DataFrame({"team": ["N", "S", None], "deal_id": ["a", "b", "c"]})
    >>> team_rows(h, "N")["deal_id"].tolist()
    ['a']
    """
    if "team" not in history.columns:
        return history.iloc[0:0]
    rows = history[(history["team"] == team).fillna(False).to_numpy(dtype=bool)]
    rows.attrs = dict(history.attrs)
    return rows


def team_deals(history: pd.DataFrame, team: str, *, weeks: list[str] | None = None) -> pd.DataFrame:
    """The rows a team's review loads, in ``history``'s order with its ``attrs``: ``team``'s
    own rows and, of each deal (by :func:`~pipereview.history._trail.deal_key`) that changed
    team, its **handover rows**: its row in the other team in the stored week just before
    it joined ``team`` and in the stored week just after it left. Those are all a move
    needs to read as ``moved_in`` or ``moved_out`` (:func:`team_movements`), and nothing of
    what the other team did with the deal before or after is handed to this team's
    review or its locked dashboard. Only :func:`team_rows` of it count in its figures.
    ``weeks``: every stored week, when ``history`` holds only some deals' rows (default:
    the weeks ``history`` holds).

    >>> h = pd.DataFrame({"snapshot_week": ["2026-W45", "2026-W46", "2026-W47", "2026-W48"],
    ...     "team": ["A", "A", "B", "B"], "deal_id": "D1"})
    >>> team_deals(h, "B")[["snapshot_week", "team"]].values.tolist()
    [['2026-W46', 'A'], ['2026-W47', 'B'], ['2026-W48', 'B']]
    >>> team_deals(h, "A")[["snapshot_week", "team"]].values.tolist()
    [['2026-W45', 'A'], ['2026-W46', 'A'], ['2026-W47', 'B']]

    Two teams' different deals under one ID (each team's CRM numbers its own) are never
    a handover in a week both hold the ID:

    >>> twins = pd.DataFrame({"snapshot_week": ["2026-W46", "2026-W46", "2026-W47"],
    ...     "team": ["A", "B", "B"], "deal_id": "7"})
    >>> team_deals(twins, "B")["team"].tolist()
    ['B', 'B']
    """
    if history.empty or "team" not in history.columns:
        return history.iloc[0:0] if "team" not in history.columns else history
    keys = deal_key(history).astype("str").to_numpy()
    held_weeks = history["snapshot_week"].astype("str")
    order = {w: i for i, w in enumerate(sorted(set(held_weeks.unique()) | set(weeks or [])))}
    at = held_weeks.map(order).to_numpy(dtype="int64")
    mine = (history["team"] == team).fillna(False).to_numpy(dtype=bool)
    held = pd.MultiIndex.from_arrays([keys[mine], at[mine]])
    near = pd.MultiIndex.from_arrays([keys, at - 1]).isin(held) | pd.MultiIndex.from_arrays(
        [keys, at + 1]
    ).isin(held)
    # a deal is in one team a week: the other team's row of a key the team holds that same
    # week is another deal under the same ID (two CRMs' numbering), never a handover
    same = pd.MultiIndex.from_arrays([keys, at]).isin(held)
    rows = history[mine | (near & ~same)]
    rows.attrs = dict(history.attrs)
    return rows


def team_movements(moves: pd.DataFrame, team: str) -> pd.DataFrame:
    """``team``'s rows of :func:`~pipereview.history.deal_movements` over the rows of
    :func:`team_deals` (last week's and this week's): the deals that are the team's this
    week or were last week, a deal that changed team categorised ``moved_in`` (it joined
    the team) or ``moved_out`` (it left it) instead of what else happened to it; a deal that
    left keeps the team's rep who held it (``owner_from``) as its ``owner``.

    >>> from pipereview.history._movements import deal_movements
    >>> prev = pd.DataFrame({"deal_id": ["D1", "D2"], "deal_name": "MES", "account": "Acme",
    ...     "team": ["A", "A"], "owner": "Ann", "stage": "negotiation",
    ...     "stage_model": "generic_4", "amount": 100.0, "currency": "USD",
    ...     "close_date": pd.Timestamp("2026-11-30")})
    >>> moves = deal_movements(prev, prev.assign(team=["B", "A"]))
    >>> team_movements(moves, "B")[["deal_id", "category", "team_from"]].values.tolist()
    [['D1', 'moved_in', 'A']]
    >>> team_movements(moves, "A")["category"].tolist()
    ['moved_out', 'unchanged']
    """
    if moves.empty:
        return moves
    now = (moves["team"] == team).fillna(False)
    before = (moves["team_from"] == team).fillna(False)
    moved = moves["team_changed"].fillna(False).astype(bool)
    out = moves[(now | before).to_numpy(dtype=bool)].copy()
    joined, left = (moved & now)[out.index], (moved & before & ~now)[out.index]
    category = out["category"].astype("object")
    category = category.mask(joined.to_numpy(dtype=bool), MOVED_CATEGORIES[0])
    category = category.mask(left.to_numpy(dtype=bool), MOVED_CATEGORIES[1])
    out["category"] = category.astype(moves["category"].dtype)
    if "owner_from" in out.columns:  # a deal that left is listed under the team's own rep
        out["owner"] = out["owner"].mask(left.to_numpy(dtype=bool), out["owner_from"])
    return out
