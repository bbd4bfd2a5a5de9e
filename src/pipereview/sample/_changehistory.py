"""The sample's weeks as each team's CRM would have recorded them: one change-history
export per team, for ``pipereview backfill`` (``pipereview demo --backfill``).

Each week's export of a team is read as ``pipereview ingest`` reads it; a field that
differs from the week before becomes a change on the Wednesday (10:00) of the week it
first shows, and a deal's first values a record at its creation. Each team's history is
written in a shape its CRM gives:

- ``north``: Salesforce's Opportunity History report (one row per change of stage,
  amount, probability or close date, with the state after it; 15-character IDs, US
  dates). It has no owner or forecast category: a backfill carries them;
- ``west``: HubSpot property history (internal property names and stage IDs);
- ``huadong`` and ``dach``: the generic long format (``deal_id``, ``field``,
  ``old_value``, ``new_value``, ``changed_at``) with the CRM's stage names.

>>> from pipereview.sample import generate_samples
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = generate_samples(folder, n_weeks=2, scale=0.2)
>>> [p.name for p in write_change_histories(folder)]
['dach-history.csv', 'huadong-history.csv', 'north-history.csv', 'west-history.csv']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipereview.core._stages import load_stage_model
from pipereview.core._weeks import Week
from pipereview.ingest import read_export
from pipereview.sample._writers import write_csv

__all__ = ["HISTORY_FOLDER", "write_change_histories"]

#: Where a sample set's history exports go, beside ``exports/``.
HISTORY_FOLDER = "history"
_FIELDS = ("stage", "amount", "close_date", "probability", "forecast_category", "owner")
_HUBSPOT_PROPERTIES = {
    "stage": "dealstage",
    "amount": "amount",
    "close_date": "closedate",
    "probability": "hs_deal_stage_probability",
    "forecast_category": "hs_forecast_category",
}
_REPORT_FIELDS = ("stage", "amount", "probability", "close_date")
_CATEGORY_LABELS = {
    "commit": "Commit",
    "best_case": "Best Case",
    "pipeline": "Pipeline",
    "omitted": "Omitted",
    "closed": "Closed",
}


def write_change_histories(samples: Path) -> list[Path]:
    """Write one history export per team of the sample set in ``samples`` (its
    ``exports/<week>/<team file>``) to ``samples/history/``; return their paths, sorted."""
    weeks = sorted(p.name for p in (samples / "exports").iterdir() if p.is_dir())
    files = sorted(p.name for p in (samples / "exports" / weeks[-1]).iterdir())
    out = samples / HISTORY_FOLDER
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in files:
        frames = {}
        for week in weeks:
            path = samples / "exports" / week / name
            if path.exists():
                frames[week] = read_export(path, week=week).snapshot.set_index("deal_id")
        changes = _changes(frames)
        slug = Path(name).stem
        writer = {"north": _salesforce_report, "west": _hubspot}.get(slug, _generic)
        target = out / f"{slug}-history.csv"
        write_csv(writer(changes, frames[weeks[-1]]), target, "utf-8")
        written.append(target)
    return sorted(written)


def _changes(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per deal and field whose value differs from the week before (the first
    values at the deal's creation), canonical values."""
    rows: list[tuple[object, ...]] = []
    previous: pd.DataFrame | None = None
    for week, frame in frames.items():
        when = pd.Timestamp(Week.parse(week).monday) + pd.Timedelta(days=2, hours=10)
        first = frame.index if previous is None else frame.index.difference(previous.index)
        for deal in first:
            at = min(when, frame.loc[deal, "created_date"] + pd.Timedelta(hours=9))
            rows += [(deal, f, None, frame.loc[deal, f], at) for f in _FIELDS]
        if previous is not None:
            both = frame.index.intersection(previous.index)
            for name in _FIELDS:
                old, new = previous.loc[both, name], frame.loc[both, name]
                moved = ~((old == new) | (old.isna() & new.isna()))
                rows += [(d, name, old[d], new[d], when) for d in both[moved.to_numpy()]]
        previous = frame
    log = pd.DataFrame(rows, columns=["deal_id", "field", "old", "new", "changed_at"])
    return log.sort_values(["deal_id", "changed_at"], kind="stable", ignore_index=True)


def _label(model: str, key: object) -> str:
    stage = load_stage_model(model).stage(str(key))
    return stage.aliases[0] if stage.aliases else stage.label_in("en")


