"""Lead conversion by source and rep against the 30% rule: hand-computed small cases for
every figure, each setting exactly at, just below and just above its value, a source
column the export lacks, and every lead counted exactly once.

The as-of week is 2026-W47 (Sunday 2026-11-22); the default window of 13 weeks runs from
Monday 2026-08-24 (2026-W35) to that Sunday.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _boundaries import boundary
from _budget import examples
from pipereview.config import Config
from pipereview.core._errors import ConfigError, InputError
from pipereview.diagnostics import (
    LEAD_COLUMNS,
    LeadSettings,
    lead_conversion,
    lead_note,
    lead_text,
)

WEEK = "2026-W47"
LAST_DAY = pd.Timestamp("2026-11-22")
FIRST_DAY = pd.Timestamp("2026-08-24")
OLD = pd.Timestamp("2026-09-15")  # in the window, older than 30 days on the as-of Sunday

#: a lead's outcome: converted, disqualified, or open
OUTCOMES = {"won": (True, False), "dq": (False, True), "open": (False, False)}


def _leads(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """Leads from (owner, source, outcome, created) rows of team North, as the canonical
    frame has them."""
    frame = pd.DataFrame(rows, columns=["owner", "lead_source", "outcome", "created_date"])
    frame["created_date"] = pd.to_datetime(frame["created_date"])
    frame["lead_source"] = frame["lead_source"].astype(object)
    flags = frame.pop("outcome").map(OUTCOMES)
    frame["converted"] = pd.array([f[0] for f in flags], dtype="boolean")
    frame["disqualified"] = pd.array([f[1] for f in flags], dtype="boolean")
    frame["converted_date"] = pd.NaT
    frame["team"] = "North"
    frame["source_file"] = "leads.csv"
    frame["source_row"] = range(2, len(frame) + 2)
    return frame


def _source(won: int, dq: int = 0, open_: int = 0, source: str = "Fair") -> list[tuple[Any, ...]]:
    return (
        [("Ann", source, "won", OLD)] * won
        + [("Ann", source, "dq", OLD)] * dq
        + [("Ann", source, "open", OLD)] * open_
    )


def test_the_figures_of_a_source() -> None:
    leads = _leads(
        [*_source(2, dq=3, open_=1), ("Ann", "Fair", "open", LAST_DAY - pd.Timedelta(days=5))]
    )
    out = lead_conversion(leads, WEEK)
    assert list(out.columns) == ["team", "lead_source", *LEAD_COLUMNS]
    assert out.to_dict("records") == [
        {
            "team": "North",
            "lead_source": "Fair",
            "leads": 7,
            "converted": 2,
            "disqualified": 3,
            "open": 2,
            "pending": 1,
            "decided": 6,
            "rate": 2 / 6,
            "verdict": "too_few",
        }
    ]


@pytest.mark.parametrize(
    ("won", "lost", "verdict"),
    [(3, 7, "at_or_above"), (29, 71, "below"), (30, 70, "at_or_above"), (31, 69, "at_or_above")],
)
def test_the_30_percent_rule_at_below_and_above(won: int, lost: int, verdict: str) -> None:
    out = lead_conversion(_leads(_source(won, dq=lost)), WEEK)
    assert out["rate"].iloc[0] == won / (won + lost)
    assert out["verdict"].iloc[0] == verdict


def test_sources_are_judged_on_their_own() -> None:
    leads = _leads(_source(1, dq=7, source="Web") + _source(6, dq=6, source="Fair"))
    out = lead_conversion(leads, WEEK)
    assert out[["lead_source", "rate", "verdict"]].to_dict("records") == [
        {"lead_source": "Fair", "rate": 0.5, "verdict": "at_or_above"},
        {"lead_source": "Web", "rate": 0.125, "verdict": "too_few"},
    ]


def test_by_rep() -> None:
    leads = _leads(
        [("Ann", "Fair", "won", OLD)] * 2
        + [("Ann", "Web", "dq", OLD)] * 8
        + [("Bob", "Fair", "won", OLD)] * 5
        + [("Bob", "Fair", "open", OLD)] * 5
    )
    out = lead_conversion(leads, WEEK, group_columns=("team", "owner"))
    assert out[["owner", "decided", "rate", "verdict"]].to_dict("records") == [
        {"owner": "Ann", "decided": 10, "rate": 0.2, "verdict": "below"},
        {"owner": "Bob", "decided": 10, "rate": 0.5, "verdict": "at_or_above"},
    ]


def test_a_lead_converted_and_disqualified_counts_as_converted() -> None:
    leads = _leads(_source(1))
    leads["disqualified"] = pd.array([True], dtype="boolean")
    row = lead_conversion(leads, WEEK).iloc[0]
    assert (row["converted"], row["disqualified"], row["open"]) == (1, 0, 0)


def test_a_conversion_after_the_as_of_week_leaves_the_lead_open() -> None:
    leads = _leads(_source(2))
    leads["converted_date"] = pd.to_datetime(["2026-11-22", "2026-11-23"])
    row = lead_conversion(leads, WEEK).iloc[0]
    assert (row["converted"], row["open"], row["pending"]) == (1, 1, 0)


def test_blank_flags_count_as_no() -> None:
    leads = _leads(_source(1, open_=1))
    leads["converted"] = pd.array([True, None], dtype="boolean")
    leads["disqualified"] = pd.array([None, None], dtype="boolean")
    row = lead_conversion(leads, WEEK).iloc[0]
    assert (row["converted"], row["disqualified"], row["open"]) == (1, 0, 1)


@pytest.mark.parametrize("source", [None, "", "  "])
def test_a_source_column_that_is_all_blank_is_not_checked(source: Any) -> None:
    leads = _leads(_source(3, dq=9))
    leads["lead_source"] = source
    out = lead_conversion(leads, WEEK)
    assert out[["team", "lead_source", "leads", "rate", "verdict"]].to_dict("records") == [
        {"team": "North", "lead_source": None, "leads": 12, "rate": 0.25, "verdict": "not_checked"}
    ]
    assert lead_note(leads, ("team", "lead_source")) == (
        "not checked: the export has no lead source column "
        "(add it to the export or to the column map)"
    )
    assert lead_note(leads, ("team", "lead_source"), "zh") == (
        "未检查：导出文件中没有“线索来源”列（请在导出文件或列映射中补上）"
    )
    assert lead_note(leads, ("team", "owner")) == ""


def test_a_source_column_the_export_lacks_is_not_checked() -> None:
    leads = _leads(_source(3, dq=9)).drop(columns="lead_source")
    out = lead_conversion(leads, WEEK)
    assert out["lead_source"].tolist() == [None] and out["verdict"].tolist() == ["not_checked"]


def test_without_a_leads_export_the_note_says_not_available() -> None:
    assert lead_note(None, ("team",)) == "not available: no leads export"
    assert lead_note(None, ("team",), "zh") == "无法分析：没有线索导出"


def test_no_leads_in_the_window_gives_the_columns_and_no_rows() -> None:
    out = lead_conversion(_leads([("Ann", "Fair", "won", "2025-01-05")]), WEEK)
    assert out.empty and list(out.columns) == ["team", "lead_source", *LEAD_COLUMNS]


def test_the_texts_exist_in_both_languages() -> None:
    assert lead_text("below") == "converts below 30%: tighten lead screening"
    assert lead_text("below", "zh") == "线索转化率低于 30%：收紧线索筛选"
    assert lead_text("at_or_above", settings=LeadSettings(min_conversion=0.25)) == (
        "converts at or above 25%"
    )
    assert lead_text("too_few", "zh") == "线索太少，无法判断（已有结果的线索少于 10 条）"
    with pytest.raises(InputError, match="no lead text 'great'"):
        lead_text("great")


def test_a_frame_without_created_date_is_refused_with_the_column() -> None:
    with pytest.raises(InputError, match="the leads frame has no created_date column") as caught:
        lead_conversion(pd.DataFrame({"converted": [True]}), WEEK)
    assert caught.value.column == "created_date" and caught.value.hint
    with pytest.raises(InputError, match="needs at least one group column"):
        lead_conversion(_leads(_source(1)), WEEK, group_columns=())


# --- boundaries ---------------------------------------------------------------------------


@boundary("leads.window_weeks")
@pytest.mark.parametrize("weeks", [13, 1, 4])
def test_window_weeks_counts_leads_from_its_first_monday(weeks: int) -> None:
    first = LAST_DAY - pd.Timedelta(days=7 * weeks - 1)
    rows = [
        ("Ann", "Before", "won", first - pd.Timedelta(days=1)),
        ("Ann", "First", "won", first),
        ("Ann", "Second", "won", first + pd.Timedelta(days=1)),
        ("Ann", "After", "won", LAST_DAY + pd.Timedelta(days=1)),  # after the as-of week
    ]
    out = lead_conversion(_leads(rows), WEEK, LeadSettings(window_weeks=weeks))
    assert out["lead_source"].tolist() == ["First", "Second"]


@boundary("leads.min_conversion")
@pytest.mark.parametrize(
    ("settings", "at"), [(LeadSettings(), 30), (LeadSettings(min_conversion=0.5), 50)]
)
def test_min_conversion_is_met_at_exactly_the_rate(settings: LeadSettings, at: int) -> None:
    for won, verdict in ((at - 1, "below"), (at, "at_or_above"), (at + 1, "at_or_above")):
        out = lead_conversion(_leads(_source(won, dq=100 - won)), WEEK, settings)
        assert out["verdict"].iloc[0] == verdict, won


@boundary("leads.min_leads")
@pytest.mark.parametrize("min_leads", [10, 4])
def test_min_leads_judges_from_exactly_that_many_decided_leads(min_leads: int) -> None:
    settings = LeadSettings(min_leads=min_leads)
    for decided, verdict in ((min_leads - 1, "too_few"), (min_leads, "below")):
        out = lead_conversion(_leads(_source(0, dq=decided, open_=0)), WEEK, settings)
        assert out["verdict"].iloc[0] == verdict, decided
    out = lead_conversion(_leads(_source(0, dq=min_leads + 1)), WEEK, settings)
    assert out["verdict"].iloc[0] == "below"


@boundary("leads.decision_days")
@pytest.mark.parametrize("days", [30, 14])
def test_an_open_lead_is_decided_from_exactly_decision_days(days: int) -> None:
    settings = LeadSettings(decision_days=days)
    for age, pending in ((days - 1, 1), (days, 0), (days + 1, 0)):
        rows = [("Ann", "Fair", "open", LAST_DAY - pd.Timedelta(days=age))]
        row = lead_conversion(_leads(rows), WEEK, settings).iloc[0]
        assert (row["pending"], row["decided"]) == (pending, 1 - pending), age
        assert math.isnan(row["rate"]) if pending else row["rate"] == 0.0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min_conversion": 1.2}, "min_conversion must be a share between 0 and 1, got 1.2"),
        ({"window_weeks": 0}, "window_weeks must be at least 1, got 0"),
        ({"min_leads": 0}, "min_leads must be at least 1, got 0"),
    ],
)
def test_settings_out_of_range_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        LeadSettings(**changes)
    assert "leads." in caught.value.hint


def test_the_section_reads_from_a_configuration_file() -> None:
    config = Config.from_mapping({"leads": {"min_conversion": 0.25, "decision_days": 45}})
    assert config.leads == LeadSettings(min_conversion=0.25, decision_days=45)
    assert config.to_mapping() == {"leads": {"min_conversion": 0.25, "decision_days": 45}}


# --- invariants ---------------------------------------------------------------------------

LEADS = st.lists(
    st.tuples(
        st.sampled_from(["Ann", "Bob"]),
        st.sampled_from(["Fair", "Web", None]),
        st.sampled_from(list(OUTCOMES)),
        st.integers(-120, 10).map(lambda d: LAST_DAY + pd.Timedelta(days=d)),
    ),
    max_size=40,
)


@settings(max_examples=examples(100), deadline=None)
@given(rows=LEADS, by_rep=st.booleans())
def test_every_lead_in_the_window_is_counted_once(
    rows: list[tuple[Any, ...]], by_rep: bool
) -> None:
    leads = _leads(rows)
    columns = ("team", "owner") if by_rep else ("team", "lead_source")
    out = lead_conversion(leads, WEEK, group_columns=columns)
    in_window = leads["created_date"].between(FIRST_DAY, LAST_DAY).sum()
    assert out["leads"].sum() == in_window
    assert (out["converted"] + out["disqualified"] + out["open"] == out["leads"]).all()
    assert (out["pending"] <= out["open"]).all()
    assert (out["decided"] == out["leads"] - out["pending"]).all()
    rates = out["rate"].dropna()
    assert ((rates >= 0) & (rates <= 1)).all()
