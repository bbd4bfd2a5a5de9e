"""The items of a coaching sheet: a rep's risk findings merged into one item per deal
(opportunity coaching), one per rule that fires on several of the rep's deals and one per
rep-level finding (skill coaching), ranked by money at stake and severity; and the working
day a follow-up falls on.

>>> working_day(datetime.date(2026, 12, 20))  # a Sunday
datetime.date(2026, 12, 21)
>>> working_day(datetime.date(2026, 12, 25), [datetime.date(2026, 12, 25)])  # Friday, a holiday
datetime.date(2026, 12, 28)
>>> ITEM_LABELS["skill"]["zh"], ITEM_LABELS["opportunity"]["en"]
('技能辅导', 'Opportunity coaching')
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Collection, Mapping
from typing import Any

import pandas as pd

from pipereview.coaching.prompts import NO_DATE, PromptTemplates, deal_subject
from pipereview.coaching.titles import rule_title
from pipereview.core._languages import check_language
from pipereview.core._links import record_url

__all__ = ["ITEM_LABELS", "item_records", "next_steps", "pattern_goal", "working_day"]

#: What each kind of item is called on the sheet: one deal (opportunity coaching) or a
#: pattern across the rep's deals (skill coaching).
ITEM_LABELS: dict[str, dict[str, str]] = {
    "opportunity": {"en": "Opportunity coaching", "zh": "商机辅导"},
    "skill": {"en": "Skill coaching", "zh": "技能辅导"},
}


def working_day(day: datetime.date, holidays: Collection[datetime.date] = ()) -> datetime.date:
    """``day``, or the first day after it that is neither a Saturday, a Sunday nor one of
    ``holidays``."""
    off = set(holidays)
    while day.weekday() >= 5 or day in off:
        day += datetime.timedelta(days=1)
    return day


def next_steps(open_deals: pd.DataFrame) -> dict[str, str]:
    """Each open deal's recorded next step by ``deal_key`` (blank ones left out); empty when
    the export has no ``next_step`` column.

    >>> next_steps(pd.DataFrame({"deal_key": ["a", "b"], "next_step": ["Demo on Tue", " "]}))
    {'a': 'Demo on Tue'}
    """
    if "next_step" not in open_deals.columns or "deal_key" not in open_deals.columns:
        return {}
    return {
        str(key): str(step).strip()
        for key, step in zip(open_deals["deal_key"], open_deals["next_step"], strict=True)
        if isinstance(step, str) and step.strip()
    }


def _number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(number) else number


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _key(value: Any) -> Any:
    """A deal key as grouping compares it: every missing value (None, NaN) the same."""
    return (
        "\x00missing"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else value
    )


def _most_severe_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` by severity, highest first, ties in their order (a missing one last)."""
    return sorted(rows, key=lambda r: (pd.isna(r.get("severity")), -_number(r.get("severity"))))


def _item(
    rows: list[dict[str, Any]],
    kind: str,
    lang: str,
    steps: Mapping[str, str],
    crm_url: str | None,
) -> dict[str, Any]:
    """One item from its findings (one deal's, or one rep-level finding), each a record
    of the findings frame."""
    rows = _most_severe_first(rows)
    first = rows[0]
    item: dict[str, Any] = {
        "kind": kind,
        "label": ITEM_LABELS[kind][lang],
        "amount": max(_number(r.get("amount_at_stake")) for r in rows),
        "currency": first.get("currency"),
        "severity": int(max(_number(r.get("severity")) for r in rows)),
        "findings": rows,
        **dict.fromkeys(("deal_key", "deal_id", "deal_name", "account", "ref", "next_step"), ""),
        **dict.fromkeys(("stage", "stage_model", "url", "pattern")),
        "rule": "",
        "deals": [],
    }
    if kind == "opportunity":
        deal_id = _text(first.get("deal_id"))
        account, ref = deal_subject(first, lang)
        item.update(
            deal_key=_text(first.get("deal_key")),
            deal_id=deal_id,
            deal_name=_text(first.get("deal_name")),
            account=account,
            ref=ref,
            stage=first.get("stage"),
            stage_model=first.get("stage_model"),
            url=record_url(crm_url, deal_id),
            next_step=steps.get(_text(first.get("deal_key")), ""),
        )
    return item


def pattern_goal(deals: int, weeks: int = 4) -> int:
    """How many of a pattern's ``deals`` the 30-day target covers: the larger half, at
    least 3 (all of them when there are no more), at most two a week over the ``weeks``
    to the follow-up: a target the rep can reach beside the rest of the work.

    >>> [pattern_goal(n) for n in (2, 3, 4, 5, 7, 12, 30)]
    [2, 3, 3, 3, 4, 6, 8]
    >>> pattern_goal(12, weeks=2)
    4
    """
    return min(deals, max(3, math.ceil(deals / 2)), 2 * max(1, weeks))


