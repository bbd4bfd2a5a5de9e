"""The rules run together as they run alone: ``coaching_findings`` computes a figure several
rules read once per run and frames every rule's findings at once; its findings equal each
rule's own ``run`` (its figures computed afresh), concatenated and ranked, on the sample
data and on small odd shapes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipereview.coaching import (
    WeekDiagnostics,
    coaching_findings,
    findings_frame,
    get_rule,
    rank_findings,
    rule_names,
)
from pipereview.coaching._rulekit import (
    DEAL_COLUMNS,
    deal_rows,
    evidence_records,
    one_run,
    shared_figure,
)
from pipereview.diagnostics._targets import load_targets
from pipereview.history._store import SnapshotStore
from pipereview.history._trail import with_deal_keys

ROOT = Path(__file__).resolve().parents[1]
W46, W47 = "2026-W46", "2026-W47"


def each_rule_alone(context: WeekDiagnostics) -> pd.DataFrame:
    """The findings of every rule run by itself, concatenated and ranked."""
    frames = [get_rule(name).run(context) for name in rule_names()]
    found = pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
    return rank_findings(found)


def assert_same_findings(context: WeekDiagnostics) -> pd.DataFrame:
    together = coaching_findings(context)
    alone = each_rule_alone(context)
    pd.testing.assert_frame_equal(together, alone)
    assert together["evidence"].tolist() == alone["evidence"].tolist()
    return together


def deal(week: str, deal_id: str, owner: str, stage: str, **values: object) -> dict:
    row: dict[str, object] = {
        "snapshot_week": week,
        "team": "T",
        "deal_id": deal_id,
        "deal_name": f"Deal {deal_id}",
        "owner": owner,
        "stage": stage,
        "stage_model": "generic_4",
        "amount": 1000.0,
        "currency": "EUR",
        "close_date": pd.Timestamp("2026-12-31"),
    }
    row.update(values)
    return row


def test_the_sample_teams_findings_are_the_rules_own(sample_store: Path) -> None:
    history = with_deal_keys(SnapshotStore(sample_store).history())
    targets = load_targets(ROOT / "data" / "samples" / "targets.csv")
    found = assert_same_findings(WeekDiagnostics(history, as_of=W47, targets=targets))
    assert found["rule"].nunique() > 10  # most rules find something in the sample


def test_one_rep_at_one_stage_without_closed_deals_or_accounts() -> None:
    rows = [deal(w, d, "Ann", "initial_contact") for w in (W46, W47) for d in "abc"]
    assert_same_findings(WeekDiagnostics(pd.DataFrame(rows), as_of=W47))


def test_reps_with_wins_losses_pushes_and_blank_contacts() -> None:
    won, lost = pd.Timestamp("2026-11-10"), pd.Timestamp("2026-11-12")
    rows = [
        deal(W46, "a", "Ann", "initial_contact", account="Acme", decision_maker=None),
        deal(W47, "a", "Ann", "needs_confirmed", account="Acme", decision_maker=""),
        deal(W46, "b", "Ann", "negotiation", amount=9000.0, decision_maker="Li"),
        deal(W47, "b", "Ann", "won", amount=9000.0, close_date=won, decision_maker="Li"),
        deal(W46, "c", "Bo", "solution_quote", close_date=pd.Timestamp("2026-10-01")),
        deal(W47, "c", "Bo", "solution_quote", close_date=pd.Timestamp("2026-10-30")),
        *(deal(W47, f"l{i}", "Bo", "lost", close_date=lost, loss_reason="price") for i in "123"),
        deal(W47, "d", "Cy", "negotiation", amount=50000.0, account=None, decision_maker="Wu"),
        deal(W47, "g", "Di", "lost", close_date=lost),
        deal(W47, "e", "Cy", "initial_contact", amount=10.0),
        deal(W47, "f", "Cy", "initial_contact", amount=10.0, currency=None),
    ]
    targets = pd.DataFrame(
        {
            "team": "T",
            "owner": ["", "Ann", "Bo", "Cy", "Di"],
            "period": "2026-Q4",
            "amount": [40000.0, 10000.0, 10000.0, 10000.0, 10000.0],
            "currency": "EUR",
        }
    )
    assert_same_findings(WeekDiagnostics(pd.DataFrame(rows), as_of=W47, targets=targets))


def test_a_shared_figure_is_computed_once_per_context_in_a_run() -> None:
    calls: list[object] = []

    @shared_figure
    def figure(context: object) -> int:
        calls.append(context)
        if context == "broken":
            raise ValueError("no figure")
        return len(calls)

    with one_run():
        assert [figure("a"), figure("a"), figure("b"), figure("a")] == [1, 1, 2, 1]
        for _ in range(2):  # a figure that failed is not kept: it fails again
            with pytest.raises(ValueError, match="no figure"):
                figure("broken")
    assert calls == ["a", "b", "broken", "broken"]
    assert figure("a") == 5 and figure("a") == 6  # outside a run: on every call


def main_reasons_by_grouping(closed: pd.DataFrame, reps: pd.DataFrame) -> list[str]:
    """The most frequent loss reason of each rep, the plain pandas way."""
    lost = closed[closed["lost"]]
    reasons = pd.Series(dtype="str")
    if "loss_reason" in lost and lost["loss_reason"].notna().any():
        named = lost[lost["loss_reason"].astype("str").str.strip().ne("")]
        reasons = (
            named.dropna(subset=["loss_reason"])
            .groupby(["team", "owner"])["loss_reason"]
            .agg(lambda r: r.value_counts().sort_index().idxmax())
        )
    index = pd.MultiIndex.from_frame(reps[["team", "owner"]])
    return list(reasons.reindex(index).fillna("").to_numpy())


@pytest.mark.parametrize(
    "reasons",
    [
        ["price", "budget", "price"],
        ["price", "budget"],  # a tie: the first in sort order
        ["价格", "预算", "预算", "价格", "时间"],
        [" ", None, "timing"],  # blank and missing reasons are no reason
        [" ", None, float("nan")],
        ["Price", "price", " price"],  # counted as written
    ],
)
def test_the_main_loss_reason_is_the_grouped_one(reasons: list[object]) -> None:
    from pipereview.coaching.rules_outcomes import _main_reasons

    n = len(reasons)
    closed = pd.DataFrame(
        {
            "team": ["T"] * n + ["U", "T"],
            "owner": ["Ann"] * n + ["Ann", "Bo"],
            "lost": [True] * n + [True, False],
            "loss_reason": [*reasons, "scope", "won anyway"],
        }
    )
    reps = pd.DataFrame({"team": ["T", "U", "T", "V"], "owner": ["Ann", "Ann", "Bo", "Cy"]})
    assert _main_reasons(closed, reps) == main_reasons_by_grouping(closed, reps)
    without = closed.drop(columns=["loss_reason"])
    assert _main_reasons(without, reps) == ["", "", "", ""]


def records_by_pandas(frame: pd.DataFrame, columns: list[str], **constants: object) -> list:
    """Evidence records the plain pandas way: ``to_dict("records")``, numpy scalars made
    plain Python."""
    return [
        {
            **{str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()},
            **constants,
        }
        for r in frame[columns].to_dict("records")
    ]


EVIDENCE = pd.DataFrame(
    {
        "count": np.array([3, 0, 7], dtype=np.int64),
        "share": [0.25, float("nan"), 1.0],
        "stage": pd.array(["需求确认", None, "won"], dtype="str"),
        "late": [True, False, True],
        "missing": [("budget", "timeline"), (), ("coach",)],
        "close": pd.to_datetime(["2026-11-20", None, "2026-12-31"]),
        "open": pd.array([1, None, 2], dtype="Int64"),
        "source": pd.Categorical(["web", "fair", "web"]),
        "ratio": np.array([0.5, 2.0, 1.5], dtype=np.float32),
        "note": [None, "x", 1.5],
        "mixed": [np.datetime64("2026-11-20"), pd.NA, np.timedelta64(3, "D")],
        "flag": pd.array([True, None, False], dtype="boolean"),
        "name": pd.array(["Ann", None, "Bo"], dtype="string"),
    }
)


@pytest.mark.parametrize(
    "columns",
    [list(EVIDENCE.columns), ["stage", "close"], []],
)
@pytest.mark.parametrize("rows", [slice(None), slice(0, 0), slice(1, 2)])
def test_evidence_records_are_pandas_own_records(columns: list[str], rows: slice) -> None:
    frame = EVIDENCE.iloc[rows]
    ours = evidence_records(frame, columns, limit=30)
    plain = records_by_pandas(frame, columns, limit=30)
    assert [[(k, type(v), repr(v)) for k, v in r.items()] for r in ours] == [
        [(k, type(v), repr(v)) for k, v in r.items()] for r in plain
    ]


def test_evidence_records_of_a_column_named_twice_warn_as_pandas_does() -> None:
    with pytest.warns(UserWarning, match="not unique"):
        ours = evidence_records(EVIDENCE, ["count", "count"])
    with pytest.warns(UserWarning, match="not unique"):
        assert ours == records_by_pandas(EVIDENCE, ["count", "count"])


def test_evidence_records_name_a_missing_column_as_pandas_does() -> None:
    with pytest.raises(KeyError, match="absent"):
        evidence_records(EVIDENCE, ["count", "absent"])


@pytest.mark.parametrize("kind", ["risk", "strength"])
def test_a_rule_that_finds_nothing_gives_the_columns_of_one_that_does(kind: str) -> None:
    rows = pd.DataFrame(
        {
            "team": ["T"],
            "owner": ["Ann"],
            "value": ["45"],
            "severity": pd.array([2], dtype=object),
            "evidence": [{"days": 45}],
        }
    )
    some = findings_frame(rows, rule="r", kind=kind, coaching="skill", scope="rep")  # type: ignore[arg-type]
    none = findings_frame(rows.iloc[0:0], rule="r", kind=kind, coaching="skill", scope="rep")  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(none, some.iloc[0:0])


def deal_rows_column_by_column(frame: pd.DataFrame, **columns: object) -> pd.DataFrame:
    """:func:`deal_rows` the plain way: the identity columns, then each field set in turn."""
    out = frame[[c for c in DEAL_COLUMNS if c in frame]].reset_index(drop=True)
    for name, value in columns.items():
        out[name] = value.to_numpy() if isinstance(value, pd.Series) else value
    return out


DEALS = pd.DataFrame(
    {
        "amount": [10.0, 20.0, float("nan")],
        "owner": ["Ann", None, "Bo"],
        "team": pd.Categorical(["T", "T", "U"]),
        "deal_key": ["D1", "D2", "D3"],
        "stage": pd.array(["需求确认", "won", None], dtype="str"),
        "close_date": pd.to_datetime(["2026-11-20", None, "2026-12-31"]),
    },
    index=[7, 3, 5],
)


@pytest.mark.parametrize("rows", [slice(None), slice(0, 0), slice(1, 3)])
@pytest.mark.parametrize("identity", [["team", "owner", "deal_key", "stage"], ["team"], []])
def test_deal_rows_are_the_frame_built_column_by_column(rows: slice, identity: list[str]) -> None:
    frame = DEALS.iloc[rows][[*identity, "amount"]]
    fields = {
        "metric": "amount",
        "value": frame["amount"] * 2,
        "reference": 5.0,
        "severity": np.ones(len(frame), dtype=np.int64),
        "stage": "negotiation",  # a field named as an identity column replaces it
        "evidence": [{"n": i} for i in range(len(frame))],
    }
    ours = deal_rows(frame, **fields)
    pd.testing.assert_frame_equal(ours, deal_rows_column_by_column(frame, **fields))
