"""The weekly simulation: one team's deals evolve week by week from one random generator.

New deals enter at the first stages, deals advance, stay, stall, are won or lost, close
dates are pushed, amounts change; every exported week is kept as a canonical frame.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar, cast

import numpy as np
import pandas as pd

from pipereview.core._stages import (
    EVIDENCE_FIELDS,
    StageModel,
    load_stage_model,
)
from pipereview.core._weeks import Week
from pipereview.ingest._columnmaps import ColumnMap, load_column_map
from pipereview.sample._dates import DAY, Date, quarter, snap
from pipereview.sample._deal import Deal, week_frame
from pipereview.sample._formats import Dialect, dialect_of
from pipereview.sample._ids import make_ids
from pipereview.sample._process import Process, bottleneck_index, stock_weights
from pipereview.sample._teams import (
    POOLS,
    THIN_TOP_WEEKS_BEFORE_FIRST,
    TeamSpec,
    all_accounts,
    deal_name,
    loss_reasons,
    person,
)

__all__ = [
    "AMOUNT_STYLE_WEIGHTS",
    "LATE_CRITERIA",
    "LONG_DATE_SHARE",
    "WORK_MINUTES",
    "Simulator",
    "TeamRun",
    "round_to",
]

AMOUNT_STYLE_WEIGHTS = (0.55, 0.3, 0.15)  # a deal's amount typed as ¥1,200,000.00 | 120万 | 1.5万元
LONG_DATE_SHARE = 0.4  # deals whose close date is typed the long way: 2026年11月23日
WORK_MINUTES = (8 * 60, 18 * 60)  # deals are created during office hours
_BURN_IN_WEEKS = 30  # simulated weeks before the first exported one
_SLOPPY_DEALS = 0.15  # share of deals whose rep moves them on without the evidence
_SKIP_EVIDENCE = (0.02, 0.7)  # chance to leave a stage with one criterion unmet (tidy, sloppy)

#: Exit criteria added to a shipped stage model after the sample's seed was fixed, as
#: (stage model, field). Their evidence is drawn from a random stream of its own, so the
#: rest of the team's history stays the same draw and the sample changes only by them.
LATE_CRITERIA: frozenset[tuple[str, str]] = frozenset({("generic_4", "relationship_mapped")})

_N = TypeVar("_N", int, float)


def round_to(value: float, step: _N) -> _N:
    """``value`` rounded to a multiple of ``step``, and at least one step.

    >>> round_to(1_234.0, 500.0), round_to(80.0, 500.0), round_to(12_345.6, 5_000)
    (1000.0, 500.0, 10000)
    """
    return max(step, round(value / step) * step)


def _round_amount(value: float, currency: str) -> float:
    return round_to(value, 10_000.0 if currency == "CNY" else 500.0)


@dataclass
class TeamRun:
    """One team's simulated history: a canonical frame per exported week, and facts."""

    spec: TeamSpec
    cmap: ColumnMap
    model: StageModel
    dialect: Dialect
    process: Process
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    new_per_week: dict[str, int] = field(default_factory=dict)
    migrated: list[tuple[str, str]] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)