def _pattern_item(
    part: list[dict[str, Any]],
    lang: str,
    steps: Mapping[str, str],
    crm_url: str | None,
    templates: PromptTemplates,
    by: str,
    weeks: int,
) -> dict[str, Any]:
    """One skill item for one rule's findings on several deals (one per deal, largest
    first): the deals listed, the money summed, a target on :func:`pattern_goal` of them."""
    largest = sorted(
        part,
        key=lambda r: (-_number(r.get("amount_at_stake")), -_number(r.get("severity"))),
    )
    seen: set[Any] = set()
    rows = []
    for row in largest:  # each deal once, at its largest finding
        if _key(row.get("deal_key")) not in seen:
            seen.add(_key(row.get("deal_key")))
            rows.append(row)
    item = _item(rows, "skill", lang, steps, crm_url)
    item["findings"] = rows  # the deals' own findings, largest deal first
    item["amount"] = sum(_number(r.get("amount_at_stake")) for r in rows)
    item["rule"] = str(rows[0]["rule"])
    item["deals"] = [
        {
            "deal_key": _text(r.get("deal_key")),
            "deal_id": _text(r.get("deal_id")),
            "deal_name": _text(r.get("deal_name")),
            "ref": deal_subject(r, lang)[1],
            "stage": r.get("stage"),
            "stage_model": r.get("stage_model"),
            "url": record_url(crm_url, _text(r.get("deal_id"))),
            "next_step": steps.get(_text(r.get("deal_key")), ""),
        }
        for r in rows
    ]
    values = {
        "rule": item["rule"],
        "title": rule_title(item["rule"], lang),
        "n": len(rows),
        "k": pattern_goal(len(rows), weeks),
        "amount": item["amount"],
        "currency": item["currency"],
        "reference": rows[0].get("reference"),
        "stage_model": _text(rows[0].get("stage_model")),
        "by": by or NO_DATE[lang],
        "e": {"by": by},
    }
    item["pattern"] = templates.render("_pattern", lang, values)
    return item


def item_records(
    risks: pd.DataFrame,
    lang: str,
    *,
    steps: Mapping[str, str] | None = None,
    crm_url: str | None = None,
    pattern_deals: int = 3,
    by: str = "",
    weeks: int = 4,
    templates: PromptTemplates | None = None,
) -> list[dict[str, Any]]:
    """A rep's risk findings (rendered prompts) as ranked items.

    A rule that fires on ``pattern_deals`` or more of the rep's deals makes one skill
    item (the pattern): its deals listed in ``deals``, ``amount`` their sum, ``rule``,
    and ``pattern`` the texts of ``<lang>/_pattern.j2`` (observation, question, action and
    a target on :func:`pattern_goal` of the deals by ``by``, the follow-up day, ``weeks``
    away); its findings leave the deals' own items, so a deal whose only issue it is has
    none. Every other finding of one deal makes one opportunity item (most severe first),
    every rep-level finding a skill item. Items rank by money at stake, then severity;
    when the rep has two or more flagged deals, the skill items (patterns across those
    deals) come first. Each item has ``kind``, ``label``, ``amount``, ``severity`` and its
    ``findings``; a deal item also ``deal_id``, ``deal_name``, ``ref``, ``stage``, ``url``
    (the CRM record, with ``crm_url``) and ``next_step`` (from ``steps``, by ``deal_key``;
    ``""`` when none)."""
    check_language(lang)
    steps = steps or {}
    templates = templates or PromptTemplates()
    deal = (risks["scope"] == "deal").to_numpy(dtype=bool)
    # every finding as a record, once (a frame per item cost ~0.1 s a small team)
    records = [{str(k): v for k, v in r.items()} for r in risks.to_dict("records")]
    deals = [r for r, d in zip(records, deal, strict=True) if d]
    patterns: list[str] = []
    if deals and "rule" in risks:
        spread: dict[str, set[Any]] = {}
        for row in deals:  # the distinct deals each rule fires on (a missing key: none)
            rule, key = row.get("rule"), row.get("deal_key")
            if pd.isna(rule):
                continue
            spread.setdefault(rule, set())
            if not pd.isna(key):
                spread[rule].add(key)
        patterns = [str(r) for r in sorted(spread) if len(spread[r]) >= pattern_deals]
    folded = set(patterns)
    by_deal: dict[Any, list[dict[str, Any]]] = {}
    for row in deals:  # a deal's other findings, deals in the order they first appear
        if row.get("rule") not in folded and not pd.isna(row.get("deal_key")):
            by_deal.setdefault(row.get("deal_key"), []).append(row)
    items = [_item(rows, "opportunity", lang, steps, crm_url) for rows in by_deal.values()]
    items += [
        _pattern_item(
            [r for r in deals if r.get("rule") == rule],
            lang,
            steps,
            crm_url,
            templates,
            by,
            weeks,
        )
        for rule in patterns
    ]
    items += [
        _item([r], "skill", lang, steps, crm_url)
        for r, d in zip(records, deal, strict=True)
        if not d
    ]
    skill_first = len({_key(r.get("deal_key")) for r in deals}) >= 2
    order = sorted(
        range(len(items)),
        key=lambda i: (
            0 if skill_first and items[i]["kind"] == "skill" else 1,
            -items[i]["amount"],
            -items[i]["severity"],
            i,
        ),
    )
    return [items[i] for i in order]
