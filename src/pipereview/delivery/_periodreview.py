"""The monthly and quarterly pack of one team (docs/period-packs.md): results against
plan, the deviation analysis and the next period's plan, for the monthly results meeting
and the quarterly strategy review.

A :class:`PeriodReview` is built on the team's :class:`~pipereview.delivery.WeeklyReview`
as of the stored week that holds the period's last day, so the same history, targets,
configuration and language apply; while the period is still running it is as of the last
stored week and every figure says "to date, as of <week>". The figures are
:mod:`pipereview.delivery._periodfigures`'; the sections
(:mod:`pipereview.delivery._periodsections`) print them.

>>> h = pd.DataFrame({"snapshot_week": ["2026-W44", "2026-W47"], "team": "North",
...     "deal_id": "D1", "deal_name": "MES", "account": "Acme", "owner": "Ann",
...     "stage": ["negotiation", "won"], "stage_model": "generic_4", "amount": 1000.0,
...     "currency": "EUR", "close_date": pd.Timestamp("2026-11-18")})
>>> review = PeriodReview(h, team="North", period="2026-11", lang="en")
>>> str(review.as_of), review.complete, review.won_amount
('2026-W47', False, 1000.0)
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from pipereview.config import Config, as_config
from pipereview.core._errors import InputError
from pipereview.core._weeks import Week
from pipereview.delivery._periodfigures import (
    lost_in_period,
    next_period,
    period_kind,
    period_spans,
    period_target,
    pushed_out_of,
    span_results,
)
from pipereview.delivery._review import WeeklyReview
from pipereview.delivery._reviewsections import Section
from pipereview.diagnostics._waterfall import period_bounds
from pipereview.history._prepared import PreparedHistory

__all__ = ["PeriodReview"]


class PeriodReview:
    """One team's pack for ``period`` (``2026-11`` a month, ``2026-Q4`` a quarter) from
    a keyed history, as of the stored week that holds the period's last day, else (the
    period still running) the last stored week up to ``week`` (default: the last stored
    week). ``targets``, ``lang`` and ``config`` as for
    :class:`~pipereview.delivery.WeeklyReview`."""

    def __init__(
        self,
        history: pd.DataFrame,
        *,
        team: str,
        period: str,
        week: str | Week | None = None,
        lang: str | None = None,
        targets: pd.DataFrame | None = None,
        config: Config | str | Path | None = None,
    ) -> None:
        settings = as_config(config)
        settings = settings.replace(lang=lang or settings.lang)  # refuses other than en, zh
        self.kind = period_kind(period)
        self.period = period
        self.first, self.last = period_bounds(period)
        weeks = sorted(set(history.loc[history["team"] == team, "snapshot_week"].astype(str)))
        limit = str(week) if week else (weeks[-1] if weeks else "")
        holding = str(Week.of(self.last.date()))
        usable = [w for w in weeks if w <= min(limit, holding)]
        if not usable or pd.Timestamp(Week.parse(usable[-1]).sunday) < self.first:
            raise InputError(
                f"team {team!r} has no stored week in {period}"
                + (f" up to {limit}" if limit else ""),
                hint="choose a period the stored weeks reach (pipereview weeks lists them)",
            )
        self.as_of = Week.parse(usable[-1])
        self.complete = usable[-1] == holding
        self.weekly = WeeklyReview(
            history,
            team=team,
            week=self.as_of,
            targets=targets,
            period=period,
            config=settings,
        )
        self.team = team
        self.next = next_period(period)

    @classmethod
    def from_files(
        cls,
        *,
        team: str,
        period: str,
        week: str = "",
        lang: str | None = None,
        history_path: str | None = None,
        store: str | None = None,
        exports: str | None = None,
        targets: str | None = None,
        config: Config | str | Path | None = None,
    ) -> PeriodReview:
        """The pack from the files :meth:`WeeklyReview.from_files
        <pipereview.delivery.WeeklyReview.from_files>` reads (loaded by it, up to
        ``week``; default: the last stored week)."""
        weekly = WeeklyReview.from_files(
            team=team,
            week=week or _last_week(history_path, store, exports),
            lang=lang,
            history_path=history_path,
            store=store,
            exports=exports,
            targets=targets,
            config=config,
        )
        return cls(
            weekly.history,
            team=team,
            period=period,
            week=weekly.week,
            lang=weekly.lang,
            targets=weekly.targets,
            config=weekly.config,
        )

    # --- what the pack reads --------------------------------------------------------
    @property
    def lang(self) -> str:
        return self.weekly.lang

    @property
    def config(self) -> Config:
        return self.weekly.config

    @property
    def currency(self) -> str:
        return self.weekly.currency

    @property
    def prepared(self) -> PreparedHistory:
        return self.weekly.prepared

    @cached_property
    def end(self) -> pd.Timestamp:
        """The last day the figures reach: the period's last, or the as-of Sunday."""
        return min(self.last, pd.Timestamp(self.as_of.sunday))

    def target(self, period: str | None = None, owner: str = "") -> tuple[float | None, str]:
        """The team's (or rep ``owner``'s) target for ``period`` (default: the pack's)
        and the rule that made it (:func:`~pipereview.delivery._periodfigures.period_target`)."""
        amount, rule, _ = period_target(
            self.weekly.targets, self.team, period or self.period, owner
        )
        return amount, rule

    @cached_property
    def results(self) -> pd.DataFrame:
        """The period (to date) against the previous period and the same period last
        year at the same point (:func:`~pipereview.delivery._periodfigures.span_results`)."""
        return span_results(self.prepared, period_spans(self.period, self.as_of), self.as_of)

    @property
    def won_amount(self) -> float:
        return float(self.results["won_amount"].iloc[0])

    @cached_property
    def reps(self) -> list[str]:
        """The team's reps: the owners of its deals in the as-of week, of its deals won in
        the period and of its rep targets."""
        frame = self.prepared.frame
        names = set(self.weekly.latest["owner"].dropna().astype(str))
        names |= set(
            frame.loc[frame["snapshot_week"] >= str(Week.of(self.first.date())), "owner"]
            .dropna()
            .astype(str)
        )
        goals = self.weekly.targets
        if goals is not None:
            names |= set(goals["owner"].dropna().astype(str))
        return sorted(names - {""})

    def plan_targets(self, period: str) -> tuple[pd.DataFrame, dict[str, str]]:
        """The team's and its reps' targets for ``period`` as a targets frame, with each
        owner's rule (``""``: the team's): a rep's own row by the period rules, else the
        team's target split over the reps (``split:<rule>``,
        :func:`~pipereview.diagnostics._repfill.fill_rep_targets`)."""
        from pipereview.diagnostics._repfill import fill_rep_targets

        rows, rules = [], {}
        for owner in ["", *self.reps]:
            amount, rule, currency = period_target(self.weekly.targets, self.team, period, owner)
            if amount is not None:
                rows.append(
                    {
                        "team": self.team,
                        "owner": owner,
                        "period": period,
                        "amount": amount,
                        "currency": currency,
                    }
                )
                rules[owner] = rule
        frame = pd.DataFrame(rows, columns=["team", "owner", "period", "amount", "currency"])
        if "" in rules and len(rules) == 1 and self.reps:
            frame, split = fill_rep_targets(
                frame,
                period,
                {self.team: self.reps},
                history=self.prepared,
                settings=self.config.plan,
            )
            rules.update(dict.fromkeys(self.reps, f"split:{split.get(self.team, '')}"))
        return frame, rules

    @cached_property
    def progress(self) -> pd.DataFrame:
        """Per rep: target, won, plan to date, deviation and status for the period
        (:func:`~pipereview.diagnostics._targets.progress`); ``rule`` the target's."""
        from pipereview.diagnostics._targets import progress

        frame, rules = self.plan_targets(self.period)
        reps = frame[frame["owner"] != ""]
        if reps.empty:
            return pd.DataFrame(columns=["owner", "target", "won_to_date", "rule"])
        out = progress(
            self.prepared, frame, self.period, self.as_of, by="rep", settings=self.config.plan
        )
        return out.assign(rule=out["owner"].map(rules))

    @cached_property
    def team_plan_to_date(self) -> float:
        """The team's plan to date for the period (the whole target once it has ended;
        :func:`~pipereview.diagnostics._targets.plan_to_date` with the plan's seasons);
        NaN without a target."""
        from pipereview.diagnostics._targets import progress

        frame, _ = self.plan_targets(self.period)
        if not (frame["owner"] == "").any():
            return float("nan")
        team = progress(self.prepared, frame, self.period, self.as_of, settings=self.config.plan)
        return float(team["plan_to_date"].iloc[0])

    @cached_property
    def lost(self) -> pd.DataFrame:
        """The deals lost in the period (to date), largest first."""
        return lost_in_period(self.prepared.upto(self.as_of), self.first, self.end)

    @cached_property
    def pushed(self) -> pd.DataFrame:
        """The open deals whose close date was pushed out of the period, largest first."""
        return pushed_out_of(self.prepared.upto(self.as_of), self.first, self.last)

    @cached_property
    def win_rate(self) -> float:
        """The team's win rate as of the as-of week (NaN: too few closed deals)."""
        from pipereview.diagnostics._forecast import win_rates

        rates = win_rates(self.prepared, self.as_of, settings=self.config.forecast)
        row = rates[rates["team"] == self.team]
        return float(row["win_rate"].iloc[0]) if len(row) else float("nan")

    @cached_property
    def next_pipeline(self) -> pd.DataFrame:
        """The open deals of the as-of week with a close date in the next period, each
        with ``weighted`` (:func:`~pipereview.diagnostics._forecast.weighted_pipeline`)."""
        from pipereview.diagnostics._forecast import weighted_pipeline

        return weighted_pipeline(self.weekly.latest, period=self.next)

    def headline(self) -> dict[str, Any]:
        """The figures the batch's index page shows: won in the period (to date), its
        target and the gap (target - won), and the next period's open pipeline."""
        target, _ = self.target()
        pipe = self.next_pipeline
        return {
            "team": self.team,
            "week": str(self.as_of),
            "period": self.period,
            "complete": self.complete,
            "currency": self.currency,
            "open_deals": len(pipe),
            "open_amount": float(pipe["amount"].sum()),
            "weighted_pipeline": round(float(pipe["weighted"].sum()), 2),
            "won_amount": self.won_amount,
            "target": target,
            "gap_to_target": None if target is None else target - self.won_amount,
            "outlook": None if target is None else ("met" if self.won_amount >= target else None),
        }

    def write_headline(self, path: str | Path) -> Path:
        """Write :meth:`headline` as JSON (atomically) for the batch index."""
        from pipereview.core._files import atomic_write

        target = Path(path)
        with atomic_write(target, "w", encoding="utf-8") as handle:
            json.dump(self.headline(), handle, ensure_ascii=False, indent=2, sort_keys=True)
        return target

    # --- the sections, built in pipereview.delivery._periodsections ------------------
    def title(self, index: str = "") -> Section:
        """The pack's title (team, period, as-of week) and its stylesheet; ``index``,
        when given, is the address of the batch's index page."""
        from pipereview.delivery._periodsections import title_section

        return title_section(self, index)

    def verdict_section(self) -> Section:
        """Did we hit the plan, why not, what next: one verdict each."""
        from pipereview.delivery._periodverdicts import verdict_section

        return verdict_section(self)

    def results_section(self) -> Section:
        """Results against plan: target (and its rule), won, attainment, the gap worded
        by its sign, against the previous period and the same period last year."""
        from pipereview.delivery._periodsections import results_section

        return results_section(self)

    def deviation_section(self) -> Section:
        """Per rep target, won, deviation and status; the deals lost, the close dates
        pushed out and the pipeline created against the previous period."""
        from pipereview.delivery._periodsections import deviation_section

        return deviation_section(self)

    def plan_section(self) -> Section:
        """The next period's target, the open pipeline due in it (amount and weighted),
        its coverage against the coverage needed, the gap to cover, per rep."""
        from pipereview.delivery._periodplan import plan_section

        return plan_section(self)


def _last_week(history_path: str | None, store: str | None, exports: str | None) -> str:
    """The last stored week of the files :meth:`PeriodReview.from_files` reads."""
    if history_path:
        from pipereview.history._historyfile import history_file_weeks

        held = history_file_weeks(history_path)
        if held:
            return held[-1]
    elif store:
        from pipereview.history._store import SnapshotStore

        stored = SnapshotStore(store).weeks()
        if stored:
            return stored[-1]
    elif exports:
        found = sorted(
            p.name for p in Path(exports).iterdir() if p.is_dir() and p.name[:2].isdigit()
        )
        if found:
            return found[-1]
    raise InputError(
        "no stored week to read the period from",
        hint="give history_path, store or exports holding at least one week",
    )
