"""The dashboard's state: the selection (team, week, rep, language), the reviews behind
it, the headline figures, the action list and its export, and every tab's HTML, kept once
drawn."""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

import pandas as pd

from pipereview.config import Config
from pipereview.core._errors import AccessError, InputError
from pipereview.core._languages import check_language
from pipereview.dashboard._text import TABS, TEXT, slug
from pipereview.dashboard.config import CONFIG_VARIABLE, DashboardConfig
from pipereview.delivery._review import WeeklyReview
from pipereview.delivery._reviewsections import forecast_figures
from pipereview.ingest._schema import open_mask

__all__ = ["DashboardState"]


class DashboardState:
    """What the dashboard shows, without its widgets: the selection (``team``, ``week``,
    ``rep``, ``lang``; a ``locked`` one holds only its team's rows), the
    :class:`~pipereview.delivery._review.WeeklyReview` behind it (one per team, week and language,
    sharing diagnostics), the figures, the action list and its export, and each tab's HTML
    once drawn (:class:`~pipereview.dashboard.Dashboard` adds the widgets).
    """

    def __init__(self, history: pd.DataFrame, *, targets: pd.DataFrame | None = None,
                 team: str | None = None, locked: bool = False, week: str | None = None,
                 lang: str = "en", export_dir: str | Path | None = None,
                 config: Config | None = None) -> None:
        check_language(lang)
        if locked and not team:
            raise InputError("a locked dashboard needs the team it is locked to",
                             hint="give team= (pipereview serve --team NAME) with locked=True")
        teams = sorted(str(t) for t in history["team"].dropna().unique()) if len(history) else []
        if team is not None and teams and team not in teams:
            raise InputError(f"team {team!r} has no stored snapshot; teams: {', '.join(teams)}",
                             hint="check the team's spelling (pipereview weeks lists the teams)")
        self.locked = locked
        if locked:  # the other teams' rows are never kept
            history = history[history["team"] == team]
            targets = None if targets is None else targets[targets["team"] == team]
            teams = [str(team)] if len(history) else []
        self.history = history
        self.targets = targets
        self.teams = teams
        self.config = config or Config()
        self.export_dir = Path(export_dir) if export_dir else None
        self._weeks = ({t: sorted(set(history.loc[history["team"] == t, "snapshot_week"]
                                      .astype("str")), reverse=True) for t in teams})
        self._reviews: dict[tuple[str, str, str], WeeklyReview] = {}
        self._html: dict[tuple[str, ...], str] = {}
        self._stale: set[str] = set(TABS)
        self._widgets: dict[str, Any] = {}
        self._root: Any = None
        self.team = team or (teams[0] if teams else "")
        self.week = ""
        self.rep = ""
        self.lang = lang
        self.category = ""
        self.sort = "amount"
        self._set_team(self.team, week)

    # --- building from files / the environment -------------------------------------------
    @classmethod
    def from_config(cls, config: DashboardConfig) -> Self:
        """The dashboard a :class:`DashboardConfig` describes (a locked one reads only its
        team's rows from the Parquet file)."""
        from pipereview.config import load_config
        from pipereview.diagnostics._targets import load_targets
        from pipereview.history._trail import load_history

        settings = load_config(config.settings) if config.settings else None
        history = load_history(file=config.history, team=config.team,
                               templates=settings.templates if settings else ())
        targets = load_targets(config.targets) if config.targets else None
        board = cls(history, targets=targets, team=config.team, locked=bool(config.team),
                    week=config.week, lang=config.lang, export_dir=config.exports,
                    config=settings)
        # a page's own kernel (Voilà sets VOILA_PREHEAT=False) draws the page first and
        # computes ahead while the manager reads; only the preheated kernel warms up front
        warm = config.warm and os.environ.get("VOILA_PREHEAT") != "False"
        return board.warm() if warm else board

    @classmethod
    def from_environment(cls, *, samples: str | Path | None = None) -> Self:
        """The dashboard ``pipereview serve`` configured (:data:`CONFIG_VARIABLE`); without
        it (e.g. in JupyterLab), the dashboard over a sample set's ``exports`` folder and
        ``targets.csv`` (ingested into a temporary store, all teams)."""
        path = os.environ.get(CONFIG_VARIABLE)
        if path:
            return cls.from_config(DashboardConfig.read(path))
        if samples is None:
            raise InputError(f"no data for the dashboard: {CONFIG_VARIABLE} is not set and no "
                             "samples= folder was given",
                             hint="start it with pipereview serve, or pass samples=FOLDER")
        from pipereview.diagnostics._targets import load_targets
        from pipereview.history._trail import load_history

        root = Path(samples)
        history = load_history(exports=root / "exports")
        targets = load_targets(root / "targets.csv") if (root / "targets.csv").exists() else None
        return cls(history, targets=targets)

    # --- selection -----------------------------------------------------------------------
    @property
    def weeks(self) -> list[str]:
        """The selected team's stored weeks, latest first."""
        return list(self._weeks.get(self.team, []))

    @property
    def reps(self) -> list[str]:
        """The reps with deals in the selected team's week, sorted."""
        if not self.week:
            return []
        rows = self.review.latest
        return sorted(str(o) for o in set(rows["owner"].dropna()) - {""})

    def t(self, key: str, **values: object) -> str:
        """A fixed text of the dashboard in the selected language."""
        en, zh = TEXT[key]
        return (zh if self.lang == "zh" else en).format(**values)

    def _set_team(self, team: str, week: str | None) -> None:
        if self.locked and team != self.team:
            raise AccessError(f"this dashboard is locked to team {self.team!r}",
                              hint="ask for a dashboard of the other team")
        self.team = team
        weeks = self.weeks
        if week is not None and week not in weeks:
            raise InputError(f"{team!r} has no snapshot in {week}; stored weeks: "
                             f"{', '.join(sorted(weeks)) or 'none'}",
                             hint="choose a week the store holds for this team")
        self.week = week or (weeks[0] if weeks else "")
        if self.rep not in self.reps:
            self.rep = ""

    def select(self, *, team: str | None = None, week: str | None = None,
               rep: str | None = None, lang: str | None = None) -> Self:
        """Change the selection (as the page's selectors do) and redraw what is shown.
        A locked dashboard raises :class:`~pipereview.core.AccessError` (a
        :class:`PermissionError`) for another team."""
        if team is not None and team != self.team:
            if self.locked:
                raise AccessError(f"this dashboard is locked to team {self.team!r}",
                                  hint="ask for a dashboard of the other team")
            if team not in self.teams:
                raise InputError(f"unknown team {team!r}; teams: {', '.join(self.teams)}",
                                 hint="choose a team from the team selector")
            self._set_team(team, week)
        elif week is not None and week != self.week:
            self._set_team(self.team, week)
        if rep is not None:
            if rep and rep not in self.reps:
                raise InputError(f"{rep!r} has no deals in {self.team} {self.week}; reps: "
                                 f"{', '.join(self.reps)}",
                                 hint="choose a rep from the rep selector")
            self.rep = rep
        if lang is not None:
            check_language(lang)
            self.lang = lang
        self._refresh()
        return self

    @property
    def review(self) -> WeeklyReview:
        """The selected team and week's :class:`~pipereview.delivery._review.WeeklyReview` in the
        selected language (built once; the languages share the diagnostics)."""
        key = (self.team, self.week, self.lang)
        if key not in self._reviews:
            other = self._reviews.get((self.team, self.week, "zh" if self.lang == "en" else "en"))
            if other is not None:
                review = other.in_language(self.lang)
            else:
                review = WeeklyReview(self.history, team=self.team, week=self.week,
                                      lang=self.lang, targets=self.targets,
                                      config=self.config)
            self._reviews[key] = review
        return self._reviews[key]

    # --- what the page shows -------------------------------------------------------------
    def figures(self) -> dict[str, Any]:
        """The headline figures of the selection: the team's, or the selected rep's (their
        open deals and amount, weighted pipeline, won this period, target, gap, coverage)."""
        review = self.review
        if not self.rep:
            return review.headline()
        from pipereview.diagnostics._forecast import weighted_pipeline, won_deals

        mine = review.latest[review.latest["owner"] == self.rep]
        open_now = mine[open_mask(mine)]
        won = won_deals(review.history[review.history["owner"] == self.rep], review.period,
                        review.week)
        out: dict[str, Any] = {
            "team": self.team, "owner": self.rep, "week": self.week, "period": review.period,
            "currency": review.currency, "open_deals": len(open_now),
            "open_amount": float(open_now["amount"].sum()),
            "weighted_pipeline": round(float(weighted_pipeline(open_now)["weighted"].sum()), 2)
            if len(open_now) else 0.0,
            "won_amount": float(won["amount"].sum()),
        }
        reps = review.context.forecast_rep
        row = reps[reps["owner"] == self.rep] if len(reps) else reps
        if len(row) and pd.notna(row["target"].iloc[0]):
            out.update(forecast_figures(row.iloc[0]))  # worded as the team's are
        return out

    def action_list(self) -> pd.DataFrame:
        """The actions of the selection: every risk finding's prompt for the team (or the
        selected rep), most severe and largest first, in the selected language — what the
        export button writes."""
        review = self.review
        prompts = review.coaching_prompts
        rows = prompts[(prompts["kind"] == "risk") & (prompts["team"] == self.team)]
        if self.rep:
            rows = rows[rows["owner"] == self.rep]
        rows = rows.sort_values(["severity", "amount_at_stake", "owner", "deal_name", "rule"],
                                ascending=[False, False, True, True, True], kind="stable",
                                na_position="last")
        from pipereview.coaching.sheet import follow_up_date
        from pipereview.coaching.titles import rule_title

        follow = follow_up_date(review.week, self.config.follow_up_days).isoformat()
        return pd.DataFrame({
            review.t("rep"): rows["owner"].fillna(""), review.t("deal"): rows["deal_name"].fillna(""),
            review.t("account"): rows["account"].fillna(""), review.t("stage"): [s if s != "—" else "" for s in self._stage_names(rows["stage"])],
            self.t("amount"): rows["amount_at_stake"].astype(float),
            "币种" if self.lang == "zh" else "Currency": rows["currency"].fillna(""),
            # what the reader calls the rule, never its name in code
            self.t("issue"): [rule_title(str(r), self.lang) for r in rows["rule"]],
            self.t("severity"): rows["severity"].astype(int),
            self.t("observation"): rows["observation"], self.t("question"): rows["question"],
            self.t("action"): rows["action"], self.t("follow_up"): follow,
        }).reset_index(drop=True)

    def export_actions(self, folder: str | Path | None = None) -> tuple[Path, Path]:
        """Write :meth:`action_list` as CSV and XLSX (formula-safe, atomically) into
        ``folder`` (default: ``export_dir``, else the working folder); return both paths."""
        _, files = self._export_files()
        csv, xlsx = self._save(files, Path(folder) if folder else (self.export_dir or Path.cwd()))
        return csv, xlsx

    def _export_files(self) -> tuple[pd.DataFrame, dict[str, bytes]]:
        """The action list and its file contents by name (CSV and XLSX, formula-safe)."""
        from pipereview.core._exports import table_bytes

        stem = "_".join(["actions", slug(self.team), self.week]
                        + ([slug(self.rep)] if self.rep else []))
        frame = self.action_list()
        return frame, {f"{stem}.{fmt}": table_bytes(frame, fmt) for fmt in ("csv", "xlsx")}

    @staticmethod
    def _save(files: dict[str, bytes], folder: Path) -> list[Path]:
        from pipereview.history._store import atomic_write

        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            with atomic_write(folder / name, "wb") as handle:
                handle.write(data)
        return [folder / name for name in files]

    def tab_html(self, tab: str) -> str:
        """The HTML body of one of :data:`TABS` for the current selection."""
        if tab not in TABS:
            raise InputError(f"unknown tab {tab!r}; tabs: {', '.join(TABS)}",
                             hint="name one of the dashboard's tabs")
        if not self.week:
            return f"<p class='pr-empty'>{html.escape(self.t('no_data'))}</p>"
        key = self._html_key(tab)
        if key not in self._html:
            render: Callable[[], str] = getattr(self, f"_{tab}_html")
            self._html[key] = render()
        return self._html[key]

    def _html_key(self, tab: str) -> tuple[str, ...]:
        return (self.team, self.week, self.rep, self.lang, tab,
                self.category if tab == "changes" else "", self.sort if tab == "risks" else "")

    def warm(self, *, tabs: tuple[str, ...] = TABS, weeks: int = 13) -> Self:
        """Compute ahead what a manager is likely to open first: every tab of the current
        selection, the overview of the current team's last ``weeks`` weeks and of each
        team's latest week (``pipereview serve`` does this in its preheated kernel, before
        anyone opens the page)."""
        team, week, rep = self.team, self.week, self.rep
        try:
            for name in tabs:
                self.tab_html(name)
            views = [(team, w) for w in self._weeks.get(team, [])[:weeks]]
            views += [(t, self._weeks[t][0]) for t in self.teams if t != team]
            for self.team, self.week in views:
                self.rep = ""
                self.tab_html("overview")
        finally:
            self.team, self.week, self.rep = team, week, rep
        return self

    def _stage_names(self, keys: pd.Series) -> list[str]:
        model = self._model()
        out = []
        for key in keys:
            if pd.isna(key) or key == "":
                out.append("—")
            elif model is not None and str(key) in model.keys:
                out.append(model.stage(str(key)).label_in(self.lang))
            else:
                out.append(str(key))
        return out

    def _model(self) -> Any:
        from pipereview.core._stages import prevailing_model

        return prevailing_model(self.review.latest["stage_model"])

    def _refresh(self) -> None:
        """Redraw what is shown: nothing here; the app (:class:`~pipereview.dashboard.Dashboard`) redraws its widgets."""
