"""The weekly review of one team, section by section, for the review notebook.

Each section is computed in the package and returned as a :class:`Section` (a heading
and an HTML body with offline SVG charts) that a notebook cell simply displays; all text
is in the review's language and every value taken from the data is HTML-escaped.

>>> h = pd.DataFrame({"snapshot_week": "2026-W47", "team": "North", "deal_id": ["D1"],
...     "deal_name": "MES", "account": "Acme", "owner": "Ann", "stage": "needs_confirmed",
...     "stage_model": "generic_4", "amount": [1000.0], "currency": "EUR",
...     "close_date": pd.Timestamp("2026-12-18"), "probability": [0.25]})
>>> review = WeeklyReview(h, team="North", week="2026-W47", lang="en")
>>> review.headline()["open_amount"], review.headline()["weighted_pipeline"]
(1000.0, 250.0)
"""

from __future__ import annotations

import copy
import html
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from pipereview.config import Config
from pipereview.core._errors import InputError
from pipereview.core._weeks import Week
from pipereview.diagnostics._figures import gap_text, outlook_text
from pipereview.history._prepared import PreparedHistory, prepare_history
from pipereview.history._trail import deal_key
from pipereview.ingest._schema import open_mask

__all__ = ["Section", "WeeklyReview"]

_TEXT: dict[str, tuple[str, str]] = {  # key: (en, zh)
    "headline": ("Headline figures", "核心数据"),
    "changes": ("What changed since last week", "与上周相比的变化"),
    "funnel": ("Funnel shape and bottleneck", "漏斗形态与瓶颈"),
    "forecast": ("Forecast against target", "预测与目标对比"),
    "risks": ("Deals at risk and process gaps", "风险商机与流程缺口"),
    "coaching": ("Coaching sheets", "辅导单"),
    "open_deals": ("Open deals", "在跟商机数"),
    "open_amount": ("Open pipeline", "在跟金额"),
    "weighted_pipeline": ("Weighted pipeline", "加权金额"),
    "won_amount": ("Won this period", "本期赢单金额"),
    "target": ("Target", "目标"),
    "gap_to_target": ("Forecast against target", "预测与目标"),
    "outlook": ("Will we hit target?", "能否完成目标"),
    "new_unknown": ("not known in the first stored week", "第一周的数据，无法统计"),
    "no_coverage_enough": ("none is enough: no deal won of those closed",
                           "已结束的商机一个未赢，覆盖率多高都不够"),
    "coverage": ("Coverage", "覆盖率"),
    "coverage_needed": ("Coverage needed", "所需覆盖率"),
    "win_rate": ("Win rate", "赢单率"),
    "new_deals": ("New deals this week", "本周新增商机"),
    "shape": ("Funnel shape", "漏斗形态"),
    "no_previous": ("First stored week: nothing to compare with yet.",
                    "这是第一周的数据，暂无可比较的上周数据。"),
    "no_targets": ("No targets given: pass a targets file to see the forecast against target.",
                   "未提供目标文件，无法与目标对比。"),
    "no_risk": ("No open deal is flagged.", "没有需要关注的在跟商机。"),
    "rep": ("Rep", "销售代表"), "deal": ("Deal", "商机"), "account": ("Account", "客户"),
    "stage": ("Stage", "阶段"), "amount": ("Amount", "金额"), "risks_col": ("Risks", "风险"),
    "evidence_stage": ("Evidence supports", "证据支持到"), "missing": ("Missing", "缺少"),
    "label": ("Shape", "形态"), "bottleneck": ("Bottleneck stage", "瓶颈阶段"),
    "category": ("Change", "变化"), "deals": ("Deals", "商机数"),
    "period": ("Period", "周期"), "figure": ("Figure", "指标"), "value": ("Value", "数值"),
}
_SHAPES: dict[str, tuple[str, str]] = {
    "healthy": ("healthy", "健康"), "thin_top": ("thin top (too few new deals)",
                                                 "顶部过窄（新商机太少）"),
    "top_heavy": ("top-heavy (deals pile up early)", "头重脚轻（商机堆积在早期阶段）"),
    "bulge": ("bulge (a bottleneck)", "中部鼓包（存在瓶颈）"),
    "thin_bottom": ("thin bottom (little near closing)", "底部过窄（临近成交的商机太少）"),
    "not_enough_data": ("not enough data", "数据不足"),
    "one_stage": ("every open deal in one stage (no shape to read)",
                  "所有在跟商机都在同一阶段（看不出漏斗形态）"),
}
CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "reopened": ("reopened", "重新打开"), "won": ("won", "赢单"), "lost": ("lost", "输单"),
    "dropped": ("dropped from the export", "从导出中消失"), "new": ("new in the export, open", "导出中新出现（在跟）"),
    "advanced": ("advanced a stage", "阶段推进"), "regressed": ("moved back a stage", "阶段倒退"),
    "pushed": ("close date pushed out", "预计成交日推迟"),
    "pulled_in": ("close date pulled in", "预计成交日提前"),
    "amount_up": ("amount raised", "金额上调"), "amount_down": ("amount lowered", "金额下调"),
    "unchanged": ("unchanged", "无变化"),
}
RISK_LABELS: dict[str, tuple[str, str]] = {
    "past_typical": ("past typical time in stage", "超出阶段常规时长"),
    "stalled": ("no recent activity", "近期无跟进"), "pushed_often": ("pushed repeatedly", "多次推迟"),
    "close_date_past": ("close date passed", "预计成交日已过"),
}


