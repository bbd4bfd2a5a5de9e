"""The "Since last time" section of a sheet: the items of the rep's previous 1:1 (from the
coaching log, :mod:`pipereview.coaching._log`), each with its status and what the data
says happened since.

- an opportunity item: the deal won or lost, moved on (or back) from stage X to Y, or
  still at its stage for N days; its close date pushed out or brought in; or gone from
  the export;
- a skill item: the figure measured then beside the same figure now (the rep's weekly
  move-on rate at the stage, or the rule's figure when it still fires), or that the rule
  no longer fires.

Done and dropped items are listed briefly, without the data. Agreed items come first,
then proposed, done and dropped, each in the order of the sheet they were on.

>>> since_line({"metric": "move_on_rate", "value": 0.01, "stage": "needs_confirmed",
...             "stage_model": "generic_4"}, 0.06, "zh")
'需求确认阶段的周推进率从上次的 1% 变为现在的 6%'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipereview.coaching._log import PATTERN_METRIC, STATUS_LABELS
from pipereview.coaching._sheetitems import ITEM_LABELS
from pipereview.coaching.titles import rule_title
from pipereview.core._languages import check_language, phrase
from pipereview.core._stages import load_stage_model

if TYPE_CHECKING:
    from pipereview.week import WeekDiagnostics

__all__ = ["since_items", "since_line"]

_ORDER = {"agreed": 0, "proposed": 1, "done": 2, "dropped": 3}
_METRICS: dict[str, tuple[str, str, str]] = {  # name (en, zh), how the figure reads
    "move_on_rate": ("weekly move-on rate at {stage}", "{stage}阶段的周推进率", "pct"),
    "stage_conversion": ("conversion at {stage}", "{stage}阶段的转化率", "pct"),
    "win_rate": ("win rate", "赢单率", "pct"),
    "target_share_won": ("share of target won", "目标完成率", "pct"),
    "coverage": ("pipeline coverage", "商机覆盖倍数", "times"),
    "inflow_rate": ("new deals a week", "每周新增商机数", "one"),
    "open_deals": ("open deals", "在跟商机数", "int"),
    "plan_points": ("points behind plan", "落后计划的百分点", "int"),
    "deal_share": (
        "the largest deal's share of the open pipeline",
        "最大商机占在跟商机金额的比例",
        "pct",
    ),
    PATTERN_METRIC: ("the number of deals with this issue", "有此问题的商机数", "int"),
}
#: A figure no entry above names (an analyst's own rule): said as the point's figure
_ANY_METRIC = ("the figure behind this point", "该项指标", "one")
_PHRASES: dict[str, tuple[str, str]] = {
    "won": ("won", "此后已赢单"),
    "lost": ("lost", "此后已输单"),
    "gone": ("no longer in this week's export", "本周导出中已没有这个商机"),
    "on": ("moved on from {a} to {b}", "此后从{a}推进到{b}"),
    "back": ("moved back from {a} to {b}", "此后从{a}退回到{b}"),
    "still": ("still at {a}, {n} days in the stage", "仍在{a}，已停留 {n} 天"),
    "pushed": ("close date pushed from {a} to {b}", "预计成交日期从 {a} 推迟到 {b}"),
    "pulled": ("close date brought in from {a} to {b}", "预计成交日期从 {a} 提前到 {b}"),
    "then_now": ("{m} went from {a} at the last 1:1 to {b} now", "{m}从上次的 {a} 变为现在的 {b}"),
    "same": ("{m} is still {a}, as at the last 1:1", "{m}仍为 {a}，与上次持平"),
    "cleared": ("{m} was {a}, no longer flagged this week", "{m}上次为 {a}，本周已不再触发"),
}


def _say(key: str, lang: str, **values: object) -> str:
    return phrase(_PHRASES, key, lang, **values)


def _stage(key: object, model: object, lang: str) -> str:
    try:
        return load_stage_model(str(model)).stage(str(key)).label_in(lang)
    except Exception:  # a stage or model no longer known: its key
        return str(key)


def _figure(value: float, how: str) -> str:
    if how == "pct":
        return f"{value * 100:.0f}%"
    if how == "times":
        return f"{value:.1f}×"
    if how == "one" and value != round(value):
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def since_line(entry: Mapping[str, Any], now: float | None, lang: str) -> str:
    """A skill item's figure at the last 1:1 (``entry["value"]``) beside ``now`` (``None``:
    the rule no longer fires), in ``lang``."""
    check_language(lang)
    en, zh, how = _METRICS.get(str(entry.get("metric")), _ANY_METRIC)
    name = zh if lang == "zh" else en
    name = name.format(stage=_stage(entry.get("stage"), entry.get("stage_model"), lang))
    then = entry.get("value")
    if then is None or then != then:
        return ""
    if now is None:
        return _say("cleared", lang, m=name, a=_figure(float(then), how))
    a, b = _figure(float(then), how), _figure(now, how)
    return _say("same", lang, m=name, a=a) if a == b else _say("then_now", lang, m=name, a=a, b=b)


def _deal_outcome(
    entry: Mapping[str, Any], context: WeekDiagnostics, lang: str, cache: dict[str, Any]
) -> str:
    """What the history says became of the deal of ``entry`` since its week."""
    prepared = context.prepared
    frame = prepared.frame
    if not cache:  # once per sheet
        cache["keys"] = np.asarray(prepared.deal_key, dtype=object)
        cache["weeks"] = frame["snapshot_week"].astype("str").to_numpy()
        cache["facts"] = prepared.stage_facts()
        cache["days"] = prepared.days_in_stage(context.week)
    rows = np.flatnonzero(cache["keys"] == entry["deal_key"])
    if not len(rows):
        return _say("gone", lang)
    weeks = cache["weeks"][rows]
    now = rows[int(np.argmax(weeks))]
    facts = cache["facts"]
    if bool(facts["is_won"].iloc[now]):
        return _say("won", lang)
    if bool(facts["is_lost"].iloc[now]):
        return _say("lost", lang)
    team_weeks = context.latest.loc[context.latest["team"] == entry["team"], "snapshot_week"]
    if len(team_weeks) and weeks.max() < str(team_weeks.astype("str").max()):
        return _say("gone", lang)
    earlier = rows[weeks == entry["week"]]
    then = earlier[0] if len(earlier) else rows[int(np.argmin(weeks))]
    a = _stage(frame["stage"].iloc[then], frame["stage_model"].iloc[then], lang)
    b = _stage(frame["stage"].iloc[now], frame["stage_model"].iloc[now], lang)
    moved = int(facts["position"].iloc[now]) - int(facts["position"].iloc[then])
    if moved:
        parts = [_say("on" if moved > 0 else "back", lang, a=a, b=b)]
    else:
        parts = [_say("still", lang, a=b, n=f"{cache['days'].iloc[now]:,.0f}")]
    if "close_date" in frame.columns:
        was, is_ = frame["close_date"].iloc[then], frame["close_date"].iloc[now]
        if pd.notna(was) and pd.notna(is_) and was != is_:
            parts.append(
                _say(
                    "pushed" if is_ > was else "pulled",
                    lang,
                    a=pd.Timestamp(was).date().isoformat(),
                    b=pd.Timestamp(is_).date().isoformat(),
                )
            )
    return ("；" if lang == "zh" else "; ").join(parts)


def _skill_now(
    entry: Mapping[str, Any], context: WeekDiagnostics, current: pd.DataFrame
) -> float | None:
    """The skill item's figure now: the rule's finding this week, else (a move-on rate)
    the rep's rate at the stage over the window; ``None`` when neither is found."""
    if entry.get("metric") == PATTERN_METRIC:  # the deals the rule flags now
        if not len(current):
            return None
        hits = current[(current["rule"] == entry["rule"]) & (current["owner"] == entry["owner"])]
        flagged = hits["deal_key"].dropna().nunique() if "deal_key" in hits else len(hits)
        return float(flagged) if flagged else None
    if len(current):
        same = current[
            (current["rule"] == entry["rule"])
            & (current["owner"] == entry["owner"])
            & (current["stage"].fillna("") == (entry.get("stage") or ""))
        ]
        if len(same) and pd.notna(same["value"].iloc[0]):
            return float(same["value"].iloc[0])
    if entry.get("metric") == "move_on_rate":
        from pipereview.coaching.rules_rep import peer_move_on

        rates = peer_move_on(context)
        mine = rates[
            (rates["team"] == entry["team"])
            & (rates["owner"] == entry["owner"])
            & (rates["stage"] == entry.get("stage"))
        ]
        if len(mine) and pd.notna(mine["rate"].iloc[0]):
            return float(mine["rate"].iloc[0])
        return None
    if entry.get("metric") == "stage_conversion":  # the cohort's share, as the rule reads it
        from pipereview.diagnostics._benchmarks import conversion_against_standards

        rows = conversion_against_standards(context.conversion_rep, context.config.benchmarks)
        mine = rows[
            (rows["team"] == entry["team"])
            & (rows["owner"] == entry["owner"])
            & (rows["stage"] == entry.get("stage"))
        ]
        if len(mine) and pd.notna(mine["observed"].iloc[0]):
            return float(mine["observed"].iloc[0])
    return None


