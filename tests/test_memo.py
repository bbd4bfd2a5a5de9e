"""Work derived from immutable (Arrow) columns is done once per set of columns, and never
served stale: a changed column, a changed stage model file or a mutable column all lead
to a fresh computation with the right answer."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipereview.core import _memo
from pipereview.history._trail import days_in_stage
from pipereview.ingest._schema import stage_facts


def _frame(dtype: str = "str") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "snapshot_week": pd.Series(["2026-W46", "2026-W47", "2026-W47"], dtype=dtype),
            "deal_key": pd.Series(["a", "a", "b"], dtype=dtype),
            "stage": pd.Series(["initial_contact", "needs_confirmed", "won"], dtype=dtype),
            "stage_model": pd.Series(["generic_4"] * 3, dtype=dtype),
        }
    )


def test_same_columns_are_computed_once_and_a_change_is_seen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_memo, "MIN_ROWS", 0)  # remember even these three rows
    _memo.clear_caches()
    frame = _frame()
    calls: list[int] = []
    arrays = _memo.arrow_arrays(frame["stage"])

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert _memo.derived(arrays, "x", compute) == 1
    assert _memo.derived(_memo.arrow_arrays(frame[["stage"]]["stage"]), "x", compute) == 1
    frame.loc[0, "stage"] = "negotiation"  # a new array: computed again
    assert _memo.derived(_memo.arrow_arrays(frame["stage"]), "x", compute) == 2
    assert _memo.arrow_arrays(_frame(object)["stage"]) is None  # mutable: never kept
    assert _memo.derived(None, "x", compute) == 3


def test_stage_facts_and_ages_follow_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_memo, "MIN_ROWS", 0)
    _memo.clear_caches()
    frame = _frame()
    first = stage_facts(frame)
    assert first["position"].tolist() == [0, 1, 6] and stage_facts(frame).equals(first)
    frame.loc[1, "stage"] = "negotiation"
    assert stage_facts(frame)["position"].tolist() == [0, 3, 6]
    assert days_in_stage(frame, as_of="2026-W47").tolist() == [7.0, 0.0, 0.0]
    assert days_in_stage(frame, as_of="2026-W48").tolist() == [14.0, 7.0, 7.0]
    frame.loc[1, "stage"] = "initial_contact"  # deal a stays: it entered in W46
    assert days_in_stage(frame, as_of="2026-W47").tolist() == [7.0, 7.0, 0.0]
    facts = stage_facts(frame)
    facts.loc[0, "position"] = 99  # the caller's copy: the remembered facts are untouched
    assert stage_facts(frame)["position"].tolist() == [0, 0, 6]

    # a user's stage model file edited between two calls: the new probabilities are used
    model_file = tmp_path / "mine.yaml"
    text = (
        Path(__file__).resolve().parents[1]
        / "src"
        / "pipereview"
        / "templates"
        / "stage_models"
        / "generic_4.yaml"
    ).read_text(encoding="utf-8")
    model_file.write_text(text, encoding="utf-8")
    mine = _frame().assign(stage_model=pd.Series([str(model_file)] * 3, dtype="str"))
    assert stage_facts(mine)["model_probability"].tolist()[:2] == [0.10, 0.25]
    model_file.write_text(text.replace("probability: 0.10", "probability: 0.15"), encoding="utf-8")
    assert stage_facts(mine)["model_probability"].tolist()[:2] == [0.15, 0.25]


def test_small_columns_are_not_kept_and_the_budget_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    _memo.clear_caches()
    frame = _frame()
    calls: list[int] = []
    arrays = _memo.arrow_arrays(frame["stage"])
    for _ in range(2):  # three rows: quicker to redo than to remember
        _memo.derived(arrays, "small", lambda: calls.append(1))
    assert len(calls) == 2
    monkeypatch.setattr(_memo, "MIN_ROWS", 0)
    monkeypatch.setattr(_memo, "BUDGET_BYTES", 1000)
    for name in ("a", "b", "c"):  # 800 bytes each: only the latest fits
        _memo.derived(arrays, name, lambda: np.zeros(100))
    assert [key[-1] for key in _memo._entries] == ["c"]
