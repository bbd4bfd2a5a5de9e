"""The manager's dashboard: one team's week on one page, as ipywidgets that Voilà serves
(``pipereview serve``) and that work the same in JupyterLab.

Selectors for team, week, rep and language; tabs for Overview (headline figures,
forecast against target, coverage), Changes (waterfall and a filterable change table),
Funnel (shape, move-on rates, bottleneck), Deals at risk (aging, pushes, stalls and
process gaps, sortable) and Coaching (the team summary or the rep's sheet); a button that
exports the current action list to CSV and XLSX. Charts are inline SVG (no CDN); every
value from the data is HTML-escaped. Each tab is drawn when it is shown, and each team and
week's diagnostics are computed once and kept, so switching back is instant.

A dashboard *locked* to a team holds only that team's rows: it has no team selector and
refuses to show another team, whatever the URL says.

>>> h = pd.DataFrame({"snapshot_week": "2026-W47", "team": "North", "deal_id": ["D1"],
...     "deal_name": "MES", "account": "Acme", "owner": "Ann", "stage": "needs_confirmed",
...     "stage_model": "generic_4", "amount": [1000.0], "currency": "EUR",
...     "close_date": pd.Timestamp("2026-12-18"), "probability": [0.25]})
>>> board = Dashboard(h, team="North", locked=True)
>>> board.team, board.week, board.reps
('North', '2026-W47', ['Ann'])
>>> board.figures()["open_amount"]
1000.0
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipereview.config import Config
from pipereview.review import WeeklyReview, _money, _table
from pipereview.schema import open_mask

__all__ = [
    "CONFIG_VARIABLE",
    "TABS",
    "Dashboard",
    "DashboardConfig",
    "dashboard_notebook",
]

#: The environment variable naming the JSON file ``pipereview serve`` writes
#: (:class:`DashboardConfig`); the dashboard notebook reads it.
CONFIG_VARIABLE = "PIPEREVIEW_DASHBOARD"
#: The dashboard's tabs, in order.
TABS: tuple[str, ...] = ("overview", "changes", "funnel", "risks", "coaching")
_SORTS: tuple[str, ...] = ("amount", "days_in_stage", "push_count", "days_since_activity",
                           "risk_count")
_ROW_LIMIT = 200

_TEXT: dict[str, tuple[str, str]] = {  # key: (en, zh)
    "overview": ("Overview", "概览"), "changes": ("Changes", "变化"),
    "funnel": ("Funnel", "漏斗"), "risks": ("Deals at risk", "风险商机"),
    "coaching": ("Coaching", "辅导"), "team_sel": ("Team", "团队"), "week_sel": ("Week", "周"),
    "rep_sel": ("Rep", "销售"), "all_reps": ("All reps", "全部销售"),
    "all_changes": ("All changes", "全部变化"), "sort_by": ("Sort by", "排序"),
    "export": ("Export actions", "导出行动清单"),
    "title": ("{team} — pipeline dashboard, {week} ({period})",
              "{team} — 销售漏斗看板 {week}（{period}）"),
    "locked": ("This dashboard shows {team} only.", "此看板仅显示 {team} 的数据。"),
    "no_data": ("No snapshots are stored yet. Ingest a week of CRM exports "
                "(pipereview ingest EXPORT --week 2026-W47), then reload this page.",
                "尚未存储任何快照。请先导入一周的 CRM 导出（pipereview ingest 文件 --week 2026-W47），"
                "然后刷新本页。"),
    "no_open": ("{team} has no open deals in {week}.", "{team} 在 {week} 没有在跟商机。"),
    "no_rep_targets": ("No target for this rep in {period}.", "该销售在 {period} 没有目标。"),
    "sheet_for": ("Coaching sheet", "辅导单"),
    "shown": ("Showing {shown} of {total} rows; the export holds them all.",
              "显示 {total} 行中的 {shown} 行；导出文件包含全部。"),
    "no_changes": ("No deal changed this way.", "没有此类变化的商机。"),
    "exported": ("Action list ({rows} rows):", "行动清单（{rows} 行）："),
    "days_in_stage": ("Days in stage", "阶段停留天数"), "push_count": ("Pushes", "推迟次数"),
    "days_since_activity": ("Days since activity", "距上次跟进天数"),
    "risk_count": ("Number of risks", "风险数"), "amount": ("Amount", "金额"),
    "before": ("Before", "之前"), "after": ("After", "之后"), "close": ("Close date", "预计成交日"),
    "evidence": ("Evidence", "依据"), "stuck": ("{n} deals, {amount}, median {age} days",
                                              "{n} 单，{amount}，中位停留 {age} 天"),
    "move_on": ("Moved on in a week", "周推进率"), "title_moveon": ("Move-on rate by stage",
                                                                  "各阶段周推进率"),
    "severity": ("Severity", "严重度"), "issue": ("Rule", "规则"),
    "observation": ("Observation", "观察"), "question": ("Question", "提问"),
    "action": ("Next action", "下一步行动"), "follow_up": ("Follow up on", "跟进日期"),
}


def _slug(text: str) -> str:
    """A file-name-safe version of ``text`` (letters, digits, CJK, ``-`` and ``_`` kept)."""
    return re.sub(r"[^\w-]+", "_", text).strip("_") or "all"


@dataclass(frozen=True)
class DashboardConfig:
    """What a served dashboard loads: a keyed ``history`` (Parquet, see
    :func:`~pipereview.history.with_deal_keys`), optional ``targets`` (CSV/XLSX), the
    ``team`` it is locked to (None: any team), the first ``week`` and ``lang``, where
    exported action lists are kept (``exports``), whether to compute the likely first
    views ahead (``warm``, see :meth:`Dashboard.warm`) and the configuration file whose
    thresholds and templates folders the reviews use (``settings``, see
    :mod:`pipereview.config`)."""

    history: str
    targets: str | None = None
    team: str | None = None
    week: str | None = None
    lang: str = "en"
    exports: str | None = None
    warm: bool = False
    settings: str | None = None

    def write(self, path: str | Path) -> Path:
        """Write the configuration as JSON (atomically); return the path."""
        from pipereview.store import atomic_write

        target = Path(path)
        with atomic_write(target, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, ensure_ascii=False, indent=2)
        return target

    @classmethod
    def read(cls, path: str | Path) -> DashboardConfig:
        """The configuration written by :meth:`write`."""
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))


class Dashboard:
    """The dashboard over a keyed ``history`` (all teams, or only ``team`` when
    ``locked``), with optional ``targets`` (:func:`~pipereview.targets.load_targets`).

    ``team``, ``week`` (default: the team's latest stored week) and ``lang`` (en / zh)
    are the first selection. Display it in a notebook (it is an ipywidget) or drive it
    from code with :meth:`select`; :meth:`figures`, :meth:`action_list` and
    :meth:`tab_html` return what the page shows. Exported files go to ``export_dir``;
    ``config`` (:class:`~pipereview.config.Config`) carries the thresholds and coaching
    settings of every review it shows.
    """

    def __init__(self, history: pd.DataFrame, *, targets: pd.DataFrame | None = None,
                 team: str | None = None, locked: bool = False, week: str | None = None,
                 lang: str = "en", export_dir: str | Path | None = None,
                 config: Config | None = None) -> None:
        if lang not in ("en", "zh"):
            raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
        if locked and not team:
            raise ValueError("a locked dashboard needs the team it is locked to")
        teams = sorted(str(t) for t in history["team"].dropna().unique()) if len(history) else []
        if team is not None and teams and team not in teams:
            raise ValueError(f"team {team!r} has no stored snapshot; teams: {', '.join(teams)}")
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
    def from_config(cls, config: DashboardConfig) -> Dashboard:
        """The dashboard a :class:`DashboardConfig` describes (a locked one reads only its
        team's rows from the Parquet file)."""
        from pipereview.config import load_config
        from pipereview.targets import load_targets

        settings = load_config(config.settings) if config.settings else None
        if settings is not None:
            settings.use_templates()
        filters = [("team", "==", config.team)] if config.team else None
        history = pd.read_parquet(config.history, filters=filters)
        targets = load_targets(config.targets) if config.targets else None
        board = cls(history, targets=targets, team=config.team, locked=bool(config.team),
                    week=config.week, lang=config.lang, export_dir=config.exports,
                    config=settings)
        return board.warm() if config.warm else board

    @classmethod
    def from_environment(cls, *, samples: str | Path | None = None) -> Dashboard:
        """The dashboard ``pipereview serve`` configured (:data:`CONFIG_VARIABLE`); without
        it (e.g. in JupyterLab), the dashboard over a sample set's ``exports`` folder and
        ``targets.csv`` (ingested into a temporary store, all teams)."""
        path = os.environ.get(CONFIG_VARIABLE)
        if path:
            return cls.from_config(DashboardConfig.read(path))
        if samples is None:
            raise ValueError(f"set {CONFIG_VARIABLE} (pipereview serve does) or pass samples=")
        import tempfile

        from pipereview.history import with_deal_keys
        from pipereview.ingest_week import ingest_folder
        from pipereview.store import SnapshotStore
        from pipereview.targets import load_targets

        root = Path(samples)
        with tempfile.TemporaryDirectory() as tmp:
            ingest_folder(root / "exports", store=Path(tmp) / "store")
            history = with_deal_keys(SnapshotStore(Path(tmp) / "store").history())
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
        en, zh = _TEXT[key]
        return (zh if self.lang == "zh" else en).format(**values)

    def _set_team(self, team: str, week: str | None) -> None:
        if self.locked and team != self.team:
            raise PermissionError(f"this dashboard is locked to team {self.team!r}")
        self.team = team
        weeks = self.weeks
        if week is not None and week not in weeks:
            raise ValueError(f"{team!r} has no snapshot in {week}; stored weeks: "
                             f"{', '.join(sorted(weeks)) or 'none'}")
        self.week = week or (weeks[0] if weeks else "")
        if self.rep not in self.reps:
            self.rep = ""

    def select(self, *, team: str | None = None, week: str | None = None,
               rep: str | None = None, lang: str | None = None) -> Dashboard:
        """Change the selection (as the page's selectors do) and redraw what is shown.
        A locked dashboard raises :class:`PermissionError` for another team."""
        if team is not None and team != self.team:
            if self.locked:
                raise PermissionError(f"this dashboard is locked to team {self.team!r}")
            if team not in self.teams:
                raise ValueError(f"unknown team {team!r}; teams: {', '.join(self.teams)}")
            self._set_team(team, week)
        elif week is not None and week != self.week:
            self._set_team(self.team, week)
        if rep is not None:
            if rep and rep not in self.reps:
                raise ValueError(f"{rep!r} has no deals in {self.team} {self.week}; reps: "
                                 f"{', '.join(self.reps)}")
            self.rep = rep
        if lang is not None:
            if lang not in ("en", "zh"):
                raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
            self.lang = lang
        self._refresh()
        return self

    @property
    def review(self) -> WeeklyReview:
        """The selected team and week's :class:`~pipereview.review.WeeklyReview` in the
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
        from pipereview.forecast import weighted_pipeline, won_deals

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
            for name in ("target", "gap_to_target", "coverage", "coverage_needed"):
                value = row[name].iloc[0]
                out[name] = None if pd.isna(value) else round(float(value), 4)
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
        from pipereview.coaching.sheet import _follow_up

        follow = _follow_up(review.week, 30).isoformat()
        return pd.DataFrame({
            review.t("rep"): rows["owner"].fillna(""), review.t("deal"): rows["deal_name"].fillna(""),
            review.t("account"): rows["account"].fillna(""), review.t("stage"): [s if s != "—" else "" for s in self._stage_names(rows["stage"])],
            self.t("amount"): rows["amount_at_stake"].astype(float),
            "currency": rows["currency"].fillna(""), self.t("issue"): rows["rule"],
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
        from pipereview.exports import table_bytes

        stem = "_".join(["actions", _slug(self.team), self.week]
                        + ([_slug(self.rep)] if self.rep else []))
        frame = self.action_list()
        return frame, {f"{stem}.{fmt}": table_bytes(frame, fmt) for fmt in ("csv", "xlsx")}

    @staticmethod
    def _save(files: dict[str, bytes], folder: Path) -> list[Path]:
        from pipereview.store import atomic_write

        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            with atomic_write(folder / name, "wb") as handle:
                handle.write(data)
        return [folder / name for name in files]

    def tab_html(self, tab: str) -> str:
        """The HTML body of one of :data:`TABS` for the current selection."""
        if tab not in TABS:
            raise ValueError(f"unknown tab {tab!r}; tabs: {', '.join(TABS)}")
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

    def warm(self, *, tabs: tuple[str, ...] = TABS, weeks: int = 13) -> Dashboard:
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

    def _no_open(self) -> str | None:
        if len(self.review.context.open_deals) == 0:
            return (f"<p class='pr-empty'>"
                    f"{html.escape(self.t('no_open', team=self.team, week=self.week))}</p>")
        return None

    def _overview_html(self) -> str:
        from pipereview import charts

        review = self.review
        figures = self.figures()
        body = (f"<div class='pr-figures' data-open-amount='{figures['open_amount']:.2f}'>"
                f"{review.figures_table(figures)}</div>")
        body += self._no_open() or ""
        if self.targets is None:
            return body + f"<p>{html.escape(review.t('no_targets'))}</p>"
        if self.rep:
            reps = review.context.forecast_rep
            mine = reps[(reps["owner"] == self.rep) & reps["target"].notna()] if len(reps) else reps
            if not len(mine):
                return body + f"<p>{html.escape(self.t('no_rep_targets', period=review.period))}</p>"
            return body + charts.svg_html(charts.forecast_chart(mine, by="owner", lang=self.lang))
        body += charts.svg_html(charts.forecast_chart(review.forecast, lang=self.lang))
        reps = review.context.forecast_rep
        reps = reps[reps["target"].notna()] if len(reps) else reps
        if len(reps):
            body += charts.svg_html(charts.forecast_chart(reps, by="owner", lang=self.lang))
        return body

    def movements(self) -> pd.DataFrame:
        """This week's deal movements against the team's previous stored week (empty in
        the first week), for the selected rep when one is selected."""
        review = self.review
        cached = getattr(review, "_dashboard_moves", None)
        if cached is None:
            from pipereview.movements import deal_movements

            weeks = sorted(review.history["snapshot_week"].astype("str").unique())
            if len(weeks) < 2:
                cached = pd.DataFrame()
            else:
                prev = review.history[review.history["snapshot_week"] == weeks[-2]]
                cached = deal_movements(prev, review.latest)
            review._dashboard_moves = cached  # type: ignore[attr-defined]
        moves: pd.DataFrame = cached
        if self.rep and len(moves):
            moves = moves[moves["owner"] == self.rep]
        return moves

    def _changes_html(self) -> str:
        from pipereview import charts
        from pipereview.review import _CATEGORIES
        from pipereview.waterfall import waterfall

        review = self.review
        if len(review.history["snapshot_week"].unique()) < 2:
            return f"<p class='pr-empty'>{html.escape(review.t('no_previous'))}</p>"
        moves = self.movements()
        body = charts.svg_html(charts.waterfall_chart(waterfall(moves, review.period),
                                                      lang=self.lang))
        shown = moves[moves["category"] != "unchanged"]
        if self.category:
            shown = shown[shown["category"] == self.category]
        if not len(shown):
            return body + f"<p>{html.escape(self.t('no_changes'))}</p>"
        shown = shown.sort_values(["category", "amount_to", "deal_name"],
                                  ascending=[True, False, True], kind="stable", na_position="last")
        lang = 1 if self.lang == "zh" else 0
        total = len(shown)
        shown = shown.head(_ROW_LIMIT)
        currency = shown["currency"].fillna("")

        def money(values: pd.Series) -> list[str]:
            return ["—" if pd.isna(a) else _money(float(a), c)
                    for a, c in zip(values, currency, strict=True)]

        def day(values: pd.Series) -> list[str]:
            return ["—" if pd.isna(d) else pd.Timestamp(d).date().isoformat() for d in values]

        table = pd.DataFrame({
            review.t("rep"): shown["owner"], review.t("deal"): shown["deal_name"],
            review.t("account"): shown["account"],
            review.t("category"): [_CATEGORIES[c][lang] for c in shown["category"]],
            f"{review.t('stage')} ({self.t('before')})": self._stage_names(shown["stage_from"]),
            f"{review.t('stage')} ({self.t('after')})": self._stage_names(shown["stage_to"]),
            f"{self.t('amount')} ({self.t('before')})": money(shown["amount_from"]),
            f"{self.t('amount')} ({self.t('after')})": money(shown["amount_to"]),
            f"{self.t('close')} ({self.t('after')})": day(shown["close_date_to"]),
        })
        if total > _ROW_LIMIT:
            body += f"<p>{html.escape(self.t('shown', shown=_ROW_LIMIT, total=total))}</p>"
        return body + f"<div class='pr-changes'>{_table(table)}</div>"

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
        from pipereview.stages import load_stage_model

        models = self.review.latest["stage_model"].dropna().astype("str")
        return load_stage_model(models.mode().iloc[0]) if len(models) else None

    def _funnel_html(self) -> str:
        from pipereview import charts
        from pipereview.funnel import stage_table

        review = self.review
        empty = self._no_open()
        if empty:
            return empty
        model = self._model()
        context = review.context
        if self.rep:
            table = context.stage_table_rep
            table = table[(table["owner"] == self.rep)]
            shape = context.shape_rep[context.shape_rep["owner"] == self.rep]
        else:
            table = stage_table(review.prepared, as_of=review.week)
            shape = context.shape_team
        body = charts.svg_html(charts.funnel_chart(table.rename(columns={"count": "deals"}),
                                                   stage_model=model, lang=self.lang))
        rows = []
        for _, row in shape.iterrows():
            evidence = ""
            if row["stage"] and pd.notna(row["stage"]):
                evidence = self.t("stuck", n=int(row["stuck_count"]),
                                  amount=_money(float(row["stuck_amount"]), review.currency),
                                  age=f"{float(row['stuck_median_age_days']):.0f}")
            stage = (model.stage(str(row["stage"])).label_in(self.lang)
                     if model is not None and row["stage"] and pd.notna(row["stage"])
                     and str(row["stage"]) in model.keys else "")
            rows.append({review.t("rep"): row["owner"] or self.team,
                         review.t("label"): review._shape(str(row["label"])),
                         review.t("bottleneck"): stage, self.t("evidence"): evidence})
        body += f"<div class='pr-shape'>{_table(pd.DataFrame(rows))}</div>"
        rates = self._move_on(model)
        if len(rates):
            body += charts.svg_html(charts.conversion_chart(rates, lang=self.lang),
                                    label=self.t("title_moveon"))
        return body

    def _move_on(self, model: Any) -> pd.DataFrame:
        context = self.review.context
        team = context.move_on_team
        if model is None or not len(team):
            return pd.DataFrame()
        team_rate = team.set_index("stage")["move_on_rate"]
        if self.rep:
            mine = context.move_on_rep[context.move_on_rep["owner"] == self.rep]
            rate, reference = mine.set_index("stage")["move_on_rate"], team_rate
        else:
            rate, reference = team_rate, pd.Series(dtype=float)
        keys = list(model.keys)
        rows = []
        for stage in model.open_stages:
            if stage.key not in rate.index:
                continue
            nxt = keys[keys.index(stage.key) + 1] if keys.index(stage.key) + 1 < len(keys) else ""
            rows.append({"from_stage": stage.label_in(self.lang),
                         "to_stage": model.stage(nxt).label_in(self.lang) if nxt else "",
                         "conversion": float(rate[stage.key]),
                         "reference": float(reference.get(stage.key, float("nan")))})
        return pd.DataFrame(rows)

    def _risks_html(self) -> str:
        from pipereview.process import with_labels
        from pipereview.review import _RISKS

        review = self.review
        empty = self._no_open()
        if empty:
            return empty
        risks = review.context.risks
        if self.rep:
            risks = risks[risks["owner"] == self.rep]
        flagged = risks[risks["risk_count"] > 0].sort_values(
            [self.sort, "amount", "deal_key"], ascending=[False, False, True], kind="stable",
            na_position="last")
        labels = {k: (zh if self.lang == "zh" else en) for k, (en, zh) in _RISKS.items()}
        sep = "、" if self.lang == "zh" else ", "
        total = len(flagged)
        flagged = flagged.head(_ROW_LIMIT)
        if total:
            body = _table(pd.DataFrame({
                review.t("rep"): flagged["owner"], review.t("deal"): flagged["deal_name"],
                review.t("account"): flagged["account"],
                review.t("stage"): self._stage_names(flagged["stage"]),
                review.t("amount"): [_money(a, c) for a, c in
                                     zip(flagged["amount"], flagged["currency"], strict=True)],
                self.t("days_in_stage"): flagged["days_in_stage"],
                self.t("push_count"): flagged["push_count"],
                self.t("days_since_activity"): flagged["days_since_activity"],
                review.t("risks_col"): [sep.join(labels[r] for r in rs) for rs in flagged["risks"]],
            }))
            if total > _ROW_LIMIT:
                body = f"<p>{html.escape(self.t('shown', shown=_ROW_LIMIT, total=total))}</p>" + body
        else:
            body = f"<p>{html.escape(review.t('no_risk'))}</p>"
        gaps = with_labels(review.context.gaps, self.lang)
        gaps = gaps[gaps["inflated"] & (gaps["team"] == self.team)]
        if self.rep:
            gaps = gaps[gaps["owner"] == self.rep]
        gaps = gaps.sort_values(["amount", "deal_id"], ascending=[False, True]).head(_ROW_LIMIT)
        return f"<div class='pr-risks'>{body}{review.gaps_table(gaps)}</div>"

    def _coaching_html(self) -> str:
        from pipereview.coaching import coaching_sheet, team_summary

        review = self.review
        prompts = review.coaching_prompts
        if self.rep:
            return coaching_sheet(prompts, self.team, self.rep, as_of=review.week).to_html()
        return team_summary(prompts, self.team, as_of=review.week).to_html()

    # --- widgets -------------------------------------------------------------------------
    @property
    def widget(self) -> Any:
        """The app as one ipywidgets box (built on first use)."""
        if self._root is None:
            self._build()
        return self._root

    @property
    def controls(self) -> dict[str, Any]:
        """The app's named widgets (``team``, ``week``, ``rep``, ``lang``, ``export``,
        ``downloads``, ``tabs``, ``body_<tab>``, ...), e.g. to restyle or extend it."""
        if self._root is None:
            self._build()
        return dict(self._widgets)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)  # type: ignore[no-untyped-call]

    def _build(self) -> None:
        import ipywidgets as w

        def tagged(widget: Any, name: str) -> Any:
            widget.add_class(f"pr-{name}")
            return widget

        box = w.Layout(width="auto")
        self._widgets = {
            "title": tagged(w.HTML(), "title"),
            "team": tagged(w.Dropdown(layout=w.Layout(width="220px")), "team"),
            "week": tagged(w.Dropdown(layout=w.Layout(width="200px")), "week"),
            "rep": tagged(w.Dropdown(layout=w.Layout(width="240px")), "rep"),
            "lang": tagged(w.ToggleButtons(options=[("English", "en"), ("中文", "zh")],
                                           value=self.lang, style={"button_width": "80px"}),
                           "lang"),
            "export": tagged(w.Button(icon="", layout=w.Layout(width="auto")), "export"),
            "downloads": tagged(w.HTML(), "downloads"),
            "category": tagged(w.Dropdown(layout=w.Layout(width="260px")), "category"),
            "sort": tagged(w.Dropdown(layout=w.Layout(width="260px")), "sort"),
            "stamp": tagged(w.HTML(), "stamp"),
        }
        bodies = {tab: tagged(w.HTML(layout=box), f"tab-{tab}") for tab in TABS}
        self._widgets.update({f"body_{tab}": bodies[tab] for tab in TABS})
        pages = {tab: bodies[tab] for tab in TABS}
        pages["changes"] = w.VBox([self._widgets["category"], bodies["changes"]])
        pages["risks"] = w.VBox([self._widgets["sort"], bodies["risks"]])
        tabs = tagged(w.Tab(children=[pages[t] for t in TABS]), "tabs")
        self._widgets["tabs"] = tabs
        selectors = [self._widgets["week"], self._widgets["rep"], self._widgets["lang"],
                     self._widgets["export"]]
        if not self.locked:
            selectors.insert(0, self._widgets["team"])
        style = ("<style>.pr-app table.review-table{border-collapse:collapse;font-size:13px}"
                 ".pr-app table.review-table td,.pr-app table.review-table th{padding:2px 8px;"
                 "border-bottom:1px solid #ddd;text-align:left}.pr-app .pr-changes,"
                 ".pr-app .pr-risks{max-height:560px;overflow:auto}</style>")
        self._root = tagged(w.VBox([w.HTML(style), self._widgets["title"],
                                    w.HBox(selectors, layout=w.Layout(flex_flow="row wrap")),
                                    self._widgets["downloads"], tabs, self._widgets["stamp"]]),
                            "app")
        self._sync_controls()
        for name in ("team", "week", "rep", "lang"):
            self._widgets[name].observe(self._select_on(name), "value")
        self._widgets["category"].observe(self._on_category, "value")
        self._widgets["sort"].observe(self._on_sort, "value")
        self._widgets["export"].on_click(self._on_export)
        tabs.observe(self._on_tab, "selected_index")
        self._stale = set(TABS)
        self._draw()

    _syncing = False

    def _sync_controls(self) -> None:
        """Set the selectors' options and values from the selection, without events."""
        if not self._widgets:
            return
        self._syncing = True
        try:
            ws = self._widgets
            ws["team"].options = self.teams
            ws["team"].value = self.team or None
            ws["team"].description = self.t("team_sel")
            ws["week"].options = self.weeks
            ws["week"].value = self.week or None
            ws["week"].description = self.t("week_sel")
            ws["rep"].options = [(self.t("all_reps"), ""), *[(r, r) for r in self.reps]]
            ws["rep"].value = self.rep
            ws["rep"].description = self.t("rep_sel")
            ws["lang"].value = self.lang
            ws["export"].description = self.t("export")
            from pipereview.review import _CATEGORIES

            lang = 1 if self.lang == "zh" else 0
            ws["category"].options = [(self.t("all_changes"), ""), *[
                (names[lang], key) for key, names in _CATEGORIES.items() if key != "unchanged"]]
            ws["category"].value = self.category
            ws["category"].description = ""
            ws["sort"].options = [(f"{self.t('sort_by')}: {self.t(k)}", k) for k in _SORTS]
            ws["sort"].value = self.sort
            for i, tab in enumerate(TABS):
                ws["tabs"].set_title(i, self.t(tab))
        finally:
            self._syncing = False

    def _refresh(self) -> None:
        self._stale = set(TABS)
        if self._widgets:
            self._sync_controls()
            self._draw()

    def _draw(self) -> None:
        """Redraw the title and the visible tab (others are drawn when shown)."""
        ws = self._widgets
        tab = TABS[ws["tabs"].selected_index or 0]
        if not self.week:
            ws["title"].value = f"<p class='pr-empty'>{html.escape(self.t('no_data'))}</p>"
            ws["tabs"].layout.display = "none"
            self._stamp(tab)
            return
        title = self.t("title", team=self.team, week=self.week, period=self.review.period)
        locked = (f"<p class='pr-locked'>{html.escape(self.t('locked', team=self.team))}</p>"
                  if self.locked else "")
        ws["title"].value = f"<h2>{html.escape(title)}</h2>{locked}"
        if tab in self._stale:
            ws[f"body_{tab}"].value = self.tab_html(tab)
            self._stale.discard(tab)
        self._stamp(tab)
        self._plan_idle_work()

    # --- computing ahead while the manager reads ------------------------------------------
    _IDLE_DELAY = 0.3  # seconds of quiet before the next view is computed ahead
    _idle: Any = None
    _idle_views: Any = None

    def _likely_views(self) -> Iterator[tuple[str, str, str, str, str]]:
        """Views a manager is likely to open next from the current one, most likely
        first: the other tabs, the team's other weeks, the other language, the other
        teams' latest week (team, week, rep, lang, tab)."""
        team, week, rep, lang = self.team, self.week, self.rep, self.lang
        for tab in TABS:
            yield team, week, rep, lang, tab
        for other_week in self._weeks.get(team, [])[:13]:
            yield team, other_week, "", lang, "overview"
        other_lang = "zh" if lang == "en" else "en"
        for tab in ("overview", "coaching"):
            yield team, week, rep, other_lang, tab
        for other in self.teams:
            yield other, self._weeks[other][0], "", lang, "overview"
        for other in self.teams:
            for tab in TABS[1:]:
                yield other, self._weeks[other][0], "", lang, tab

    def _plan_idle_work(self) -> None:
        """After each redraw, compute the likely next views one at a time on the kernel's
        event loop, each after a short quiet spell (an interaction waits at most for the
        view being computed). Without a running event loop (plain scripts), nothing."""
        import asyncio

        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._idle_views = self._likely_views()
        self._idle = loop.call_later(self._IDLE_DELAY, self._idle_step)

    def _idle_step(self) -> None:
        import asyncio

        self._idle = None
        selection = (self.team, self.week, self.rep, self.lang)
        category, sort = self.category, self.sort
        for team, week, rep, lang, tab in self._idle_views or ():
            try:
                self.team, self.week, self.rep, self.lang = team, week, rep, lang
                self.category, self.sort = "", "amount"
                if self._html_key(tab) in self._html:
                    continue
                self.tab_html(tab)
            except Exception:  # a view that cannot be drawn is drawn (and reported) when opened
                pass
            finally:
                self.team, self.week, self.rep, self.lang = selection
                self.category, self.sort = category, sort
            self._idle = asyncio.get_running_loop().call_later(0.02, self._idle_step)
            return

    def _stamp(self, tab: str) -> None:
        """A hidden marker of what the page shows, set last (browser tests wait for it)."""
        stamp = "|".join([self.team, self.week, self.rep, self.lang, tab, self.category, self.sort])
        self._widgets["stamp"].value = (f"<span class='pr-state' data-stamp='{html.escape(stamp, quote=True)}'"
                                        " style='display:none'></span>")

    def _select_on(self, name: str) -> Callable[[dict[str, Any]], None]:
        """An observer that passes a selector's new value to :meth:`select`."""

        def handler(change: dict[str, Any]) -> None:
            if not self._syncing and change["new"] is not None:
                self.select(**{name: str(change["new"])})

        return handler

    def _on_category(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            self.category = str(change["new"] or "")
            self._stale.add("changes")
            self._draw()

    def _on_sort(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            self.sort = str(change["new"] or "amount")
            self._stale.add("risks")
            self._draw()

    def _on_tab(self, change: dict[str, Any]) -> None:
        self._draw()

    def _on_export(self, _button: Any) -> None:
        frame, files = self._export_files()  # computed once: offered and kept alike
        if self.export_dir is not None:
            self._save(files, self.export_dir)
        kinds = {"csv": "text/csv", "xlsx": ("application/vnd.openxmlformats-officedocument."
                                              "spreadsheetml.sheet")}
        links = []
        for name, data in files.items():
            fmt = name.rsplit(".", 1)[1]
            encoded = base64.b64encode(data).decode("ascii")
            links.append(f"<a class='pr-download-{fmt}' download='{html.escape(name)}' "
                         f"href='data:{kinds[fmt]};base64,{encoded}'>{html.escape(name)}</a>")
        self._widgets["downloads"].value = (
            f"<p class='pr-exported'>{html.escape(self.t('exported', rows=len(frame)))} "
            + " · ".join(links) + "</p>")


def dashboard_notebook() -> dict[str, Any]:
    """The dashboard notebook (nbformat 4 JSON) that ``pipereview serve`` runs: one cell
    that builds the app from :data:`CONFIG_VARIABLE` (the repository's
    ``notebooks/dashboard.ipynb`` is this notebook, checked by a test)."""
    source = ("# The manager's dashboard: `pipereview serve` configures it; opened in JupyterLab\n"
              "# without that, it shows the sample data.\n"
              "from pipereview.dashboard import Dashboard\n\n"
              "Dashboard.from_environment(samples=\"../data/samples\")")
    return {
        "cells": [{"cell_type": "code", "execution_count": None, "id": "dashboard",
                   "metadata": {}, "outputs": [], "source": source}],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                    "name": "python3"},
                     "language_info": {"name": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
