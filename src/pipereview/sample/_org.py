"""A generated organisation for scale benchmarks: many teams, many deals, many weeks.

Unlike the sample set (four hand-specified teams written as CRM exports), the
organisation (its teams: ``_org_teams``) is written as canonical snapshots, straight
into a :class:`~pipereview.history._store.SnapshotStore`, one week at a time, vectorised
over deals, so that 50 teams x 100,000 open deals x 104 weeks takes minutes rather than
hours. Deals move as in the sample: new deals enter at the first stages, open deals
advance, stay, are won or lost (stage rates from
:class:`~pipereview.sample._process.Process`), close dates are pushed (or left in the
past), amounts change, some deals go quiet, one rep in every fifth team holds deals at a
middle stage (a bottleneck), and some reps move deals on without the exit-criteria
evidence. New deals replace the ones closed, so the number of open deals stays near
``deals``; closed deals stay in the export for four weeks.

Same arguments, same frames (one seeded random generator).

>>> weeks = list(organisation_weeks(teams=3, deals=300, weeks=2))
>>> [w for w, _ in weeks], weeks[-1][1]["team"].nunique()
(['2026-W46', '2026-W47'], 3)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipereview.core._errors import InputError
from pipereview.core._stages import EVIDENCE_FLAG_FIELDS, EVIDENCE_TEXT_FIELDS
from pipereview.core._weeks import Week
from pipereview.sample._org_teams import LOCALES, STAGE_MODELS, OrgTeams, team_names
from pipereview.sample._process import RateTables, forecast, stock_weights

__all__ = ["OrgSummary", "generate_organisation", "organisation_weeks"]

_CLOSED_WEEKS_KEPT = 4  # closed deals stay in the weekly export this long
_SLOPPY = 0.15  # share of deals whose rep moves them on without every criterion met
_QUIET = 0.12  # share of open deals with no activity logged in a given week
_PUSH = 0.05  # weekly chance an open deal's close date is pushed although not yet due
_DUE_PUSH = 0.6  # chance a due (or overdue) open deal's close date is pushed that week


@dataclass(frozen=True)
class OrgSummary:
    """What :func:`generate_organisation` wrote: weeks, teams, rows, distinct deals."""

    weeks: tuple[str, ...]
    teams: tuple[str, ...]
    rows: int
    deals: int


def generate_organisation(
    store: str | Path,
    *,
    teams: int = 50,
    deals: int = 100_000,
    weeks: int = 104,
    last_week: str = "2026-W47",
    seed: int = 2026,
    reps_per_team: int = 10,
) -> OrgSummary:
    """Write the organisation of :func:`organisation_weeks` into the snapshot store at
    ``store`` (every week validated and written by :meth:`SnapshotStore.add`)."""
    from pipereview.history._store import SnapshotStore

    target = SnapshotStore(store)
    written, rows, seen = [], 0, 0
    for week, frame in organisation_weeks(
        teams=teams,
        deals=deals,
        weeks=weeks,
        last_week=last_week,
        seed=seed,
        reps_per_team=reps_per_team,
    ):
        target.add(frame, week, replace=True)
        written.append(week)
        rows += len(frame)
        seen = max(seen, int(frame.attrs.get("deals_born", 0)))
    return OrgSummary(weeks=tuple(written), teams=team_names(teams), rows=rows, deals=seen)


class _Deals:
    """Every deal born so far, as growing columns (index = deal number)."""

    def __init__(self, capacity: int) -> None:
        self.n = 0
        self.cols: dict[str, np.ndarray] = {}
        self.capacity = capacity

    def add(self, **cols: np.ndarray) -> np.ndarray:
        k = len(next(iter(cols.values())))
        if self.n + k > self.capacity or not self.cols:
            self.capacity = max(self.capacity, 2 * (self.n + k))
            for name, values in cols.items():
                old = self.cols.get(name)
                grown = np.zeros(self.capacity, dtype=values.dtype)
                if old is not None:
                    grown[: self.n] = old[: self.n]
                self.cols[name] = grown
        for name, values in cols.items():
            self.cols[name][self.n : self.n + k] = values
        born = np.arange(self.n, self.n + k)
        self.n += k
        return born

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name][: self.n]


def organisation_weeks(
    *,
    teams: int = 50,
    deals: int = 100_000,
    weeks: int = 104,
    last_week: str = "2026-W47",
    seed: int = 2026,
    reps_per_team: int = 10,
) -> Iterator[tuple[str, pd.DataFrame]]:
    """Canonical weekly snapshots of a generated organisation, oldest week first:
    ``teams`` teams of ``reps_per_team`` reps (stage models, currencies and languages
    in turn), about ``deals`` open deals each week, ``weeks`` weeks ending at
    ``last_week``. Each frame passes :func:`~pipereview.ingest._schema.validate_snapshot`;
    ``frame.attrs["deals_born"]`` counts the distinct deals so far."""
    if teams < 1 or deals < teams or weeks < 1 or reps_per_team < 1:
        raise InputError(
            "need teams >= 1, deals >= teams, weeks >= 1, reps_per_team >= 1; got "
            f"teams={teams}, deals={deals}, weeks={weeks}, "
            f"reps_per_team={reps_per_team}",
            hint="pass at least one team, week and rep per team, and at least as "
            "many deals as teams",
        )
    rng = np.random.default_rng(seed)
    tab = RateTables(STAGE_MODELS)
    org = OrgTeams.drawn(rng, teams, reps_per_team)
    # the bottleneck: rep 0 of every fifth team rarely moves deals on from a middle stage
    slow_team = np.arange(teams) % 5 == 0
    first = Week.parse(last_week) - (weeks - 1)
    store = _Deals(capacity=deals * 2)
    evidence = list(EVIDENCE_FLAG_FIELDS) + list(EVIDENCE_TEXT_FIELDS)
    criteria = tab.criteria_table(evidence)
    # the standing pipeline on the first week: open deals spread over the stages
    day0 = np.datetime64(first.friday, "D")
    team0 = rng.choice(teams, deals, p=org.weight)
    model0 = org.model[team0]
    stage0 = np.empty(deals, dtype=np.int64)
    for m in range(len(STAGE_MODELS)):
        of = model0 == m
        stage0[of] = rng.choice(tab.n_open[m], int(of.sum()), p=stock_weights(tab.n_open[m]))
    start = _born(store, tab, org, evidence, rng, deals, day0, stage0, team0)
    for s in range(tab.width):  # evidence of the stages already passed
        passed = start[stage0 > s]
        _give_evidence(store, passed, s, criteria, evidence, rng)
    for i in range(weeks):
        week = first + i
        day = np.datetime64(week.friday, "D")
        if i:
            _advance_week(store, tab, criteria, evidence, rng, day, i, slow_team)
            closed_now = int((store["closed_week"] == i).sum())
            k = max(0, int(rng.normal(closed_now, closed_now**0.5 + 1)))
            if k:
                new = _born(store, tab, org, evidence, rng, k, day, None, None)
                _give_evidence(store, new[store["stage"][new] > 0], 0, criteria, evidence, rng)
        closed_week = store["closed_week"]
        visible = np.flatnonzero((closed_week < 0) | (i - closed_week < _CLOSED_WEEKS_KEPT))
        frame = _frame(store, visible, tab, org, evidence, week)
        frame.attrs["deals_born"] = store.n
        yield str(week), frame


def _born(
    store: _Deals,
    tab: RateTables,
    org: OrgTeams,
    evidence: list[str],
    rng: np.random.Generator,
    k: int,
    day: np.datetime64,
    stage: np.ndarray | None,
    team: np.ndarray | None,
) -> np.ndarray:
    """``k`` new deals on ``day`` (``stage``, ``team``: else drawn); their deal numbers."""
    teams, reps_per_team = org.reps.shape
    team = rng.choice(teams, k, p=org.weight) if team is None else team
    model = org.model[team]
    if stage is None:
        stage = np.minimum((rng.random(k) < 0.3).astype(np.int64), tab.n_open[model] - 1)
    locale = org.locale[team]
    median = np.array([m for _, _, m in LOCALES])[locale]
    amount = np.maximum(100.0, np.round(median * rng.lognormal(0, 0.8, k), -2))
    age = np.where(stage > 0, rng.gamma(2.0, 20.0 * (stage + 1)), rng.integers(0, 7, k))
    created = day - age.astype(np.int64)
    close = np.maximum(day + 7, created + rng.integers(45, 240, k))
    return store.add(
        team=team.astype(np.int16),
        model=model.astype(np.int8),
        rep=rng.integers(reps_per_team, size=k).astype(np.int16),
        stage=stage.astype(np.int8),
        closed_week=np.full(k, -1, dtype=np.int32),
        amount=amount,
        close=close.astype("M8[D]"),
        created=created.astype("M8[D]"),
        activity=(day - rng.integers(0, 10, k)).astype("M8[D]"),
        sloppy=rng.random(k) < _SLOPPY,
        seq=np.arange(store.n, store.n + k),
        account=rng.integers(1 << 30, size=k),
        product=rng.integers(1 << 30, size=k),
        next_step=rng.integers(1 << 30, size=k),
        **{f"ev_{f}": np.zeros(k, dtype=bool) for f in evidence},
    )


def _give_evidence(
    store: _Deals,
    rows: np.ndarray,
    stage: int,
    criteria: np.ndarray,
    evidence: list[str],
    rng: np.random.Generator,
) -> None:
    """The deals ``rows`` leave ``stage``: its criteria are met (a sloppy rep may skip one)."""
    if not len(rows):
        return
    model = store["model"][rows]
    needed = criteria[model, stage]  # rows x fields
    skip = store["sloppy"][rows] & (rng.random(len(rows)) < 0.7)
    drop = rng.integers(len(evidence), size=len(rows))
    needed[np.flatnonzero(skip), drop[skip]] = False
    for f, field in enumerate(evidence):
        column = store.cols[f"ev_{field}"]
        column[rows] |= needed[:, f]


def _advance_week(
    store: _Deals,
    tab: RateTables,
    criteria: np.ndarray,
    evidence: list[str],
    rng: np.random.Generator,
    day: np.datetime64,
    i: int,
    slow_team: np.ndarray,
) -> None:
    """One week: open deals advance, win, lose, are pushed, change amounts, log activity."""
    rows = np.flatnonzero(store["closed_week"] < 0)
    model = store["model"][rows].astype(np.int64)
    stage = store["stage"][rows].astype(np.int64)
    last = stage == tab.n_open[model] - 1
    advance = tab.advance[model, stage]
    middle = tab.n_open[model] // 2
    slow = slow_team[store["team"][rows]] & (store["rep"][rows] == 0) & (stage == middle)
    advance = np.where(slow, advance * 0.2, advance)
    lose = tab.lose[model, stage]
    win = np.where(last, tab.win[model], 0.0)
    roll = rng.random(len(rows))
    lost = roll < lose
    won = ~lost & (roll < lose + win)
    moved = ~lost & ~won & (roll < lose + win + advance) & ~last
    for s in range(tab.width):
        _give_evidence(store, rows[moved & (stage == s)], s, criteria, evidence, rng)
    won_rows = rows[won]
    for s in range(tab.width):  # a won deal met the last stage's criteria
        _give_evidence(store, won_rows[stage[won] == s], s, criteria, evidence, rng)
    store.cols["stage"][rows[moved]] += 1
    closed = rows[won | lost]
    store.cols["closed_week"][closed] = i
    store.cols["stage"][rows[won]] = tab.width
    store.cols["stage"][rows[lost]] = tab.width + 1
    store.cols["close"][closed] = day - rng.integers(0, 5, len(closed))
    still = rows[~(won | lost)]
    close = store["close"][still]
    due = close <= day + 7
    push = np.where(due, rng.random(len(still)) < _DUE_PUSH, rng.random(len(still)) < _PUSH)
    store.cols["close"][still[push]] = close[push] + rng.integers(14, 60, int(push.sum()))
    change = rng.random(len(still)) < 0.03
    store.cols["amount"][still[change]] = np.maximum(
        100.0,
        np.round(store["amount"][still[change]] * rng.uniform(0.8, 1.2, int(change.sum())), -2),
    )
    busy = rng.random(len(still)) >= _QUIET
    busy &= (store["seq"][still] % 9) != 0  # about one deal in nine goes quiet for good
    store.cols["activity"][still[busy]] = day - rng.integers(0, 5, int(busy.sum()))
    store.cols["activity"][closed] = store["close"][closed]


def _frame(
    store: _Deals, rows: np.ndarray, tab: RateTables, org: OrgTeams, evidence: list[str], week: Week
) -> pd.DataFrame:
    """The canonical snapshot of ``week``: the deals ``rows``, ordered by team."""
    team = store["team"][rows].astype(np.int64)
    rows = rows[np.argsort(team, kind="stable")]
    team = store["team"][rows].astype(np.int64)
    n = len(rows)
    model = store["model"][rows].astype(np.int64)
    stage = store["stage"][rows].astype(np.int64)
    is_open = stage < tab.width
    probability = np.where(
        is_open,
        tab.probability[model, np.minimum(stage, tab.width - 1)],
        (stage == tab.width).astype(float),
    )
    stage_name = tab.names[model, stage]
    locale = org.locale[team]
    account = np.empty(n, dtype=object)
    deal = np.empty(n, dtype=object)
    next_step = np.empty(n, dtype=object)
    competitor = np.empty(n, dtype=object)
    people = np.empty(n, dtype=object)
    for loc, (code, _, _) in enumerate(LOCALES):
        of = locale == loc
        if not of.any():
            continue
        pool = org.pools[code]
        a = store["account"][rows[of]] % len(pool.accounts)
        account[of] = pool.accounts[a]
        deal[of] = pool.deal_names[
            a * len(pool.products) + store["product"][rows[of]] % len(pool.products)
        ]
        next_step[of] = pool.next[store["next_step"][rows[of]] % len(pool.next)]
        competitor[of] = pool.competitors[store["seq"][rows[of]] % len(pool.competitors)]
        people[of] = pool.people[store["seq"][rows[of]] % len(pool.people)]
    next_step[~is_open | (store["next_step"][rows] % 4 == 0)] = None
    currency = np.array([c for _, c, _ in LOCALES], dtype=object)[locale]
    row_in_team = np.arange(n) - np.searchsorted(team, team)
    category = np.empty(n, dtype=object)
    for m, p in enumerate(tab.processes):
        of = model == m
        category[of] = forecast(stage_name[of], probability[of], p)
    columns: dict[str, object] = {
        "snapshot_week": np.full(n, str(week), dtype=object),
        "team": np.array(org.names, dtype=object)[team],
        "deal_id": _ids(store["seq"][rows]),
        "deal_name": deal,
        "account": account,
        "owner": org.reps[team, store["rep"][rows]],
        "stage": stage_name,
        "stage_model": np.array(STAGE_MODELS, dtype=object)[model],
        "amount": store["amount"][rows],
        "currency": currency,
        "close_date": store["close"][rows].astype("M8[ns]"),
        "created_date": store["created"][rows].astype("M8[ns]"),
        "probability": probability,
        "forecast_category": category,
        "last_activity_date": store["activity"][rows].astype("M8[ns]"),
        "next_step": next_step,
    }
    frame = pd.DataFrame(columns)
    for f in EVIDENCE_FLAG_FIELDS:
        frame[f] = pd.array(store[f"ev_{f}"][rows], dtype="boolean")
    for f in EVIDENCE_TEXT_FIELDS:
        text = competitor if f == "competitor" else people
        values = text.copy()
        values[~store[f"ev_{f}"][rows]] = None
        frame[f] = values
    frame["account_missing"] = False
    frame["source_file"] = np.array(
        [f"team-{t + 1:02d}.csv" for t in range(len(org.names))], dtype=object
    )[team]
    frame["source_row"] = (row_in_team + 2).astype(np.int64)
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].astype("str")
    return frame


def _ids(seq: np.ndarray) -> np.ndarray:
    """Salesforce-like opportunity IDs, one per deal number."""
    text: np.ndarray = np.char.add("006Q", np.char.zfill(seq.astype(str), 11)).astype(object)
    return text
