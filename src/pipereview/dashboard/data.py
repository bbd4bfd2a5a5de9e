"""The data a dashboard is drawn from: the keyed history (one team's deals when locked),
targets and configuration as loaded, the reviews computed from them (one per team, week
and language) and, for any :class:`~pipereview.dashboard.view.View`, its figures, deal
movements, action list and export. Nothing here holds a selection: every question names
the view it is about."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from pipereview.config import Config, as_config
from pipereview.core._errors import AccessError, InputError
from pipereview.dashboard._text import slug, text
from pipereview.dashboard.prepared import PreparedTeams, PreparedViews
from pipereview.dashboard.view import View
from pipereview.delivery._review import WeeklyReview
from pipereview.delivery._reviewsections import forecast_figures
from pipereview.history._teamrows import team_deals
from pipereview.ingest._schema import open_mask

__all__ = ["DashboardData"]


class DashboardData:
    """A keyed ``history`` (all teams, or only ``team``'s rows when ``locked``) with its
    optional ``targets``, the ``config`` of every review and the folder exports go to;
    and what it says about any :class:`~pipereview.dashboard.view.View`, with the forecast
    calls of the store ``calls`` when given. The reviews and
    the tabs' HTML are computed once per view and kept (``reviews``, ``html``); the data
    itself is never changed.

    >>> h = pd.DataFrame({"snapshot_week": "2026-W47", "team": "North", "deal_id": ["D1"],
    ...     "deal_name": "MES", "account": "Acme", "owner": "Ann", "stage": "needs_confirmed",
    ...     "stage_model": "generic_4", "amount": [1000.0], "currency": "EUR",
    ...     "close_date": pd.Timestamp("2026-12-18"), "probability": [0.25]})
    >>> data = DashboardData(h)
    >>> data.teams, data.weeks("North")
    (['North'], ['2026-W47'])
    >>> view = data.moved(View("North", ""), "North", None)
    >>> view.week, data.reps(view), data.figures(view)["open_amount"]
    ('2026-W47', ['Ann'], 1000.0)
    """

    def __init__(
        self,
        history: pd.DataFrame | PreparedTeams,
        *,
        targets: pd.DataFrame | None = None,
        team: str | None = None,
        locked: bool = False,
        export_dir: str | Path | None = None,
        config: Config | str | Path | None = None,
        calls: str | Path | None = None,
    ) -> None:
        if locked and not team:
            raise InputError(
                "a locked dashboard needs the team it is locked to",
                hint="give team= (pipereview serve --team NAME) with locked=True",
            )
        # prepared per-team state (pipereview serve): a team's rows are read when shown
        prepared = history if isinstance(history, PreparedTeams) else None
        if isinstance(history, PreparedTeams):
            teams = history.teams
        else:
            teams = (
                sorted(str(t) for t in history["team"].dropna().unique()) if len(history) else []
            )
        if team is not None and teams and team not in teams:
            raise InputError(
                f"team {team!r} has no stored snapshot; teams: {', '.join(teams)}",
                hint="check the team's spelling (pipereview weeks lists the teams)",
            )
        self.locked = locked
        if locked:  # the other teams' rows are never kept
            if isinstance(history, PreparedTeams):
                prepared = PreparedTeams(history.folder, only=team, templates=history.templates)
                teams = [str(team)] if team in teams else []
            else:  # the team's deals: of one that changed team, its other team's rows too
                history = team_deals(history, str(team))
                teams = [str(team)] if len(history) else []
            targets = None if targets is None else targets[targets["team"] == team]
        self._prepared = prepared
        self._history = None if isinstance(history, PreparedTeams) else history
        self.targets = targets
        self.teams = teams
        self.config = as_config(config)
        self.export_dir = Path(export_dir) if export_dir else None
        #: the store whose forecast calls the reviews show (None: no calls)
        self.calls = Path(calls) if calls is not None else None
        if isinstance(history, PreparedTeams):
            self._weeks = {t: history.weeks(t) for t in teams}
        else:
            self._weeks = _stored_weeks(history)
        #: the reviews computed so far, by team, week and language
        self.reviews: dict[tuple[str, str, str], WeeklyReview] = {}
        #: each tab's HTML drawn so far (or prepared), by :meth:`View.key`, in the order drawn
        self.html: dict[tuple[str, ...], str] = PreparedViews(prepared) if prepared else {}
        #: the counts behind each view's buttons (:func:`~pipereview.dashboard._drill.drill_counts`)
        self.drill: dict[tuple[str, ...], str] = (
            PreparedViews(prepared, "drill") if prepared else {}
        )
        self._moves: dict[tuple[str, str], pd.DataFrame] = {}

    @property
    def prepared(self) -> bool:
        """Whether the data is a prepared per-team state (``pipereview serve``)."""
        return self._prepared is not None

    @property
    def history(self) -> pd.DataFrame:
        """The keyed history (only the locked team's rows when locked); from a prepared
        state, every team's rows are read on first use here."""
        if self._history is None:
            assert self._prepared is not None
            self._history = self._prepared.all_history()
        return self._history

    def team_history(self, team: str) -> pd.DataFrame:
        """What ``team``'s reviews are computed from: the history, or from a prepared state
        only ``team``'s rows (read when first shown)."""
        if self._prepared is not None and self._history is None:
            return self._prepared.history(team)
        return self.history

    # --- selections ----------------------------------------------------------------------
    def weeks(self, team: str) -> list[str]:
        """``team``'s stored weeks, latest first."""
        return list(self._weeks.get(team, []))

    def reps(self, view: View) -> list[str]:
        """The reps with deals in the view's team and week, sorted."""
        if not view.week:
            return []
        built = (view.team, view.week, view.lang) in self.reviews
        if self._prepared is not None and not built:  # as prepared: no review built
            prepared = self._prepared.reps(view.team, view.week)
            if prepared is not None:
                return prepared
        rows = self.review(view).latest
        return sorted(str(o) for o in set(rows["owner"].dropna()) - {""})

    def moved(self, view: View, team: str, week: str | None) -> View:
        """``view`` moved to ``team``'s ``week`` (default: its latest stored week), keeping
        the rep only where they have deals. A locked dashboard refuses another team with
        :class:`~pipereview.core.AccessError` (a :class:`PermissionError`)."""
        if self.locked and team != view.team:
            raise AccessError(
                f"this dashboard is locked to team {view.team!r}",
                hint="ask for a dashboard of the other team",
            )
        weeks = self.weeks(team)
        if week is not None and week not in weeks:
            raise InputError(
                f"{team!r} has no snapshot in {week}; stored weeks: "
                f"{', '.join(sorted(weeks)) or 'none'}",
                hint="choose a week the store holds for this team",
            )
        view = replace(view, team=team, week=week or (weeks[0] if weeks else ""))
        return view if view.rep in self.reps(view) else replace(view, rep="")

    # --- what a view shows ---------------------------------------------------------------
    def review(self, view: View) -> WeeklyReview:
        """The view's team and week's :class:`~pipereview.delivery._review.WeeklyReview` in
        the view's language (built once; the languages share the diagnostics)."""
        key = (view.team, view.week, view.lang)
        if key not in self.reviews:
            other = self.reviews.get((view.team, view.week, "zh" if view.lang == "en" else "en"))
            if other is not None:
                review = other.in_language(view.lang)
            else:
                review = WeeklyReview(
                    self.team_history(view.team),
                    team=view.team,
                    week=view.week,
                    lang=view.lang,
                    targets=self.targets,
                    config=self.config,
                    forecast_calls=self.forecast_calls(view.team, view.week),
                )
            self.reviews[key] = review
        return self.reviews[key]

    def forecast_calls(self, team: str, week: str) -> pd.DataFrame | None:
        """``team``'s forecast calls stored up to ``week`` in the :attr:`calls` store, as
        the weekly review reads them (None: no store, or no call)."""
        from pipereview.history._callstore import review_calls

        return review_calls(week, team, store=self.calls) if self.calls else None

    def forget(self, team: str) -> None:
        """Drop ``team``'s reviews and drawn (or prepared) views, e.g. once its forecast
        calls changed: they are computed again when next shown."""
        self.reviews = {k: r for k, r in self.reviews.items() if k[0] != team}
        for drawn in (self.html, self.drill):
            if isinstance(drawn, PreparedViews):
                drawn.forget(team)
            for key in [k for k in drawn if k and k[0] == team]:
                del drawn[key]

    def period(self, view: View) -> str:
        """The period the view's review reports on (its week's quarter), without building
        the review."""
        from pipereview.diagnostics._trend_weeks import quarter_of

        key = (view.team, view.week, view.lang)
        return self.reviews[key].period if key in self.reviews else quarter_of(view.week)

    def figures(self, view: View) -> dict[str, Any]:
        """The headline figures of the view: the team's, or the view's rep's (their open
        deals and amount, weighted pipeline, won this period, target, gap, coverage)."""
        review = self.review(view)
        if not view.rep:
            return review.headline()
        from pipereview.diagnostics._forecast import weighted_pipeline, won_deals

        mine = review.latest[review.latest["owner"] == view.rep]
        open_now = mine[open_mask(mine)]
        won = won_deals(
            review.history[review.history["owner"] == view.rep], review.period, review.week
        )
        out: dict[str, Any] = {
            "team": view.team,
            "owner": view.rep,
            "week": view.week,
            "period": review.period,
            "currency": review.currency,
            "open_deals": len(open_now),
            "open_amount": float(open_now["amount"].sum()),
            "weighted_pipeline": round(float(weighted_pipeline(open_now)["weighted"].sum()), 2)
            if len(open_now)
            else 0.0,
            "won_amount": float(won["amount"].sum()),
        }
        reps = review.context.forecast_rep
        row = reps[reps["owner"] == view.rep] if len(reps) else reps
        if len(row) and pd.notna(row["target"].iloc[0]):
            out.update(forecast_figures(row.iloc[0]))  # worded as the team's are
        return out

    def movements(self, view: View) -> pd.DataFrame:
        """The view's week's deal movements against the team's previous stored week (empty
        in the first week; a deal that changed team ``moved_in`` or ``moved_out``), for the
        view's rep when it names one."""
        key = (view.team, view.week)
        if key not in self._moves:  # a deal that changed team: moved_in or moved_out
            from pipereview.delivery._reviewteam import week_moves

            moves = week_moves(self.review(view))
            self._moves[key] = pd.DataFrame() if moves is None else moves
        moves = self._moves[key]
        if view.rep and len(moves):
            moves = moves[moves["owner"] == view.rep]
        return moves

    def action_list(self, view: View) -> pd.DataFrame:
        """The actions of the view: every risk finding's prompt for the team (or the
        view's rep), most severe and largest first, in the view's language — what the
        export button writes: the deal's CRM ID first, the issue and the severity (high,
        medium, low) in words, amounts to the cent and the follow-up as a date."""
        review = self.review(view)
        prompts = review.coaching_prompts
        rows = prompts[(prompts["kind"] == "risk") & (prompts["team"] == view.team)]
        if view.rep:
            rows = rows[rows["owner"] == view.rep]
        rows = rows.sort_values(
            ["severity", "amount_at_stake", "owner", "deal_name", "rule"],
            ascending=[False, False, True, True, True],
            kind="stable",
            na_position="last",
        )
        from pipereview.coaching.sheet import follow_up_date
        from pipereview.coaching.titles import rule_title

        lang = view.lang
        follow = pd.Timestamp(
            follow_up_date(review.week, self.config.follow_up_days, self.config.holidays)
        )
        return pd.DataFrame(
            {
                text("deal_id", lang): rows["deal_id"].fillna(""),
                review.t("rep"): rows["owner"].fillna(""),
                review.t("deal"): rows["deal_name"].fillna(""),
                review.t("account"): rows["account"].fillna(""),
                review.t("stage"): [
                    s if s != "—" else "" for s in self.stage_names(view, rows["stage"])
                ],
                text("amount", lang): rows["amount_at_stake"].astype(float).round(2),
                "币种" if lang == "zh" else "Currency": rows["currency"].fillna(""),
                # what the reader calls the rule, never its name in code
                text("issue", lang): [rule_title(str(r), lang) for r in rows["rule"]],
                text("severity", lang): [
                    text(f"severity_{int(v)}", lang) for v in rows["severity"]
                ],
                text("observation", lang): rows["observation"],
                text("question", lang): rows["question"],
                text("action", lang): rows["action"],
                text("follow_up", lang): follow,
            }
        ).reset_index(drop=True)

    def export_files(self, view: View) -> tuple[pd.DataFrame, dict[str, bytes]]:
        """The view's action list and its files' contents by name (CSV and XLSX,
        formula-safe)."""
        from pipereview.core._exports import table_bytes

        stem = "_".join(
            ["actions", slug(view.team), view.week] + ([slug(view.rep)] if view.rep else [])
        )
        frame = self.action_list(view)
        return frame, {f"{stem}.{fmt}": table_bytes(frame, fmt) for fmt in ("csv", "xlsx")}

    def stage_names(self, view: View, keys: pd.Series) -> list[str]:
        """The stages ``keys`` name, as the view's language calls them (``—`` for none)."""
        model = self.model(view)
        out = []
        for key in keys:
            if pd.isna(key) or key == "":
                out.append("—")
            elif model is not None and str(key) in model.keys:
                out.append(model.stage(str(key)).label_in(view.lang))
            else:
                out.append(str(key))
        return out

    def model(self, view: View) -> Any:
        """The stage model of the view's week (the one most of its deals are on)."""
        from pipereview.core._stages import prevailing_model

        return prevailing_model(self.review(view).latest["stage_model"])


def _stored_weeks(history: pd.DataFrame) -> dict[str, list[str]]:
    """Each team's stored weeks in ``history``, latest first."""
    if not len(history):
        return {}
    weeks = history.groupby(history["team"].astype("str"))["snapshot_week"]
    return {str(team): sorted(set(values.astype("str")), reverse=True) for team, values in weeks}