def _text(name: str, value: object, model: str) -> str:
    """A canonical value as the CRM writes it (stage names, amounts, ISO dates, percent)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return ""
    if name == "stage":
        return _label(model, value)
    if name == "close_date":
        return pd.Timestamp(str(value)).date().isoformat()
    if name == "amount":
        return f"{float(str(value)):.2f}"
    if name == "probability":
        return f"{round(float(str(value)) * 100)}"
    return str(value)


def _generic(changes: pd.DataFrame, last: pd.DataFrame) -> dict[str, np.ndarray]:
    model = str(last["stage_model"].iloc[0])
    return {
        "deal_id": changes["deal_id"].to_numpy(),
        "field": changes["field"].to_numpy(),
        "old_value": np.array(
            [_text(f, v, model) for f, v in zip(changes["field"], changes["old"], strict=True)]
        ),
        "new_value": np.array(
            [_text(f, v, model) for f, v in zip(changes["field"], changes["new"], strict=True)]
        ),
        "changed_at": changes["changed_at"].dt.strftime("%Y-%m-%d %H:%M").to_numpy(),
    }


def _hubspot(changes: pd.DataFrame, last: pd.DataFrame) -> dict[str, np.ndarray]:
    """HubSpot property history: internal names, stage IDs (the model's aliases[1])."""
    kept = changes[changes["field"].isin(list(_HUBSPOT_PROPERTIES))]
    model = load_stage_model(str(last["stage_model"].iloc[0]))

    def value(name: str, raw: object) -> str:
        if name == "stage" and isinstance(raw, str):
            aliases = model.stage(raw).aliases
            return aliases[1] if len(aliases) > 1 else aliases[0]
        if name == "probability" and _text(name, raw, model.name):
            return f"{float(str(raw)):.2f}"
        return _text(name, raw, model.name)

    pairs = zip(kept["field"], kept["old"], kept["new"], strict=True)
    old, new = zip(*[(value(f, o), value(f, n)) for f, o, n in pairs], strict=True) or ((), ())
    return {
        "Record ID": kept["deal_id"].to_numpy(),
        "Property": kept["field"].map(_HUBSPOT_PROPERTIES).to_numpy(),
        "Old Value": np.array(old),
        "Value": np.array(new),
        "Timestamp": kept["changed_at"].dt.strftime("%Y-%m-%dT%H:%M:%S.000Z").to_numpy(),
    }


def _salesforce_report(changes: pd.DataFrame, last: pd.DataFrame) -> dict[str, np.ndarray]:
    """The Opportunity History report: per deal and change time, the state after it."""
    model = str(last["stage_model"].iloc[0])
    kept = changes[changes["field"].isin(_REPORT_FIELDS)]
    owners, names = last["owner"].to_dict(), last["deal_name"].to_dict()
    rows: list[dict[str, str]] = []
    for deal, part in kept.groupby("deal_id", sort=True):
        state: dict[str, object] = {}
        before = ""
        for at, moment in part.groupby("changed_at", sort=True):
            state.update(zip(moment["field"], moment["new"], strict=True))
            stage = _text("stage", state.get("stage"), model)
            rows.append(
                {
                    "Opportunity Owner": str(owners.get(deal, "")),
                    "Opportunity Name": str(names.get(deal, "")),
                    "Opportunity ID": str(deal)[:15],
                    "From Stage": before,
                    "To Stage": stage,
                    "Amount": f"{float(str(state.get('amount') or 0)):,.2f}",
                    "Probability (%)": _text("probability", state.get("probability"), model) + "%",
                    "Close Date": _us_date(state.get("close_date")),
                    "Last Modified": _us_date(at, time=True),
                }
            )
            before = stage
    frame = pd.DataFrame(rows)
    return {c: frame[c].to_numpy() for c in frame.columns}


def _us_date(value: object, *, time: bool = False) -> str:
    """A date as a US Salesforce report prints it: 3/2/2026, or 3/2/2026 9:15 AM."""
    stamp = pd.Timestamp(str(value))
    text = f"{stamp.month}/{stamp.day}/{stamp.year}"
    if time:
        text += f" {stamp.hour % 12 or 12}:{stamp.minute:02d} {'AM' if stamp.hour < 12 else 'PM'}"
    return text