@dataclass(frozen=True)
class Section:
    """A review section: ``title`` and an HTML ``body``; notebooks display it."""

    title: str
    body: str

    def _repr_html_(self) -> str:
        return f"<section><h2>{html.escape(self.title)}</h2>\n{self.body}</section>"


def forecast_figures(row: pd.Series) -> dict[str, Any]:
    """The forecast figures of a :func:`~pipereview.diagnostics._forecast.period_forecast` row as the
    headline keeps them: ``target``, ``gap_to_target`` (signed: target - expected),
    ``coverage``, ``win_rate``, ``coverage_needed`` (None when unknown, and at a 0% win
    rate, where no coverage is enough) and ``outlook``
    (:func:`pipereview.diagnostics._figures.outlook`); None when unknown.

    >>> f = forecast_figures(pd.Series({"target": 100.0, "gap_to_target": -5.0,
    ...     "coverage": 2.0, "win_rate": 0.0, "coverage_needed": float("inf"),
    ...     "outlook": "at_risk"}))
    >>> f["win_rate"], f["coverage_needed"], f["outlook"]
    (0.0, None, 'at_risk')
    """
    out: dict[str, Any] = {}
    for name in ("target", "gap_to_target", "coverage", "win_rate", "coverage_needed"):
        value = row.get(name)
        out[name] = (None if value is None or pd.isna(value) or value == float("inf")
                     else round(float(value), 4))
    outlook = row.get("outlook")
    out["outlook"] = None if outlook is None or pd.isna(outlook) else str(outlook)
    return out


def _currency_of(row: pd.Series, fallback: str) -> str:
    """The row's currency code; ``fallback`` when the row has none (blank or missing)."""
    code = row.get("currency")
    return str(code) if isinstance(code, str) and code.strip() else fallback


def amount_text(value: float, currency: str) -> str:
    from pipereview.diagnostics._capabilities import currency_code  # no currency: the amount alone

    return f"{value:,.0f} {currency_code(currency)}".strip()


def not_checked_html(frame: pd.DataFrame, lang: str, checks: tuple[str, ...]) -> str:
    """The "not checked: the export has no <column>" lines for ``checks`` that ``frame``
    lacks the columns for (:func:`pipereview.diagnostics._capabilities.not_checked_notes`), as HTML."""
    from pipereview.diagnostics._capabilities import not_checked_notes

    return "".join(f"<p class='not-checked'>{html.escape(n)}</p>"
                   for n in not_checked_notes(frame, lang, checks))


