"""One large export for benchmarks: any column map, any number of rows, vectorised."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pipereview.core._errors import InputError
from pipereview.core._stages import (
    EVIDENCE_FIELDS,
    EVIDENCE_TEXT_FIELDS,
    StageModel,
    load_stage_model,
)
from pipereview.core._weeks import Week
from pipereview.ingest._columnmaps import load_column_map
from pipereview.sample._dates import Date
from pipereview.sample._deal import CLOSED_DAYS_KEPT, incidental_evidence
from pipereview.sample._formats import Columns, Dialect, dialect_of, plain_csv, to_export
from pipereview.sample._history import PRODUCT_LINES
from pipereview.sample._ids import make_ids
from pipereview.sample._process import Process, forecast, stock_weights
from pipereview.sample._simulate import AMOUNT_STYLE_WEIGHTS, LONG_DATE_SHARE, WORK_MINUTES
from pipereview.sample._teams import POOLS, all_accounts, deal_name, loss_reasons
from pipereview.sample._writers import write_csv

__all__ = ["generate_large_export"]


def generate_large_export(
    path: Path,
    *,
    rows: int,
    seed: int = 2026,
    column_map: str = "salesforce_dataloader",
    week: str = "2026-W47",
) -> Path:
    """Write one CSV export of ``rows`` deals (open and recently closed) for benchmarks.

    Headers are the column map's first name per field; values follow that CRM's
    conventions. Vectorised: a million rows (about 280 MB) take about 15 s on two cores.

    >>> import tempfile
    >>> p = generate_large_export(Path(tempfile.mkdtemp()) / "x.csv", rows=3, column_map="hubspot")
    >>> p.read_text(encoding="utf-8").splitlines()[0].split(",")[:2]
    ['Record ID', 'Deal Name']
    """
    if rows < 0:
        raise InputError(
            f"rows must be >= 0, got {rows}",
            expected="a whole number >= 0",
            hint="pass the number of deals to write, e.g. rows=100_000",
        )
    path = Path(path)
    cmap = load_column_map(column_map)
    model = load_stage_model(cmap.stage_model)
    dialect = dialect_of(cmap)
    if dialect.file == "xlsx":
        dialect = plain_csv(dialect, cmap.date_format)
    rng = np.random.default_rng(seed)
    frame = _large_frame(rows, rng, model, dialect, Week.parse(week).friday)
    write_csv(to_export(frame, cmap, model, dialect), path, dialect.encoding)
    return path


def _large_frame(
    n: int, rng: np.random.Generator, model: StageModel, dialect: Dialect, friday: Date
) -> Columns:
    p = Process.of(model, 1.0, None)
    k = len(p.keys)
    locale = "zh" if dialect.lang == "zh" else "de" if dialect.currency == "EUR" else "us"
    pool = POOLS[locale]
    weights = np.concatenate([0.8 * stock_weights(k), [0.08, 0.12]])
    state = rng.choice(k + 2, size=n, p=weights)  # open stage index, then won, lost
    closed = state >= k
    day = np.datetime64(friday, "D")
    close = np.where(
        closed, day - rng.integers(0, CLOSED_DAYS_KEPT, n), day + rng.integers(-20, 240, n)
    )
    created = np.minimum(day - rng.gamma(2.0, 60.0, n).astype(np.int64) - 1, close - 7)
    activity = np.where(closed, close, np.maximum(created, day - rng.geometric(0.15, n) + 1))
    minutes = rng.integers(*WORK_MINUTES, n)
    people = np.array(
        [f"{a} {b}" if locale != "zh" else f"{b}{a}" for a in pool["first"] for b in pool["last"]]
    )
    teams = np.array(
        ["华东", "华南", "华北", "华中", "西南", "东北"]
        if locale == "zh"
        else ["North", "South", "East", "West", "Central", "Enterprise"]
    )
    accounts = np.array(all_accounts(locale))  # deal names: a pool per (account, product)
    products = pool["product"]
    deal_names = np.array([deal_name(locale, a, prod) for a in accounts for prod in products])
    which = rng.integers(len(accounts), size=n)
    product = rng.integers(len(products), size=n)
    counters = 100_000 + np.cumsum(rng.integers(1, 40, n))
    keys = np.array([*p.keys, p.won, p.lost])
    probability = np.array([*p.probability, 1.0, 0.0])[state]
    next_steps = np.array([*pool["next"], ""])
    step = np.where(
        closed | (rng.random(n) < 0.25), len(pool["next"]), rng.integers(len(pool["next"]), size=n)
    )
    # how far each deal got: its open stage; won deals past every stage; lost ones midway
    position = np.where(state == k + 1, k // 2, np.minimum(state, k))
    frame: Columns = {
        "deal_id": make_ids(dialect.id_style, rng, counters, friday.year),
        "deal_name": deal_names[which * len(products) + product],
        "account": accounts[which],
        "team": teams[rng.integers(len(teams), size=n)],
        "owner": people[rng.integers(len(people), size=n)],
        "stage": keys[state],
        "amount": np.maximum(100.0, np.round(_median(locale) * rng.lognormal(0, 0.8, n), -2)),
        "currency": np.full(n, dialect.currency),
        "close_date": close.astype("M8[m]"),
        "created_date": created.astype("M8[m]") + minutes.astype("m8[m]"),
        "last_activity_date": activity.astype("M8[m]") + minutes.astype("m8[m]"),
        "next_step": next_steps[step],
        "probability": probability,
        "_amount_style": rng.choice(len(AMOUNT_STYLE_WEIGHTS), size=n, p=AMOUNT_STYLE_WEIGHTS),
        "_date_style": (rng.random(n) < LONG_DATE_SHARE).astype(np.int64),
        "_seq": counters,
        "_open_stage": np.array(p.keys)[np.where(state == k, k - 1, position)],
    }
    frame["forecast_category"] = forecast(frame["stage"], frame["probability"], p)
    frame["loss_reason"] = _loss_column(locale, counters, state == k + 1)
    frame["product_line"], frame["account_potential"] = _line_and_potential(
        locale, products, product, len(accounts), which
    )
    # the first stage each field is needed at (the earliest index wins)
    first_needed = {f: i for i, fields in reversed(list(enumerate(p.criteria))) for f in fields}
    progress = position / max(k - 1, 1)
    texts = {"decision_maker": people, "coach": people, "competitor": np.array(pool["competitor"])}
    for f in EVIDENCE_FIELDS:
        if f in first_needed:
            needed = first_needed[f]
            chance = np.select([position > needed, position == needed], [0.88, 0.4], 0.06)
        else:
            chance = incidental_evidence(np.minimum(progress, 1.0))
        met = rng.random(n) < chance
        if f in EVIDENCE_TEXT_FIELDS:
            names = texts[f]
            frame[f] = np.where(met, names[rng.integers(len(names), size=n)], "")
        else:
            frame[f] = met
    return frame


def _line_and_potential(
    locale: str, products: Sequence[str], product: np.ndarray, accounts: int, which: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each deal's product line (its project's line) and its account's potential: 4 to 20
    median deals, the same on every deal of the account."""
    line_of = {item: line for line, items in PRODUCT_LINES[locale].items() for item in items}
    lines = np.array([line_of[item] for item in products])[product]
    potential = np.round(_median(locale) * (4 + np.arange(accounts) * 37 % 17), -2)
    return lines, potential[which]


def _loss_column(locale: str, counters: np.ndarray, lost: np.ndarray) -> np.ndarray:
    """The lost deals' reasons (:func:`~pipereview.sample._teams.loss_reasons`, the
    competitor picked by counter), blank for the other deals."""
    rivals = np.array(POOLS[locale]["competitor"], dtype=object)
    column = np.full(len(counters), "", dtype=object)
    picked = counters[lost]
    column[lost] = loss_reasons(locale, picked, rivals[picked % len(rivals)])
    return column


def _median(locale: str) -> float:
    return {"zh": 650_000.0, "de": 58_000.0}.get(locale, 40_000.0)
