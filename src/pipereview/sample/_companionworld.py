"""What a sample team's companion exports are made from: its deals, read back from its
weekly exports, and the activities and leads its reps logged around them.

The deals come from the written exports (IDs as each week's export writes them, owners,
accounts, stages); a deal *advanced* in a week when its stage position rose from the
week before, or it was won. Activities and leads are canonical rows here (dates as
``datetime.date``); ``_companionsample`` writes them the way each team's CRM does.

>>> from pipereview.sample import generate_samples
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = generate_samples(folder, n_weeks=2, scale=0.2)
>>> from pipereview.sample import TEAMS
>>> team = read_team_deals(folder, TEAMS[0])
>>> team.weeks, str(team.as_of)
(['2026-W46', '2026-W47'], '2026-11-20')
"""

from __future__ import annotations

import datetime
import itertools
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipereview.core._stages import load_stage_model
from pipereview.core._weeks import Week
from pipereview.ingest import read_export
from pipereview.sample._teams import TeamSpec

__all__ = [
    "ACTIVITY_WINDOW_WEEKS",
    "COMPANION_SEED",
    "HIGH_ACTIVITY_TEAM",
    "LOW_CONVERSION_RATE",
    "LOW_CONVERSION_SOURCE",
    "LOW_CONVERSION_TEAM",
    "OPEN_LEAD_DAYS",
    "TeamDeals",
    "make_activities",
    "make_leads",
    "read_team_deals",
    "team_rng",
]

#: The companion files' own random stream: this seed and the team's slug.
COMPANION_SEED = 23
#: The planted "high activity, no advances" rep's team, and the weeks it shows in.
HIGH_ACTIVITY_TEAM = "north"
ACTIVITY_WINDOW_WEEKS = 4
_HIGH_FACTOR = 2.6  # the planted rep logs this many times a usual week's activities
#: The planted lead source converting at 12%: 3 of the 25 leads decided in the quarter.
LOW_CONVERSION_TEAM = "west"
LOW_CONVERSION_SOURCE = "Trade Show"
LOW_CONVERSION_RATE = (3, 25)
_OLDER_LOW_RATE = (2, 17)  # the quarter before: as weak
#: Leads created this many days before the as-of Friday or later may still be open; an
#: older lead is converted or disqualified (a lead-conversion rate leaves out open leads
#: younger than 30 days).
OPEN_LEAD_DAYS = 28
_ON_DEAL = 0.8  # share of activities logged on a deal (the rest on the account only)
_FROM_LEAD = 0.75  # share of new deals that came from a lead (in the planted team: all)

#: Per team: activities a rep logs in a usual week, and the mix of types.
_ACTIVITY_PLAN: dict[str, tuple[float, dict[str, float]]] = {
    "north": (14.0, {"call": 0.35, "email": 0.3, "meeting": 0.15, "visit": 0.1, "task": 0.1}),
    "west": (12.0, {"call": 0.35, "email": 0.4, "meeting": 0.15, "task": 0.1}),
    "huadong": (10.0, {"visit": 0.35, "call": 0.35, "meeting": 0.15, "email": 0.1, "task": 0.05}),
    "dach": (11.0, {"call": 0.35, "email": 0.3, "meeting": 0.25, "task": 0.1}),
}
#: Per team: where leads come from (as the CRM names the source).
_LEAD_SOURCES: dict[str, tuple[str, ...]] = {
    "north": ("Web", "Phone Inquiry", "Partner Referral", "Trade Show", "Purchased List"),
    "west": ("Organic Search", "Referrals", "Email Marketing", "Trade Show"),
    "huadong": ("展会", "官网咨询", "老客户转介绍", "电话营销", "代理商推荐"),
    "dach": ("Web", "Trade Show", "Partner", "Employee Referral", "Advertisement"),
}


@dataclass(frozen=True)
class TeamDeals:
    """A sample team's deals as its exports show them, week by week.

    ``frames`` maps each week to that week's deals (indexed by the deal ID the export
    writes); ``advanced`` maps each week but the first to the IDs of the deals that
    advanced a stage in it; ``deals`` holds each deal's last row; ``as_of`` is the last
    week's Friday (the export date).
    """

    spec: TeamSpec
    weeks: list[str]
    frames: dict[str, pd.DataFrame]
    advanced: dict[str, set[str]]
    deals: pd.DataFrame
    won_stage: str
    lost_stages: tuple[str, ...]
    as_of: datetime.date

    def is_open(self, frame: pd.DataFrame) -> pd.Series:
        """Which deals of ``frame`` are open (neither won nor lost)."""
        return ~frame["stage"].isin([self.won_stage, *self.lost_stages])

    def quiet_rep(self) -> str:
        """The rep with the fewest deals advanced in the last four weeks (first in the
        team's order on a tie): the planted "high activity, no advances" rep."""
        recent = self.weeks[-ACTIVITY_WINDOW_WEEKS:]
        counts = dict.fromkeys(self.spec.reps, 0)
        for week in recent:
            owners = self.frames[week].loc[sorted(self.advanced.get(week, set())), "owner"]
            for owner in owners:
                counts[owner] = counts.get(owner, 0) + 1
        return min(self.spec.reps, key=lambda rep: counts[rep])

    def advanced_in_window(self) -> set[str]:
        """The IDs of the deals that advanced in any of the last four weeks."""
        recent = self.weeks[-ACTIVITY_WINDOW_WEEKS:]
        return set().union(*(self.advanced.get(w, set()) for w in recent))


