from __future__ import annotations

from pathlib import Path

import pytest

from pipereview.core._errors import StageModelError
from pipereview.core._stages import EVIDENCE_FIELDS, load_stage_model, stage_model_names


def test_shipped_models() -> None:
    assert stage_model_names() == ["generic_4", "hubspot", "industrial_b2b", "salesforce"]
    b2b = load_stage_model("industrial_b2b")
    assert b2b.open_stages[0].label["zh"] == "收集信息与商机评估"
    assert len(b2b.open_stages) == 5 and b2b.won_stage.key == "won"
    sf = load_stage_model("salesforce")
    assert [s.aliases[0] for s in sf.stages][:3] == [
        "Prospecting",
        "Qualification",
        "Needs Analysis",
    ]
    assert sf.stage("negotiation").probability == pytest.approx(0.9)
    assert load_stage_model("hubspot").stage_key("closedwon") == "won"


@pytest.mark.parametrize("name", ["generic_4", "hubspot", "industrial_b2b", "salesforce"])
def test_every_model_is_complete(name: str) -> None:
    model = load_stage_model(name)
    for stage in model.stages:
        assert stage.label.get("zh") and stage.label.get("en"), stage.key
        assert model.stage_key(stage.key) == stage.key
        for alias in stage.aliases:
            assert model.stage_key(alias) == stage.key
    for stage in model.open_stages:
        assert stage.typical_days and stage.exit_criteria, stage.key
        assert {c.field for c in stage.exit_criteria} <= set(EVIDENCE_FIELDS)


def test_alias_matching_folds_case_width_and_spaces() -> None:
    model = load_stage_model("generic_4")
    assert model.stage_key("  ＤＥＶＥＬＯＰ ") == "needs_confirmed"
    assert model.stage_key("closed   won") == "won"
    assert model.stage_key("Negotiating") is None


BASE = """
name: mine
label: {en: Mine, zh: 我的}
stages:
  - {key: a, label: {en: A, zh: 甲}, probability: 0.2, typical_days: 5, aliases: [Alpha]}
  - {key: b, label: {en: B, zh: 乙}, probability: 0.5, typical_days: 5, aliases: [Beta]}
  - {key: won, label: {en: Won, zh: 赢}, probability: 1.0, outcome: won}
  - {key: lost, label: {en: Lost, zh: 输}, probability: 0.0, outcome: lost}
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("Beta]", "Alpha]"), "alias 'alpha' belongs to both 'a' and 'b'"),
        (("probability: 0.5", "probability: 0.1"), "must not decrease"),
        (("outcome: lost", "outcome: won"), "exactly one stage needs 'outcome: won'"),
        (("key: b,", "key: a,"), "repeated: ['a']"),
        (("probability: 0.2", "probability: 2"), "less than or equal to 1"),
    ],
)
def test_broken_models_are_refused_with_the_rule(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(BASE.replace(*change, 1), encoding="utf-8")
    with pytest.raises(StageModelError) as info:
        load_stage_model(path)
    assert message in str(info.value) and "mine.yaml" in str(info.value)


def test_user_model_loads(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(BASE, encoding="utf-8")
    model = load_stage_model(path)
    assert model.keys == ("a", "b", "won", "lost")
    assert model.stage_key("甲") == "a"
    with pytest.raises(StageModelError, match="known: generic_4"):
        load_stage_model("nosuch")
