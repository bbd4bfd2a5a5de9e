"""The two-year sample: seasons (淡旺季), growth, product lines, customers and planted cases.

``generate_samples(..., years=2)`` simulates 104 weeks with :class:`HistorySimulator`: the
default sample's simulation, with these changes (all of them planted on purpose):

* **seasons**: new deals follow :data:`SEASON` by month (slow around the Spring Festival
  in January-February and in August, strong at quarter ends) and wins
  :data:`WIN_SEASON` (the quarter-end push, December strongest);
* **growth**: a team's flow of new deals grows by :data:`GROWTH` a year (West shrinks);
* **product lines**: each deal belongs to one of its team's :data:`PRODUCT_LINES`; one
  line per team (:data:`SHRINKING_LINES`) loses share year after year;
* **customers**: a territory of :data:`TERRITORY` accounts of uneven size (even in
  :data:`FLAT_TEAM`); a new deal goes to an existing customer (an account with a won
  deal) with the team's :data:`EXISTING_SHARE`, else to an account never won;
* **a long-standing weak stage**: in :data:`WEAK_STAGE_TEAM`, deals leave
  :data:`WEAK_STAGE` for the next stage at :data:`WEAK_CONVERSION` of the time;
* **a rep in ramp-up**: :data:`RAMP_REP` joins :data:`RAMP_TEAM` at the start of the last
  year and sells at :data:`RAMP_CAPACITY` of a full rep's rate.

>>> season_of(Week.parse("2025-W51")), season_of(Week.parse("2025-W33"))
(12, 8)
>>> [spec.reps[-1] for spec in history_teams()][2]
'孙悦'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np
import pandas as pd

from pipereview.core._weeks import Week
from pipereview.sample._dates import DAY, Date
from pipereview.sample._deal import Deal
from pipereview.sample._simulate import Simulator
from pipereview.sample._teams import TEAMS, THIN_TOP_WEEKS_BEFORE_FIRST, TeamSpec, all_accounts

__all__ = [
    "AMOUNT_SPREAD",
    "EXISTING_SHARE",
    "FLAT_TEAM",
    "FLOW",
    "GROWTH",
    "HISTORY_EARLY_NEW",
    "PRODUCT_LINES",
    "RAMP_CAPACITY",
    "RAMP_REP",
    "RAMP_TEAM",
    "SEASON",
    "SHRINKING",
    "SHRINKING_LINES",
    "SHRINKING_LINE_SHARE",
    "TERRITORY",
    "WEAK_CONVERSION",
    "WEAK_STAGE",
    "WEAK_STAGE_TEAM",
    "WEEKS_PER_YEAR",
    "WIN_SEASON",
    "HistorySimulator",
    "history_teams",
    "season_of",
]

WEEKS_PER_YEAR = 52
#: New deals by month of the week they are created in: slow in January-February (the
#: Spring Festival) and August, strong at the quarter ends, December strongest.
SEASON: dict[int, float] = {
    1: 0.7, 2: 0.5, 3: 1.15, 4: 0.95, 5: 1.0, 6: 1.2,
    7: 0.9, 8: 0.55, 9: 1.2, 10: 0.95, 11: 1.1, 12: 1.35,
}  # fmt: skip
#: Wins by month: the push to close before each quarter ends, the year end above all.
WIN_SEASON: dict[int, float] = {
    1: 0.5, 2: 0.4, 3: 1.3, 4: 0.9, 5: 1.0, 6: 1.3,
    7: 0.85, 8: 0.4, 9: 1.3, 10: 0.9, 11: 1.1, 12: 2.5,
}  # fmt: skip
#: Yearly growth of each team's flow of new deals (West: down).
GROWTH: dict[str, float] = {"North": 1.5, "West": 0.6, "华东": 1.5, "DACH": 1.5}
#: Every team sells more deals than in the default sample (so that months compare), of
#: amounts less spread (:data:`AMOUNT_SPREAD`, the log-normal's sigma; the default's 0.7).
FLOW, AMOUNT_SPREAD = 2.0, 0.45
#: West's flow of new deals before its lead flow dries up (the default sample's 3.0 per
#: rep and week would grow a pipeline of thousands over two years).
HISTORY_EARLY_NEW: dict[str, float] = {"West": 1.4}
#: Share of a team's new deals that go to existing customers (North: few new customers).
EXISTING_SHARE: dict[str, float] = {"North": 0.85, "West": 0.45, "华东": 0.45, "DACH": 0.5}
TERRITORY = 220  # accounts per team
FLAT_TEAM = "华东"  # revenue spread flat over many small accounts
WEAK_STAGE_TEAM, WEAK_STAGE, WEAK_CONVERSION = "DACH", "needs_confirmed", 0.35
RAMP_TEAM, RAMP_REP, RAMP_CAPACITY = "华东", "孙悦", 0.5
#: Each locale's product lines and the projects (``POOLS[locale]["product"]``) of each.
PRODUCT_LINES: dict[str, dict[str, tuple[str, ...]]] = {
    "us": {
        "Automation": (
            "Packaging Line Upgrade", "Plant Automation", "Warehouse Robotics",
            "Conveyor Retrofit", "Line 2 Expansion", "Safety Systems Refresh",
        ),
        "Software": (
            "ERP Integration", "MES Rollout", "Quality Inspection System", "Vision System Pilot",
        ),
        "IoT & Sensors": (
            "Fleet Telematics", "Predictive Maintenance", "Energy Monitoring",
            "Cold Chain Sensors",
        ),
        "Services": ("Service Contract Renewal", "Spare Parts Agreement"),
    },
    "zh": {
        "自动化设备": (
            "二期产线自动化改造项目", "智能仓储项目", "新厂房配套设备采购",
            "机器人焊接工作站", "环保设备改造", "冷却系统更新",
        ),
        "工业软件": ("MES系统升级", "能源管理系统", "质量检测系统升级", "数字化车间试点"),
        "售后服务": ("设备预测性维护", "年度备件框架协议"),
    },
    "de": {
        "Anlagenbau": (
            "Neuanlage Werk Süd", "Prüfstand Erweiterung", "Kühlsystem Modernisierung",
            "Retrofit Linie 3",
        ),
        "Automatisierung": (
            "Automatisierung Montage", "Roboterzelle Schweißen", "Lagerautomatisierung",
        ),
        "Software": ("Digitalisierung Instandhaltung", "Energiemonitoring", "MES Software-Upgrade"),
        "Service": ("Wartungsvertrag 2027", "Ersatzteilrahmenvertrag"),
    },
}  # fmt: skip
#: The line of each team that shrinks: its own flow of new deals is :data:`SHRINKING`
#: times the year before's, its share of the team's new deals
#: :data:`SHRINKING_LINE_SHARE` in the last week (at most 90% in the past).
SHRINKING_LINES: dict[str, str] = {
    "North": "IoT & Sensors",
    "West": "Services",
    "华东": "售后服务",
    "DACH": "Anlagenbau",
}
SHRINKING, SHRINKING_LINE_SHARE = 0.45, 0.15


def season_of(week: Week) -> int:
    """The month a week belongs to: that of its Thursday (as ISO weeks belong to years)."""
    return (week.monday + 3 * DAY).month


def history_teams() -> tuple[TeamSpec, ...]:
    """The teams of the two-year sample: :data:`TEAMS`, with :data:`RAMP_REP` in
    :data:`RAMP_TEAM`."""
    return tuple(
        dataclasses.replace(spec, reps=(*spec.reps, RAMP_REP)) if spec.name == RAMP_TEAM else spec
        for spec in TEAMS
    )


def _years_before(week: Week | Date, last: Week) -> float:
    day = week.monday if isinstance(week, Week) else week
    return (last.monday - day).days / (7 * WEEKS_PER_YEAR)


class HistorySimulator(Simulator):
    """The default simulation with seasons, growth, product lines, existing customers, a
    weak stage and a rep in ramp-up (the module's docstring)."""

    def __init__(self, spec: TeamSpec, rng: np.random.Generator, scale: float, last: Week) -> None:
        super().__init__(spec, rng, scale)
        self.last = last
        self.ramp_from = Week.parse(f"{last.monday.year}-W01")
        every = all_accounts(spec.locale)
        chosen = rng.choice(len(every), TERRITORY, replace=False)
        self.accounts = [every[int(i)] for i in chosen]
        size: np.ndarray = (
            rng.lognormal(0.0, 0.25, TERRITORY)  # many small accounts of about the same size
            if spec.name == FLAT_TEAM
            else 1.0 / np.arange(1, TERRITORY + 1) ** 0.85  # a few large ones, a long tail
        )
        self.weights = size / size.mean()
        self.size = dict(zip(self.accounts, self.weights, strict=True))
        self.index = {a: i for i, a in enumerate(self.accounts)}
        self.won_mask = np.zeros(TERRITORY, dtype=bool)
        self.lines = PRODUCT_LINES[spec.locale]
        self.weak = self.p.keys.index(WEAK_STAGE) if spec.name == WEAK_STAGE_TEAM else -1
        self.existing = EXISTING_SHARE[spec.name]

    # -- the hooks of Simulator
    def _account(self, created: Date) -> str:
        won = self.won_mask
        existing = won.any() and (won.all() or self.rng.random() < self.existing)
        weights = np.where(won == existing, self.weights, 0.0)
        return self.accounts[int(self.rng.choice(len(weights), p=weights / weights.sum()))]

    def _product(self, created: Date) -> str:
        names = list(self.lines)
        shrinking = SHRINKING_LINES[self.spec.name]
        # by when the deal is expected to close: the line's wins fall year over year
        expected = created + DAY * int(1.5 * self.p.cycle_days / self.spec.velocity)
        back = max(_years_before(expected, self.last), 0.0)
        share = min(0.9, SHRINKING_LINE_SHARE * (GROWTH[self.spec.name] / SHRINKING) ** back)
        others = (1 - share) / (len(names) - 1)
        weights = np.array([share if n == shrinking else others for n in names])
        line = names[int(self.rng.choice(len(names), p=weights / weights.sum()))]
        self._line = line
        return self._pick(self.lines[line])

    def _new_deal(self, owner: str, created: Date, stage: int) -> Deal:
        deal = super()._new_deal(owner, created, stage)
        deal.product_line = self._line
        spread = float(self.rng.lognormal(0.0, AMOUNT_SPREAD))
        size = self.size[deal.account] ** 0.3
        deal.amount = self._scaled_amount(self.spec.amount_median * spread * size)
        return deal

    def _scaled_amount(self, value: float) -> float:
        step = 10_000.0 if self.spec.currency == "CNY" else 500.0
        return max(step, round(value / step) * step)

    def _rates(
        self, d: Deal, week: Week, adv: float, lose: float, win: float
    ) -> tuple[float, float, float]:
        if d.stage == self.weak:  # deals leave as often, but most of them are lost
            leave = adv + lose
            adv, lose = leave * WEAK_CONVERSION, leave * (1 - WEAK_CONVERSION)
        return adv, lose, win * WIN_SEASON[season_of(week)]

    def _reps(self, week: Week) -> tuple[str, ...]:
        reps = self.spec.reps
        return reps if week >= self.ramp_from else tuple(r for r in reps if r != RAMP_REP)

    def _rate(self, owner: str, week: Week, rate: float) -> float:
        if week < self._thin_from([]):
            rate = HISTORY_EARLY_NEW.get(self.spec.name, rate)
        growth = float(GROWTH[self.spec.name] ** -_years_before(week, self.last))
        capacity = RAMP_CAPACITY if owner == RAMP_REP else 1.0
        return FLOW * rate * SEASON[season_of(week)] * growth * capacity

    def _thin_from(self, weeks: list[Week]) -> Week:
        # the default sample's date: 8 weeks before its first week (2026-W28)
        return self.last - 11 - THIN_TOP_WEEKS_BEFORE_FIRST

    def _close(self, d: Deal, outcome: str, monday: Date) -> None:
        super()._close(d, outcome, monday)
        if outcome == "won":
            self.won_mask[self.index[d.account]] = True

    def _frame(self, deals: Iterable[Deal], week: Week) -> pd.DataFrame:
        deals = list(deals)
        frame = super()._frame(deals, week)
        line = {d.seq: d.product_line for d in deals}
        frame["_product_line"] = frame["_seq"].map(line).astype(object)
        return frame