def html_table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, border=0, classes="review-table",
                         na_rep="—")


class WeeklyReview:
    """One team's review as of ``week`` from a keyed history (see
    :func:`~pipereview.history._trail.with_deal_keys`), in ``lang`` (en / zh), with optional
    ``targets`` for ``period`` (default: the quarter of ``week``). ``stage_model`` (a
    shipped name or a YAML file) judges the deals' process evidence against that model
    instead of each deal's own (e.g. a team trying a stricter process). ``config``
    (:class:`~pipereview.config.Config`) carries the thresholds and coaching settings;
    ``lang`` and ``stage_model``, when given, take precedence over its own."""

    def __init__(self, history: pd.DataFrame, *, team: str, week: str | Week,
                 lang: str | None = None, targets: pd.DataFrame | None = None,
                 period: str | None = None, stage_model: str | None = None,
                 config: Config | None = None) -> None:
        from pipereview.diagnostics._trends import quarter_of

        config = config or Config()  # a language other than en or zh is refused by it
        self.config = config.replace(lang=lang or config.lang,
                                     stage_model=stage_model or config.stage_model)
        self.week = Week.parse(week) if isinstance(week, str) else week
        rows = history[(history["team"] == team)
                       & (history["snapshot_week"].astype("str") <= str(self.week))]
        if not (rows["snapshot_week"] == str(self.week)).any():
            teams = sorted(history.loc[history["snapshot_week"] == str(self.week), "team"].unique())
            raise InputError(f"team {team!r} has no snapshot in {self.week}; teams that week: "
                             f"{', '.join(teams) or 'none'}",
                             hint="check the team and the week (pipereview weeks lists both)")
        self.history = rows.assign(deal_key=deal_key(rows))
        self.team = team
        self.targets = None if targets is None else targets[targets["team"] == team]
        self.period = period or quarter_of(self.week)

    @classmethod
    def from_files(cls, *, team: str, week: str, lang: str | None = None,
                   history_path: str | None = None, store: str | None = None,
                   exports: str | None = None, targets: str | None = None,
                   stage_model: str | None = None, config: str | None = None
                   ) -> WeeklyReview:
        """A review from the batch's shared keyed history (``history_path``, Parquet), else
        from a snapshot ``store``, else from a folder of weekly ``exports`` (ingested into a
        temporary store), the team's rows only, loaded by
        :func:`~pipereview.history._trail.load_history` (the last two keyed there, for this
        team only). ``config`` is a configuration file
        (:func:`~pipereview.config.load_config`); the loader makes its template folders
        effective."""
        from pipereview.config import load_config
        from pipereview.diagnostics._targets import load_targets
        from pipereview.history._trail import load_history

        settings = load_config(config) if config else Config()
        if not (history_path or store or exports):
            raise InputError("no history to review: give history_path, store or exports",
                             hint="e.g. WeeklyReview.from_files(store='pipereview-data', team='North')")
        history = load_history(None if history_path else store or None, team=team,
                               file=history_path or None,
                               exports=None if history_path or store else exports,
                               templates=settings.templates, limits=settings.limits)
        goals = load_targets(targets) if targets else None
        return cls(history, team=team, week=week, lang=lang, targets=goals,
                   stage_model=stage_model, config=settings)

    def in_language(self, lang: str) -> WeeklyReview:
        """The same review in another language, sharing its history and diagnostics (only
        the coaching prompts are written again)."""
        other = copy.copy(self)
        other.__dict__.pop("coaching_prompts", None)
        other.config = self.config.replace(lang=lang)  # refuses a language other than en, zh
        return other

    @property
    def lang(self) -> str:
        """The review's language (its configuration's)."""
        return self.config.lang

    @property
    def stage_model(self) -> str | None:
        """The stage model process evidence is judged against; None: each deal's own."""
        return self.config.stage_model or None

    def title(self) -> Section:
        """The report's title: team, week and period."""
        title = (f"{self.team} — 周度销售漏斗回顾 {self.week}（{self.period}）" if self.lang == "zh"
                 else f"{self.team} — weekly pipeline review, {self.week} ({self.period})")
        return Section(title, "")

    def t(self, key: str) -> str:
        """A fixed text of the review in its language."""
        en, zh = _TEXT[key]
        return zh if self.lang == "zh" else en

    @cached_property
    def latest(self) -> pd.DataFrame:
        return self.history[self.history["snapshot_week"] == str(self.week)]

    @cached_property
    def currency(self) -> str:
        return ", ".join(sorted(set(self.latest["currency"].fillna("").astype(str)) - {""}))

    @cached_property
    def mixed_currencies(self) -> str | None:
        """Why the team's amounts are not added, or None: its deals of the last 13 stored
        weeks (the weeks the sections sum) are in more than one currency — possible in a
        store written before ingest refused that. The message names the team, the
        currencies and the deals outside the main one."""
        weeks = sorted(self.history["snapshot_week"].astype("str").unique())[-13:]
        rows = self.history[self.history["snapshot_week"].astype("str").isin(weeks)]
        codes = rows["currency"].astype("object").where(rows["currency"].notna(), "")
        counts = codes.astype(str).value_counts()
        if len(counts) < 2:
            return None
        main = str(counts.index[0])
        others = rows[codes != main].drop_duplicates("deal_key", keep="last")
        listed = [f"{name} ({deal}, {code or 'no currency'})" for name, deal, code in
                  zip(others["deal_name"], others["deal_id"], codes[others.index], strict=True)]
        more = f" and {len(listed) - 5} more" if len(listed) > 5 else ""
        return (f"{self.team} holds deals in {len(counts)} currencies "
                f"({', '.join(c or 'none' for c in sorted(counts.index))}); amounts in "
                f"different currencies are never added, so the sums are left out. Deals not "
                f"in {main or 'no currency'}: {'; '.join(listed[:5])}{more}. Convert them to "
                f"one currency in the exports (or give each currency its own team) and "
                "ingest again.")

    def _refused(self, key: str) -> Section | None:
        """The section ``key`` saying why its sums are left out, or None when the team's
        deals are in one currency."""
        message = self.mixed_currencies
        if message is None:
            return None
        return Section(self.t(key), f'<p class="refused">{html.escape(message)}</p>')

    @cached_property
    def prepared(self) -> PreparedHistory:
        """The team's history, prepared once (:func:`~pipereview.history._prepared.prepare_history`)
        for the sections and the coaching rules."""
        return prepare_history(self.history)

    @cached_property
    def context(self) -> Any:
        """The diagnostics of the team as of the week, each computed once and shared by the
        sections and the coaching rules (a :class:`~pipereview.coaching.CoachingContext`)."""
        from pipereview.coaching import CoachingContext

        return CoachingContext(self.prepared, self.week, targets=self.targets,
                               forecast_period=self.period, config=self.config)

    @cached_property
    def forecast(self) -> pd.DataFrame:
        forecast: pd.DataFrame = self.context.forecast_team
        return forecast

    @cached_property
    def coaching_findings(self) -> pd.DataFrame:
        """Every coaching rule's findings for the team (language-independent)."""
        from pipereview.coaching import coaching_findings

        findings: pd.DataFrame = coaching_findings(self.context)
        return findings

    @cached_property
    def coaching_prompts(self) -> pd.DataFrame:
        from pipereview.coaching import coaching_prompts

        return coaching_prompts(self.coaching_findings, lang=self.lang)

    def headline(self) -> dict[str, Any]:
        """The team's headline figures (what the batch index shows): open deals and
        amount, weighted pipeline, won this period, target, gap, coverage, new deals."""
        from pipereview.diagnostics._forecast import weighted_pipeline, won_deals

        open_now = self.latest[open_mask(self.latest)]
        if self.mixed_currencies is not None:  # counts only: amounts are never added
            return {"team": self.team, "week": str(self.week), "period": self.period,
                    "currency": self.currency, "open_deals": len(open_now),
                    "open_amount": None, "weighted_pipeline": None, "won_amount": None,
                    "refused": self.mixed_currencies}
        weighted = weighted_pipeline(open_now)["weighted"].sum() if len(open_now) else 0.0
        won = won_deals(self.prepared, self.period, self.week)
        out: dict[str, Any] = {
            "team": self.team, "week": str(self.week), "period": self.period,
            "currency": self.currency, "open_deals": len(open_now),
            "open_amount": float(open_now["amount"].sum()),
            "weighted_pipeline": round(float(weighted), 2),
            "won_amount": float(won["amount"].sum()), "new_deals": self.new_deals,
        }
        if len(self.forecast):
            out.update(forecast_figures(self.forecast.iloc[0]))
        return out

    @cached_property
    def new_deals(self) -> int | None:
        """The team's new deals this week (:func:`pipereview.diagnostics._figures.new_deals`): deals
        first stored in this week's export; None in the team's first stored week."""
        counts = self.context.new_deals
        value = counts.loc[counts["team"] == self.team, "new_deals"]
        return None if value.empty or pd.isna(value.iloc[0]) else int(value.iloc[0])

    def write_headline(self, path: str | Path) -> Path:
        """Write :meth:`headline` as JSON (atomically) for the batch index."""
        from pipereview.history._store import atomic_write

        target = Path(path)
        with atomic_write(target, "w", encoding="utf-8") as handle:
            json.dump(self.headline(), handle, ensure_ascii=False, indent=2, sort_keys=True)
        return target

    def headline_section(self) -> Section:
        """The headline figures as a small table."""
        figures = self.headline()
        note = (f'<p class="refused">{html.escape(figures["refused"])}</p>'
                if figures.get("refused") else "")
        return Section(self.t("headline"), self.figures_table(figures) + note)

    def figures_table(self, figures: dict[str, Any]) -> str:
        """Headline figures (as :meth:`headline` gives them) as an HTML table in the
        review's language; missing figures are left out."""
        rows = []
        for key in ("open_deals", "open_amount", "weighted_pipeline", "won_amount", "target",
                    "gap_to_target", "coverage", "coverage_needed", "outlook", "new_deals"):
            value = figures.get(key)
            if value is None and key == "new_deals" and key in figures \
                    and not figures.get("refused"):
                text = self.t("new_unknown")
            elif value is None and key == "coverage_needed" and figures.get("win_rate") == 0:
                text = self.t("no_coverage_enough")
            elif value is None:
                continue
            elif key == "gap_to_target":
                text = gap_text(value, self.currency, self.lang)
            elif key == "outlook":
                text = outlook_text(str(value), self.lang)
            elif key.startswith("coverage"):
                text = f"{value:.2f}x"
            else:
                text = f"{value:,}" if isinstance(value, int) else amount_text(value, self.currency)
            rows.append({self.t("figure"): self.t(key), self.t("value"): text})
        return html_table(pd.DataFrame(rows))

    def changes_section(self) -> Section:
        """This week's waterfall of the open pipeline and the deals behind each step."""
        from pipereview import charts
        from pipereview.diagnostics._waterfall import waterfall
        from pipereview.history._movements import deal_movements

        weeks = sorted(self.history["snapshot_week"].unique())
        if len(weeks) < 2:
            return Section(self.t("changes"), f"<p>{html.escape(self.t('no_previous'))}</p>")
        if refused := self._refused("changes"):
            return refused
        prev = self.history[self.history["snapshot_week"] == weeks[-2]]
        moves = deal_movements(prev, self.latest)
        steps = waterfall(moves, self.period)
        counts = moves.groupby("category").size()
        order = [c for c in CATEGORY_LABELS if c in counts.index]
        names = [CATEGORY_LABELS[c][1 if self.lang == "zh" else 0] for c in order]
        table = pd.DataFrame({self.t("category"): names,
                              self.t("deals"): counts[order].to_numpy()})
        body = charts.svg_html(charts.waterfall_chart(steps, lang=self.lang)) + html_table(table)
        return Section(self.t("changes"), body)

    def funnel_section(self) -> Section:
        """The open funnel by stage, its shape label and each rep's bottleneck."""
        from pipereview import charts
        from pipereview.core._stages import load_stage_model
        from pipereview.diagnostics._funnel import stage_table

        if refused := self._refused("funnel"):
            return refused

        table = stage_table(self.prepared, as_of=self.week)
        model = load_stage_model(str(table["stage_model"].iloc[0])) if len(table) else None
        chart = charts.funnel_chart(table.rename(columns={"count": "deals"}),
                                    stage_model=model, lang=self.lang)
        reps = self.context.shape_rep
        shown = pd.DataFrame({
            self.t("rep"): reps["owner"],
            self.t("label"): [self._shape(x) for x in reps["label"]],
            self.t("bottleneck"): [model.stage(s).label_in(self.lang) if model and s else ""
                                   for s in reps["stage"].fillna("")],
        })
        return Section(self.t("funnel"), charts.svg_html(chart) + html_table(shown))

    def _shape(self, label: str) -> str:
        en, zh = _SHAPES.get(label, (label, label))
        return zh if self.lang == "zh" else en

    def forecast_section(self) -> Section:
        """Won and weighted open pipeline against the period's target, per rep, and the
        one answer to "will we hit target?" for the team and each rep (the outlook the
        headline and the coaching rules share), with the gap worded by its sign."""
        from pipereview import charts

        if refused := self._refused("forecast"):
            return refused
        if self.targets is None:
            return Section(self.t("forecast"), f"<p>{html.escape(self.t('no_targets'))}</p>")
        reps = self.context.forecast_rep  # the forecast the coaching rules read
        reps = reps[reps["team"] == self.team] if len(reps) else reps
        reps = reps[reps["target"].notna()] if len(reps) else reps
        body = charts.svg_html(charts.forecast_chart(self.forecast, lang=self.lang))
        if len(reps):
            body += charts.svg_html(charts.forecast_chart(reps, by="owner", lang=self.lang))
        return Section(self.t("forecast"), body + self.outlook_table(reps))

    def outlook_table(self, reps: pd.DataFrame) -> str:
        """The team's and each rep's outlook as a table: forecast against target (worded
        by its sign), coverage, coverage needed and "will we hit target?"."""
        rows = [] if self.forecast.empty else [(self.team, self.forecast.iloc[0])]
        rows += [(str(row["owner"]), row) for _, row in reps.iterrows()]
        if not rows:
            return ""
        lines = []
        for name, row in rows:
            figures = forecast_figures(row)
            need = figures["coverage_needed"]
            lines.append({
                self.t("rep"): name,
                self.t("gap_to_target"): gap_text(figures["gap_to_target"],
                                                  _currency_of(row, self.currency),
                                                  self.lang),
                self.t("coverage"): ("—" if figures["coverage"] is None
                                     else f"{figures['coverage']:.2f}x"),
                self.t("coverage_needed"): (
                    f"{need:.2f}x" if need is not None else self.t("no_coverage_enough")
                    if figures["win_rate"] == 0 else "—"),
                self.t("outlook"): outlook_text(str(figures["outlook"]), self.lang),
            })
        return html_table(pd.DataFrame(lines))

    def risks_section(self, limit: int = 15) -> Section:
        """The largest flagged open deals and the deals whose stage lacks the evidence."""
        from pipereview.diagnostics._labels import with_labels
        from pipereview.diagnostics._process import process_gaps

        risks = self.context.risks
        flagged = risks[risks["risk_count"] > 0].sort_values(
            ["amount", "deal_key"], ascending=[False, True], kind="stable").head(limit)
        labels = {k: (zh if self.lang == "zh" else en) for k, (en, zh) in RISK_LABELS.items()}
        sep = "、" if self.lang == "zh" else ", "
        body = html_table(pd.DataFrame({
            self.t("rep"): flagged["owner"], self.t("deal"): flagged["deal_name"],
            self.t("account"): flagged["account"],
            self.t("amount"): [amount_text(a, c) for a, c in zip(flagged["amount"],
                                                           flagged["currency"], strict=True)],
            self.t("risks_col"): [sep.join(labels[r] for r in rs) for rs in flagged["risks"]],
        })) if len(flagged) else f"<p>{html.escape(self.t('no_risk'))}</p>"
        gaps = with_labels(process_gaps(self.latest[open_mask(self.latest)], self.stage_model),
                           self.lang, self.stage_model)
        gaps = gaps[gaps["inflated"]].sort_values(["amount", "deal_id"],
                                                  ascending=[False, True]).head(limit)
        notes = not_checked_html(self.latest[open_mask(self.latest)], self.lang,
                                 ("stage_inflation", "stalled_deal"))
        return Section(self.t("risks"), body + self.gaps_table(gaps) + notes
                       + self.activity_note(risks))

    def activity_note(self, risks: pd.DataFrame) -> str:
        """A note naming the open deals whose last activity is dated after the week's end
        (a data problem: counted as 0 days since activity), or ``""`` when none is."""
        late = risks[risks["activity_after_as_of"].fillna(False).astype(bool)] \
            if "activity_after_as_of" in risks else risks.iloc[:0]
        if not len(late):
            return ""
        names = "、".join if self.lang == "zh" else ", ".join
        shown = names(str(n) for n in late["deal_name"].head(5))
        more = len(late) - min(len(late), 5)
        end = Week.parse(str(self.week)).sunday.isoformat()
        if self.lang == "zh":
            text = (f"{len(late)} 个在跟商机的最近跟进日期晚于本周结束日（{end}），属于数据问题，"
                    f"按 0 天计算：{shown}" + (f" 等 {more} 个" if more else "") + "。")
        else:
            text = (f"{len(late)} open deal(s) have a last activity dated after the end of the week "
                    f"({end}), a data problem counted as 0 days since activity: {shown}"
                    + (f" and {more} more" if more else "") + ".")
        return f'<p class="data-note">{html.escape(text)}</p>'

    def gaps_table(self, gaps: pd.DataFrame) -> str:
        """Deals whose recorded stage runs ahead of the evidence (rows of
        :func:`~pipereview.diagnostics._labels.with_labels`), as an HTML table; empty without rows."""
        if not len(gaps):
            return ""
        sep = "、" if self.lang == "zh" else ", "
        return html_table(pd.DataFrame({
            self.t("rep"): gaps["owner"], self.t("deal"): gaps["deal_name"],
            self.t("stage"): gaps["claimed_stage_label"],
            self.t("evidence_stage"): gaps["evidence_stage_label"],
            self.t("missing"): [sep.join(m) for m in gaps["missing_labels"]],
        }))

    def coaching_section(self) -> Section:
        """The team summary and every rep's coaching sheet."""
        from pipereview.coaching import coaching_sheet, team_summary

        if refused := self._refused("coaching"):
            return refused
        from pipereview.diagnostics._capabilities import COACHING_CHECKS, not_checked_notes

        prompts = self.coaching_prompts
        notes = not_checked_notes(self.latest[open_mask(self.latest)], self.lang,
                                  COACHING_CHECKS)
        body = team_summary(prompts, self.team, as_of=self.week, not_checked=notes).to_html()
        owners = sorted(set(self.latest["owner"]) - {""})
        for owner in owners:
            body += coaching_sheet(prompts, self.team, owner, as_of=self.week,
                                   not_checked=notes).to_html()
        return Section(self.t("coaching"), body)