def team_rng(spec: TeamSpec) -> np.random.Generator:
    """The companion files' random generator of a team: a fixed seed and the team.

    >>> from pipereview.sample import TEAMS
    >>> int(team_rng(TEAMS[0]).integers(1000)) == int(team_rng(TEAMS[0]).integers(1000))
    True
    """
    return np.random.default_rng([COMPANION_SEED, zlib.crc32(spec.slug.encode())])


def read_team_deals(samples: Path, spec: TeamSpec) -> TeamDeals:
    """Read every weekly export of ``spec``'s team in ``samples/exports`` back."""
    weeks = sorted(p.name for p in (samples / "exports").iterdir() if p.is_dir())
    frames: dict[str, pd.DataFrame] = {}
    for week in weeks:
        found = sorted((samples / "exports" / week).glob(f"{spec.slug}.*"))
        if found:
            frames[week] = read_export(found[0], week=week).snapshot.set_index("deal_id")
    weeks = list(frames)
    model = load_stage_model(str(frames[weeks[-1]]["stage_model"].iloc[0]))
    won, lost = model.won_stage.key, tuple(s.key for s in model.lost_stages)
    position = {key: i for i, key in enumerate(model.keys)}
    advanced: dict[str, set[str]] = {}
    for before, week in itertools.pairwise(weeks):
        old, new = frames[before], frames[week]
        both = new.index.intersection(old.index)
        was, now = old.loc[both, "stage"], new.loc[both, "stage"]
        rose = now.map(position) > was.map(position)
        moved = (~was.isin([won, *lost]) & ~now.isin(lost) & rose) | ((now == won) & (was != won))
        advanced[week] = set(both[moved.to_numpy()])
    deals = pd.concat([frames[w] for w in weeks])
    deals = deals[~deals.index.duplicated(keep="last")]
    return TeamDeals(spec, weeks, frames, advanced, deals, won, lost, Week.parse(weeks[-1]).friday)


def _weekday(rng: np.random.Generator, start: datetime.date, days: int) -> datetime.date:
    """A working day at most ``days`` days after ``start`` (weekends move to Friday)."""
    day = start + datetime.timedelta(days=int(rng.integers(0, max(days, 1))))
    return day - datetime.timedelta(days=max(day.weekday() - 4, 0))


def make_activities(team: TeamDeals, rng: np.random.Generator) -> pd.DataFrame:
    """Every rep's activities of every week: ``date``, ``owner``, ``kind`` (one of
    visit/meeting/call/email/task), ``deal_id`` (an open deal of the rep that week, or
    None: the account only) and ``account``, sorted by date and rep.

    In ``north`` the rep with the fewest advances in the last four weeks logs
    ``_HIGH_FACTOR`` times the usual activities there, on their deals that did not advance.
    """
    per_week, mix = _ACTIVITY_PLAN[team.spec.slug]
    kinds, weights = list(mix), np.array(list(mix.values()))
    planted = team.quiet_rep() if team.spec.slug == HIGH_ACTIVITY_TEAM else None
    window = team.weeks[-ACTIVITY_WINDOW_WEEKS:]
    moved = team.advanced_in_window()
    all_accounts = sorted(team.deals["account"].dropna().unique())
    rows: list[tuple[object, ...]] = []
    for week in team.weeks:
        frame = team.frames[week]
        monday = Week.parse(week).monday
        open_deals = frame[team.is_open(frame)]
        for rep in team.spec.reps:
            high = rep == planted and week in window
            mine = open_deals[open_deals["owner"] == rep]
            if high:
                mine = mine[~mine.index.isin(sorted(moved))]
            accounts = sorted(frame.loc[frame["owner"] == rep, "account"].dropna().unique())
            accounts = accounts or all_accounts
            for _ in range(max(1, int(rng.poisson(per_week * (_HIGH_FACTOR if high else 1))))):
                day = _weekday(rng, monday, 5)
                kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
                if len(mine) and rng.random() < _ON_DEAL:
                    pick = int(rng.integers(len(mine)))
                    deal, account = str(mine.index[pick]), mine["account"].iloc[pick]
                else:
                    deal, account = None, accounts[int(rng.integers(len(accounts)))]
                rows.append((day, rep, kind, deal, account))
    frame = pd.DataFrame(rows, columns=["date", "owner", "kind", "deal_id", "account"])
    order = {rep: i for i, rep in enumerate(team.spec.reps)}
    frame["_rep"] = frame["owner"].map(order)
    return frame.sort_values(["date", "_rep"], kind="stable", ignore_index=True).drop(
        columns="_rep"
    )


