"""The week's diagnostics: the history as of one week and every figure the review, the
dashboard, the charts and the coaching rules read from it, each computed once, on first use,
and shared by all of them.

>>> h = pd.DataFrame({"snapshot_week": "2026-W47", "team": "T", "deal_id": ["a"],
...     "deal_name": "MES", "account": "Acme", "owner": "Ann", "stage": "initial_contact",
...     "stage_model": "generic_4", "amount": [1.0], "currency": "EUR",
...     "close_date": pd.Timestamp("2026-12-31"), "probability": [0.5]})
>>> week = WeekDiagnostics(h, as_of="2026-W47")
>>> week.period, len(week.open_deals)
('2026-Q4', 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd

from pipereview._weekcalls import WeekCalls
from pipereview.config import Config
from pipereview.core._languages import check_language
from pipereview.core._weeks import Week
from pipereview.diagnostics._seasons import SeasonShape
from pipereview.history._companions import Companions
from pipereview.history._prepared import PreparedHistory, prepare_history
from pipereview.history._trail import deal_key
from pipereview.ingest._schema import open_mask

if TYPE_CHECKING:
    from pipereview.diagnostics._companionfigures import CompanionFigures

__all__ = ["WeekDiagnostics"]


@dataclass(frozen=True, eq=False)
class WeekDiagnostics(WeekCalls):
    """The history (stacked snapshots, ideally keyed by
    :func:`~pipereview.history._trail.with_deal_keys`, or
    :func:`~pipereview.history._prepared.prepare_history` of them) as of ``as_of``, with optional
    ``targets`` (:func:`~pipereview.diagnostics._targets.load_targets`) for ``forecast_period`` (default:
    the quarter of ``as_of``). ``config`` (:class:`~pipereview.config.Config`) carries the
    windows (:attr:`window_weeks`, :attr:`cohort_weeks`), every diagnostic's thresholds,
    the rule settings and the sheet charts. The history is never modified; it is prepared
    once (:attr:`prepared`) for every diagnostic. ``companions`` holds the activities,
    leads and invoices stored with the weeks (none by default: their findings then say
    "not available"); ``forecast_calls`` the reps' forecast calls up to the week, if any."""

    history: pd.DataFrame | PreparedHistory
    as_of: Week | str
    targets: pd.DataFrame | None = None
    forecast_period: str | None = None
    config: Config = field(default_factory=Config)
    companions: Companions = field(default_factory=Companions)
    forecast_calls: pd.DataFrame | None = None

    @property
    def window_weeks(self) -> int:
        """The trailing window of rate comparisons (the configuration's, 8 by default)."""
        return self.config.window_weeks

    @property
    def cohort_weeks(self) -> int:
        """The window of cohort conversion (the configuration's, 13 by default)."""
        return self.config.cohort_weeks

    @cached_property
    def week(self) -> Week:
        """``as_of`` as a :class:`~pipereview.core._weeks.Week`."""
        return Week.parse(self.as_of) if isinstance(self.as_of, str) else self.as_of

    @cached_property
    def period(self) -> str:
        """The forecast period: ``forecast_period`` or the quarter of ``as_of``."""
        from pipereview.diagnostics._trend_weeks import quarter_of

        return self.forecast_period or quarter_of(self.week)

    @cached_property
    def prepared(self) -> PreparedHistory:
        """The rows of weeks up to ``as_of``, prepared once
        (:func:`~pipereview.history._prepared.prepare_history`) for every diagnostic."""
        if isinstance(self.history, PreparedHistory):
            return self.history.upto(self.week)
        return prepare_history(self.upto)

    @cached_property
    def upto(self) -> pd.DataFrame:
        """Rows of weeks up to ``as_of``, with a ``deal_key`` column."""
        if isinstance(self.history, PreparedHistory):
            return self.prepared.frame.assign(deal_key=self.prepared.deal_key)
        weeks = self.history["snapshot_week"].astype("str")
        rows = self.history[weeks <= str(self.week)]
        return rows.assign(deal_key=deal_key(rows))

    @cached_property
    def latest(self) -> pd.DataFrame:
        """Each team's latest stored week up to ``as_of`` (open and closed deals)."""
        last = self.upto.groupby("team")["snapshot_week"].transform("max")
        return self.upto[self.upto["snapshot_week"] == last].reset_index(drop=True)

    @cached_property
    def open_deals(self) -> pd.DataFrame:
        """The open deals of :attr:`latest`."""
        return self.latest[open_mask(self.latest)].reset_index(drop=True)

    @cached_property
    def new_deals(self) -> pd.DataFrame:
        """:func:`~pipereview.diagnostics._figures.new_deals` of the week by team: ``team``,
        ``new_deals`` (deals first stored in this week's export; NaN in a team's first
        stored week) — the value the headline, changes and trends print."""
        from pipereview.diagnostics._figures import new_deals

        return new_deals(self.prepared, self.week)

    @cached_property
    def outlook_team(self) -> pd.Series:
        """Each team's answer to "will we hit target?" (:func:`~pipereview.diagnostics._figures.outlook`,
        the ``outlook`` of :attr:`forecast_team`), by team; empty without targets. Every
        section words its verdict from it."""
        forecast = self.forecast_team
        if forecast.empty:
            return pd.Series(dtype="str", name="outlook")
        outlook: pd.Series = forecast.set_index("team")["outlook"]
        return outlook

    @cached_property
    def stage_table_rep(self) -> pd.DataFrame:
        """:func:`~pipereview.diagnostics._funnel.stage_table` by rep."""
        from pipereview.diagnostics._funnel import stage_table

        return stage_table(self.prepared, as_of=self.week, by="rep")

    @cached_property
    def shape_team(self) -> pd.DataFrame:
        """:func:`~pipereview.diagnostics._shape.funnel_shape` by team."""
        from pipereview.diagnostics._shape import funnel_shape

        return funnel_shape(
            self.prepared, as_of=self.week, by="team", settings=self.config.funnel_shape
        )

    @cached_property
    def shape_rep(self) -> pd.DataFrame:
        """:func:`~pipereview.diagnostics._shape.funnel_shape` by rep."""
        from pipereview.diagnostics._shape import funnel_shape

        return funnel_shape(
            self.prepared, as_of=self.week, by="rep", settings=self.config.funnel_shape
        )

    @cached_property
    def move_on_team(self) -> pd.DataFrame:
        """Week-over-week move-on rates by team over ``window_weeks``."""
        from pipereview.diagnostics._funnel import move_on_rates

        return move_on_rates(self.prepared, as_of=self.week, weeks=self.window_weeks, by="team")

    @cached_property
    def move_on_rep(self) -> pd.DataFrame:
        """Week-over-week move-on rates by rep over ``window_weeks``."""
        from pipereview.diagnostics._funnel import move_on_rates

        return move_on_rates(self.prepared, as_of=self.week, weeks=self.window_weeks, by="rep")

    @cached_property
    def conversion_team(self) -> pd.DataFrame:
        """Cohort conversion by team over ``cohort_weeks``."""
        from pipereview.diagnostics._conversion import cohort_conversion

        return cohort_conversion(
            self.prepared, as_of=self.week, window_weeks=self.cohort_weeks, by="team"
        )

    @cached_property
    def conversion_rep(self) -> pd.DataFrame:
        """Cohort conversion by rep over ``cohort_weeks``."""
        from pipereview.diagnostics._conversion import cohort_conversion

        return cohort_conversion(
            self.prepared, as_of=self.week, window_weeks=self.cohort_weeks, by="rep"
        )

    @cached_property
    def benchmarks_team(self) -> pd.DataFrame:
        """The team's stages against the method's standards
        (:func:`~pipereview.diagnostics._benchmarks.stage_benchmarks`)."""
        from pipereview.diagnostics._benchmarks import stage_benchmarks

        return stage_benchmarks(self.conversion_team, self.risks, self.config.benchmarks)

    @cached_property
    def calibration_team(self) -> pd.DataFrame:
        """Each team's open stages, the probability the forecast uses against the win rate
        history shows (:func:`~pipereview.diagnostics._calibration.stage_calibration`)."""
        from pipereview.diagnostics._calibration import stage_calibration

        return stage_calibration(self.prepared, self.week, self.config.forecast)

    @cached_property
    def velocity_rep(self) -> pd.DataFrame:
        """Sales velocity by rep, with the forecast's win-rate settings."""
        from pipereview.diagnostics._conversion import sales_velocity

        return sales_velocity(
            self.prepared, as_of=self.week, by="rep", settings=self.config.forecast
        )

    @cached_property
    def risks(self) -> pd.DataFrame:
        """:func:`~pipereview.diagnostics._aging.deal_risks` of every open deal."""
        from pipereview.diagnostics._aging import deal_risks

        return deal_risks(self.prepared, as_of=self.week, settings=self.config.risk)

    @cached_property
    def gaps(self) -> pd.DataFrame:
        """:func:`~pipereview.diagnostics._process.process_gaps` of the open deals, with ``deal_key``."""
        from pipereview.diagnostics._process import process_gaps

        frame = process_gaps(self.open_deals)
        keys = self.open_deals.set_index(["team", "deal_id"])["deal_key"]
        return frame.join(keys, on=["team", "deal_id"])

    @cached_property
    def evidence_forecast(self) -> pd.DataFrame:
        """:func:`~pipereview.diagnostics._evidenceforecast.evidence_weighted` of the open deals."""
        from pipereview.diagnostics._evidenceforecast import evidence_weighted

        return evidence_weighted(self.open_deals)

    @cached_property
    def forecast_rep(self) -> pd.DataFrame:
        """:func:`~pipereview.diagnostics._forecast.period_forecast` by rep (empty without targets)."""
        from pipereview.diagnostics._forecast import period_forecast

        if self.targets is None:
            return pd.DataFrame()
        return period_forecast(
            self.prepared,
            self.rep_targets[0],
            self.period,
            self.week,
            by="rep",
            settings=self.config.forecast,
        )

    @cached_property
    def forecast_team(self) -> pd.DataFrame:
        """:func:`~pipereview.diagnostics._forecast.period_forecast` by team (empty without targets)."""
        from pipereview.diagnostics._forecast import period_forecast

        if self.targets is None:
            return pd.DataFrame()
        return period_forecast(
            self.prepared,
            self.targets,
            self.period,
            self.week,
            by="team",
            settings=self.config.forecast,
        )

    @cached_property
    def progress_team(self) -> pd.DataFrame:
        """:func:`~pipereview.diagnostics._targets.progress` of team targets (empty without targets)."""
        from pipereview.diagnostics._targets import progress

        if self.targets is None:
            return pd.DataFrame()
        return progress(
            self.prepared,
            self.targets,
            self.period,
            self.week,
            by="team",
            settings=self.config.plan,
            shapes=self.plan_shapes,
        )

    @cached_property
    def progress_rep(self) -> pd.DataFrame:
        """:func:`~pipereview.diagnostics._targets.progress` of rep targets (empty without targets)."""
        from pipereview.diagnostics._targets import progress

        if self.targets is None:
            return pd.DataFrame()
        return progress(
            self.prepared,
            self.rep_targets[0],
            self.period,
            self.week,
            by="rep",
            settings=self.config.plan,
            shapes=self.plan_shapes,
        )

    @cached_property
    def rep_targets(self) -> tuple[pd.DataFrame, dict[str, str]]:
        """The targets with rep rows for :attr:`period` filled in where the file gives only
        a team's total (:func:`~pipereview.diagnostics._repfill.fill_rep_targets`, over the
        reps of the team's latest week), and the rule that split each such team's total."""
        from pipereview.diagnostics._repfill import fill_rep_targets

        if self.targets is None:
            return pd.DataFrame(), {}
        latest = self.latest[["team", "owner"]].dropna().astype(str)
        reps = {str(t): sorted(set(rows["owner"])) for t, rows in latest.groupby("team")}
        return fill_rep_targets(
            self.targets, self.period, reps, history=self.prepared, settings=self.config.plan
        )

    @cached_property
    def plan_shapes(self) -> dict[str, SeasonShape]:
        """Each team's :class:`~pipereview.diagnostics._seasons.SeasonShape` of the plan for
        :attr:`period` (``plan.season``), computed once for progress and every wording of
        the rule (:meth:`plan_rule`)."""
        from pipereview.diagnostics._targets import plan_shapes

        teams = sorted(set(self.prepared.frame["team"])) if len(self.prepared) else []
        if self.targets is not None:
            teams = sorted(set(teams) | set(self.targets["team"].astype(str)))
        return plan_shapes(self.prepared, self.period, self.week, teams, self.config.plan)

    def plan_rule(self, team: str, lang: str = "en") -> str:
        """The rule ``team``'s plan to date follows, in one phrase
        (:func:`~pipereview.diagnostics._seasons.plan_rule_text`), and, where the reps'
        targets were split from the team's total (:attr:`rep_targets`), the rule that split
        them (:func:`~pipereview.diagnostics._repsplit.rep_rule_text`)."""
        from pipereview.diagnostics._repsplit import rep_rule_text
        from pipereview.diagnostics._seasons import plan_rule_text
        from pipereview.diagnostics._targets import plan_shapes

        check_language(lang)
        shape = self.plan_shapes.get(team)
        if shape is None:
            shape = plan_shapes(self.prepared, self.period, self.week, [team], self.config.plan)[
                team
            ]
        rule = self.rep_targets[1].get(team)
        if rule is None:
            return plan_rule_text(shape, lang)
        plan = self.config.plan
        split = rep_rule_text(
            rule,
            lang,
            period=self.period,
            quarters=plan.history_quarters,
            floor=plan.history_floor,
            wanted=plan.rep_split,
        )
        return plan_rule_text(shape, lang) + ("；" if lang == "zh" else "; ") + split

    @cached_property
    def previous_week(self) -> pd.DataFrame:
        """Each team's stored week before its latest one (empty in the first week)."""
        weeks = self.upto[["team", "snapshot_week"]].drop_duplicates()
        last = weeks.groupby("team")["snapshot_week"].transform("max")
        before = weeks[weeks["snapshot_week"] < last].groupby("team")["snapshot_week"].max()
        rows = self.upto.join(before.rename("_prev"), on="team")
        return self.upto[rows["snapshot_week"] == rows["_prev"]].reset_index(drop=True)

    @cached_property
    def accounts(self) -> pd.DataFrame:
        """Each team's accounts by value and potential
        (:func:`~pipereview.diagnostics._accountservice.account_classes`): the deals won in
        the ``accounts.revenue_weeks`` to the as-of Sunday and the open deals."""
        from pipereview.diagnostics._accountservice import account_classes
        from pipereview.diagnostics._forecast import won_deals

        won = won_deals(self.prepared, None, self.week)
        return account_classes(won, self.open_deals, self.week, self.config.accounts)

    @cached_property
    def account_service(self) -> pd.DataFrame:
        """Each classed account with open deals against its class's service level
        (:func:`~pipereview.diagnostics._accountservice.service_coverage` over :attr:`risks`)."""
        from pipereview.diagnostics._accountservice import service_coverage

        return service_coverage(self.accounts, self.risks, settings=self.config.accounts)

    @cached_property
    def companion_figures(self) -> CompanionFigures:
        """The figures of the activities, leads and invoices stored with the weeks
        (:class:`~pipereview.diagnostics._companionfigures.CompanionFigures`), each ``None``
        when its export is absent."""
        from pipereview.diagnostics._companionfigures import CompanionFigures

        config = self.config
        return CompanionFigures(
            self.companions,
            self.prepared,
            self.week,
            config.activities,
            config.leads,
            config.collections,
            config.lifecycle,
        )