def since_items(
    entries: Sequence[Mapping[str, Any]],
    context: WeekDiagnostics,
    lang: str,
    *,
    current: pd.DataFrame | None = None,
) -> tuple[dict[str, Any], ...]:
    """The lines of the "Since last time" section from the previous 1:1's log ``entries``:
    each entry with ``status_label``, ``label`` (opportunity / skill coaching),
    ``title`` (the deal's name, or the rule's title), ``outcome`` (what the data says,
    "" for done and dropped items), ``brief`` (done or dropped) and ``plan`` (the target
    agreed, when it was written in ``lang``). ``current``: this week's findings of the
    rep (the figures of skill items that still fire)."""
    check_language(lang)
    current = current if current is not None else pd.DataFrame()
    cache: dict[str, Any] = {}
    out = []
    for entry in sorted(entries, key=lambda e: (_ORDER[e["status"]], e.get("rank") or 0)):
        brief = entry["status"] in ("done", "dropped")
        if entry["kind"] == "opportunity":
            title = str(entry.get("subject", ""))
            outcome = "" if brief else _deal_outcome(entry, context, lang, cache)
        else:
            title = rule_title(str(entry.get("rule", "")), lang)
            outcome = "" if brief else since_line(entry, _skill_now(entry, context, current), lang)
        out.append(
            {
                **entry,
                "status_label": STATUS_LABELS[entry["status"]][lang],
                "label": ITEM_LABELS.get(entry["kind"], ITEM_LABELS["skill"])[lang],
                "title": title,
                "outcome": outcome,
                "brief": brief,
                "plan": entry.get("target", "") if entry.get("lang") == lang else "",
            }
        )
    return tuple(out)