class Simulator:
    """Week-by-week evolution of one team's deals, driven by one random generator."""

    def __init__(self, spec: TeamSpec, rng: np.random.Generator, scale: float) -> None:
        self.spec, self.rng, self.scale = spec, rng, scale
        self.pool = POOLS[spec.locale]
        cmap = load_column_map(spec.column_map)
        model = load_stage_model(spec.stage_model)
        self.dialect = dialect_of(cmap)
        self.p = Process.of(model, spec.velocity, spec.top_velocity)
        self.run = TeamRun(spec, cmap, model, self.dialect, self.p)
        self.names: set[str] = set()
        self.counter = int(rng.integers(50_000, 90_000))
        every = all_accounts(spec.locale)  # a territory of 90 customers
        self.accounts = [every[int(i)] for i in rng.choice(len(every), 90, replace=False)]
        self.bottleneck = bottleneck_index(self.p, spec)
        self.late = frozenset(f for m, f in LATE_CRITERIA if m == model.name)
        seeds = rng.bit_generator.seed_seq  # spawning from it leaves rng's stream alone
        self.late_rng = np.random.default_rng(cast(np.random.SeedSequence, seeds).spawn(1)[0])

    def _pick(self, options: Sequence[str]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def _days(self, low: int, high: int) -> datetime.timedelta:
        """A random whole number of days in [low, high)."""
        return DAY * int(self.rng.integers(low, high))

    # -- deals
    def _new_deal(self, owner: str, created: Date, stage: int) -> Deal:
        rng, spec, p = self.rng, self.spec, self.p
        self.counter += int(rng.integers(1, 40))
        account = self._account(created)
        name = deal_name(spec.locale, account, self._product(created))
        base, n = name, 2
        while name in self.names:
            name, n = f"{base} ({n})", n + 1
        self.names.add(name)
        pusher = bool(rng.random() < 0.2)
        cycle = p.cycle_days / self.spec.velocity * float(rng.lognormal(0.0, 0.3))
        close = snap(
            created + DAY * max(14, int(cycle * (0.4 if pusher else 1.0))), rng.random() < 0.4
        )
        amount = _round_amount(spec.amount_median * float(rng.lognormal(0.0, 0.7)), spec.currency)
        deal_id = make_ids(self.dialect.id_style, rng, np.array([self.counter]), created.year)
        deal = Deal(
            seq=self.counter,
            deal_id=str(deal_id[0]),
            name=name,
            account=account,
            owner=owner,
            created=created,
            minute=int(rng.integers(*WORK_MINUTES)),
            stage=0,
            amount=amount,
            close_date=close,
            last_activity=created,
            next_step=self._pick(self.pool["next"]),
            u=rng.random(len(EVIDENCE_FIELDS)),
            texts={
                "decision_maker": person(spec.locale, self._pick, boss=rng.random() < 0.5),
                "coach": person(spec.locale, self._pick),
                "competitor": self._pick(self.pool["competitor"]),
            },
            pusher=pusher,
            stale_close=bool(rng.random() < 0.05),
            sloppy=bool(rng.random() < _SLOPPY_DEALS),
            amount_style=int(rng.choice(len(AMOUNT_STYLE_WEIGHTS), p=AMOUNT_STYLE_WEIGHTS)),
            date_style=int(rng.random() < LONG_DATE_SHARE),
        )
        for f, u in zip(EVIDENCE_FIELDS, deal.u, strict=True):
            if f in p.criteria_fields and u < 0.08:  # known early, before the stage asks
                deal.met.add(f)
        for _ in range(stage):
            self._advance(deal)
        return deal

    def _advance(self, d: Deal) -> None:
        self._pass_criteria(d)
        d.stage += 1
        d.next_step = self._pick(self.pool["next"])

    def _close(self, d: Deal, outcome: str, monday: Date) -> None:
        if outcome == "won":
            self._pass_criteria(d)
        d.outcome = outcome
        d.closed_on = monday + self._days(0, 5)
        d.close_date = d.last_activity = d.closed_on
        d.next_step = ""
        if outcome == "lost":
            seq, competitor = np.array([d.seq]), np.array([d.texts["competitor"]])
            d.loss_reason = str(loss_reasons(self.spec.locale, seq, competitor)[0])

    def _pass_criteria(self, d: Deal) -> None:
        """Leaving a stage: its criteria count as met, except that now and then one is
        skipped (stage inflation: the deal moves on without the evidence)."""
        todo = [f for f in self.p.criteria[d.stage] if f not in d.met and f not in d.skipped]
        late = [f for f in todo if f in self.late]
        todo = [f for f in todo if f not in self.late]
        chance = _SKIP_EVIDENCE[d.sloppy]
        skip = int(self.rng.integers(len(todo))) if todo and self.rng.random() < chance else -1
        for index, f in enumerate(todo):
            (d.skipped if index == skip else d.met).add(f)
        for f in late:  # each skipped on its own, as often as one of the others is
            (d.skipped if self.late_rng.random() < chance else d.met).add(f)

    def _step(self, d: Deal, week: Week) -> None:
        rng, p = self.rng, self.p
        monday, friday = week.monday, week.friday
        r = rng.random(8)
        d.stalled = (r[0] >= 0.06) if d.stalled else (r[0] < 0.015)
        i = d.stage
        adv, lose, win = p.advance[i], p.lose[i], (p.win if i == len(p.keys) - 1 else 0.0)
        if d.owner == self.spec.bottleneck_rep and i == self.bottleneck:
            adv, lose = adv * 0.04, lose * 0.3
        adv, lose, win = self._rates(d, week, adv, lose, win)
        if d.stalled:
            adv, lose, win = adv * 0.1, lose * 0.3, win * 0.1
        if r[1] < win:
            self._close(d, "won", monday)
            return
        if r[1] < win + lose:
            self._close(d, "lost", monday)
            return
        if r[1] < win + lose + adv:
            self._advance(d)
            r[6] = 0.0  # a stage change is an activity
        else:
            rate = 0.03 if d.stalled else 0.3
            drawn = [f for f in p.criteria[i] if f not in self.late]
            late = [f for f in p.criteria[i] if f in self.late]
            draws = [*rng.random(len(drawn)), *self.late_rng.random(len(late))]
            for f, u in zip(drawn + late, draws, strict=True):
                if u < rate and f not in d.skipped:
                    d.met.add(f)
        overdue = d.close_date < friday
        if (
            not d.stale_close
            and d.close_date < friday + 7 * DAY
            and r[3] < (0.85 if d.pusher or overdue else 0.5)
        ):
            days = int(14 + r[4] * (21 if d.pusher else 55))
            d.close_date = snap(max(d.close_date, friday) + DAY * days, r[4] < 0.4)
            d.push_weeks.append(str(week))
        elif r[3] > 0.996 and d.close_date > friday + 60 * DAY:
            d.close_date -= 21 * DAY  # pulled in
        if r[5] < 0.03:
            factor = float(np.exp(rng.normal(0.0, 0.22)))
            d.amount = _round_amount(d.amount * factor, self.spec.currency)
        if r[6] < (0.03 if d.stalled else 0.7):
            d.last_activity = monday + DAY * int(r[7] * 5)

    # -- hooks: the two-year sample (``_history``) changes these; here they change nothing
    def _account(self, created: Date) -> str:
        """The account of a deal created on ``created``."""
        return self._pick(self.accounts)

    def _product(self, created: Date) -> str:
        """The project a deal created on ``created`` is about."""
        return self._pick(self.pool["product"])

    def _rates(
        self, d: Deal, week: Week, adv: float, lose: float, win: float
    ) -> tuple[float, float, float]:
        """Deal ``d``'s weekly chances to advance, be lost and be won in ``week``."""
        return adv, lose, win

    def _reps(self, week: Week) -> tuple[str, ...]:
        """The reps who sell in ``week``."""
        return self.spec.reps

    def _rate(self, owner: str, week: Week, rate: float) -> float:
        """The mean number of deals ``owner`` creates in ``week`` (``rate``: the team's)."""
        return rate

    def _thin_from(self, weeks: list[Week]) -> Week:
        """The week the thin-top team's lead flow dries up."""
        return weeks[0] - THIN_TOP_WEEKS_BEFORE_FIRST

    # -- the weeks
    def simulate(self, weeks: list[Week], migration: Week | None) -> TeamRun:
        rng, spec = self.rng, self.spec
        start = weeks[0] - _BURN_IN_WEEKS
        thin_from = self._thin_from(weeks)
        opened: list[Deal] = []
        for _ in range(round(spec.stock_per_rep * len(spec.reps) * self.scale)):
            owner = self._pick(self._reps(start))
            created = start.monday - self._days(1, 200)
            stage = int(rng.choice(len(self.p.keys), p=stock_weights(len(self.p.keys))))
            deal = self._new_deal(owner, created, stage)
            deal.last_activity = start.monday - self._days(1, 30)
            if deal.close_date < start.monday:
                deal.close_date = snap(start.monday + self._days(7, 90), False)
            opened.append(deal)
        exported = {str(w) for w in weeks}
        week = start
        # run on to the end of the last week's quarter: targets compare with what happens
        end = Week.of(quarter(weeks[-1].friday)[1])
        while week <= max(end, weeks[-1]):
            if migration is not None and week == migration:
                self._migrate(opened, week)
            for deal in opened:
                if deal.outcome is None:
                    self._step(deal, week)
            rate = spec.new_per_rep if week >= thin_from else spec.early_new_per_rep
            new = 0
            for owner in self._reps(week):
                for _ in range(int(rng.poisson(self._rate(owner, week, rate) * self.scale))):
                    created = week.monday + self._days(0, 5)
                    opened.append(self._new_deal(owner, created, int(rng.random() < 0.2)))
                    new += 1
            if str(week) in exported:
                self.run.new_per_week[str(week)] = new
                self.run.frames[str(week)] = self._frame(opened, week)
            week = week + 1
        self.run.deals = opened
        return self.run

    def _migrate(self, deals: list[Deal], week: Week) -> None:
        candidates = [d for d in deals if d.outcome is None and d.created < week.monday]
        chosen = self.rng.choice(
            len(candidates), size=min(len(candidates), int(self.rng.integers(8, 13))), replace=False
        )
        for index in sorted(int(i) for i in chosen):
            deal = candidates[index]
            new_id = str(make_ids("cn_new", self.rng, np.array([deal.seq]), week.year)[0])
            self.run.migrated.append((deal.deal_id, str(new_id)))
            deal.deal_id = new_id

    def _frame(self, deals: Iterable[Deal], week: Week) -> pd.DataFrame:
        return week_frame(deals, week, self.spec.name, self.spec.currency, self.p)