def _segments(as_of: datetime.date) -> dict[str, tuple[datetime.date, datetime.date]]:
    """The lead periods: the quarter before (``older``), this quarter's leads old enough
    to be decided (``decided``), and the last ``OPEN_LEAD_DAYS`` days (``young``)."""
    last = Week.of(as_of)
    young = as_of - datetime.timedelta(days=OPEN_LEAD_DAYS)
    return {
        "older": ((last - 25).monday, (last - 13).sunday),
        "decided": ((last - 12).monday, young - datetime.timedelta(days=3)),
        "young": (young, as_of),
    }


def _segment_of(
    day: datetime.date, segments: dict[str, tuple[datetime.date, datetime.date]]
) -> str:
    for name, (start, end) in segments.items():
        if start <= day <= end:
            return name
    return ""


def make_leads(team: TeamDeals, rng: np.random.Generator) -> pd.DataFrame:
    """The team's leads of the last two quarters: ``created``, ``owner``, ``source``,
    ``state`` (converted / disqualified / open), ``converted_date``, ``deal_id`` (the deal
    it became), ``won`` (that deal is won), ``segment``; sorted by creation date.

    Most deals created in the period came from a lead (created 3 to 20 days before the
    deal); each source converts at 32-42% of its decided leads (30% or more), except in ``west``, where
    ``Trade Show`` converts 3 of 25 leads decided this quarter (12%, and 2 of 17 the
    quarter before). Open leads are only the young ones.
    """
    slug = team.spec.slug
    segments = _segments(team.as_of)
    sources = _LEAD_SOURCES[slug]
    planted = LOW_CONVERSION_SOURCE if slug == LOW_CONVERSION_TEAM else None
    usual = [s for s in sources if s != planted]
    rates = {s: float(rng.uniform(0.32, 0.42)) for s in sources}
    rows: list[dict[str, object]] = []
    for deal_id, deal in team.deals.sort_values("created_date", kind="stable").iterrows():
        made = pd.Timestamp(deal["created_date"]).date()
        created = made - datetime.timedelta(days=int(rng.integers(3, 21)))
        segment = _segment_of(created, segments)
        from_lead = 1.0 if planted else _FROM_LEAD
        if not segment or made > team.as_of or rng.random() >= from_lead:
            continue
        rows.append(
            {
                "created": created,
                "owner": deal["owner"],
                "source": usual[int(rng.integers(len(usual)))],
                "state": "converted",
                "converted_date": made,
                "deal_id": str(deal_id),
                "won": deal["stage"] == team.won_stage,
                "segment": segment,
            }
        )
    if planted is not None:
        _plant_source(rows, planted, rng)
    for segment in ("older", "decided"):
        for source in sources:
            converted = sum(r["source"] == source and r["segment"] == segment for r in rows)
            target = _planted_total(source, segment, planted)
            total = target if target else int(converted / rates[source])
            for _ in range(max(total - converted, 0) if converted else 0):
                rows.append(_lead(team, rng, source, "disqualified", segments[segment], segment))
    for source in sources:
        for _ in range(int(rng.poisson(3.0 if source != planted else 4.0))):
            rows.append(_lead(team, rng, source, "open", segments["young"], "young"))
    frame = pd.DataFrame(rows)
    return frame.sort_values(["created", "segment"], kind="stable", ignore_index=True)


def _plant_source(rows: list[dict[str, object]], planted: str, rng: np.random.Generator) -> None:
    """Give the planted source its few converted leads (none of them young)."""
    for segment, (converted, _) in (("decided", LOW_CONVERSION_RATE), ("older", _OLDER_LOW_RATE)):
        candidates = [i for i, r in enumerate(rows) if r["segment"] == segment]
        for i in rng.choice(candidates, size=min(converted, len(candidates)), replace=False):
            rows[int(i)]["source"] = planted


def _planted_total(source: str, segment: str, planted: str | None) -> int:
    if source != planted:
        return 0
    return (LOW_CONVERSION_RATE if segment == "decided" else _OLDER_LOW_RATE)[1]


def _lead(
    team: TeamDeals,
    rng: np.random.Generator,
    source: str,
    state: str,
    period: tuple[datetime.date, datetime.date],
    segment: str,
) -> dict[str, object]:
    start, end = period
    return {
        "created": _weekday(rng, start, (end - start).days),
        "owner": team.spec.reps[int(rng.integers(len(team.spec.reps)))],
        "source": source,
        "state": state,
        "converted_date": None,
        "deal_id": None,
        "won": False,
        "segment": segment,
    }
