"""Every value of a configuration file is checked against its setting's type.

A matrix over every setting of every section (and every coaching-rule threshold): each
built with values of the wrong type must be refused with a :class:`ConfigError` naming the
file, the key path, the type expected and the value found; never accepted, never an
internal error. A property test feeds arbitrary YAML values: either the configuration
holds a value of the declared type, or it is refused by key path.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from _budget import examples
from pipereview.cli import app
from pipereview.coaching.registry import get_rule, rule_names
from pipereview.config import SECTIONS, Config, as_config, load_config
from pipereview.core._errors import ConfigError
from pipereview.ingest._limits import ReadLimits

#: values of the wrong type for a setting of each type
WRONG: dict[Any, list[Any]] = {
    bool: ["no", "yes", "false", 0, 1, 1.0, None, [True]],
    int: ["30", 2.5, True, -1, None, [3], {"a": 1}, math.inf],
    float: ["0.5", True, -0.25, math.nan, math.inf, None, [0.5], {"a": 1}],
    str: [5, True, 1.5, [1], {"a": "b"}],
    Mapping[str, float]: ["0.6", 0.6, True, None, [0.6], {"a": 60}, {"a": -0.1}, {"a": "x"}],
    Mapping[str, int]: ["21", 21, True, None, [21], {"a": 2.5}, {"a": 0}, {"a": True}],
    # plan.season_profile (read only with season: profile, 12 weights)
    tuple[float, ...]: ["6", 6, True, [1] * 11, [-1] * 12, ["x"] * 12, [0] * 12, {"a": 1}],
}


def _leaves(settings_class: type[Any], path: str) -> list[tuple[str, Any]]:
    """Every setting below ``path`` as (key path, declared type)."""
    out = []
    for name, hint in typing.get_type_hints(settings_class).items():
        if dataclasses.is_dataclass(hint):
            out += _leaves(hint, f"{path}.{name}")  # type: ignore[arg-type]
        else:
            out.append((f"{path}.{name}", hint))
    return out


def _wrong_values(hint: Any) -> list[Any]:
    if hint in WRONG:
        return WRONG[hint]
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return ["nonsense", True, 3, None, list(typing.get_args(hint))]
    if origin is frozenset:  # of dates
        return ["2026-12-25", ["2026-13-45"], [5], 12, {"a": 1}]
    raise AssertionError(f"no wrong values for {hint}")


SECTION_FIELDS = [
    (key, hint) for section, cls in SECTIONS.items() for key, hint in _leaves(cls, section)
]
TOP_FIELDS: list[tuple[str, list[Any]]] = [
    ("lang", ["fr", True, 1, ["en"]]),
    ("stage_model", [5, True, ["salesforce"], {"a": 1}]),
    ("templates", [5, True, {"a": 1}, [1, 2]]),
    ("charts", [5, True, {"a": 1}, [1]]),
    ("follow_up_days", ["30", 2.5, True, -1, 0, None]),
    ("window_weeks", ["8", 2.5, False, -3, 0, None]),
    ("cohort_weeks", ["13", 13.5, True, -13, 0, None]),
    ("coaching_items", ["5", 2.5, True, -1, 0, None]),
    ("coaching_pattern_deals", ["3", 2.5, True, -1, 0, 1, None]),
    ("holidays", [5, True, {"a": 1}, ["2026-13-01"], ["christmas"], [5]]),
    ("disabled", ["no_coach", 5, [5]]),
    (
        "crm_url",
        [
            5,
            ["https://crm.example/{deal_id}"],
            "crm.example/{deal_id}",
            "javascript:alert(1)//{deal_id}",
            "https://crm.example/opportunity",
            "https://crm.example/{deal_id}/{owner}",
            "https://crm.example/{deal_id",
        ],
    ),
]
RULE_FIELDS = [
    (f"rules.{name}.{key}", type(default))
    for name in rule_names()
    for key, default in get_rule(name).defaults.items()
] + [(f"rules.{name}.enabled", bool) for name in rule_names()]


def _nested(key: str, value: Any) -> dict[str, Any]:
    data: Any = value
    for part in reversed(key.split(".")):
        data = {part: data}
    return dict(data)


def _refused(tmp_path: Path, key: str, value: Any) -> ConfigError:
    file = tmp_path / "pipereview.yaml"
    file.write_text(yaml.safe_dump(_nested(key, value)), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(file)
    return caught.value


def test_the_matrix_covers_every_setting() -> None:
    covered = {key.split(".")[0] for key, _ in SECTION_FIELDS}
    assert covered == set(SECTIONS)
    top = {f.name for f in dataclasses.fields(Config)} - set(SECTIONS) - {"rules"}
    assert top | {"disabled"} == {key for key, _ in TOP_FIELDS}
    assert "limits.max_rows" in dict(SECTION_FIELDS)
    assert "risk.use_team_p75" in dict(SECTION_FIELDS)
    assert len(RULE_FIELDS) > len(rule_names())


@pytest.mark.parametrize(
    ("key", "hint"), SECTION_FIELDS + RULE_FIELDS, ids=[k for k, _ in SECTION_FIELDS + RULE_FIELDS]
)
def test_a_wrong_typed_setting_is_refused_by_key_path(tmp_path: Path, key: str, hint: Any) -> None:
    for value in _wrong_values(hint):
        error = _refused(tmp_path, key, value)
        message = error.message
        assert str(tmp_path / "pipereview.yaml") in message
        assert key in message or key.rpartition(".")[0] in message, message
        assert error.file == str(tmp_path / "pipereview.yaml")
        if "must be" in message:  # the type check (the class's own range check otherwise)
            assert "got " in message and error.hint


@pytest.mark.parametrize(("key", "values"), TOP_FIELDS, ids=[k for k, _ in TOP_FIELDS])
def test_a_wrong_typed_top_level_setting_is_refused(
    tmp_path: Path, key: str, values: list[Any]
) -> None:
    for value in values:
        error = _refused(tmp_path, key, value)
        assert str(tmp_path / "pipereview.yaml") in error.message
        assert key in error.message or "coaching rule" in error.message, error.message


def test_the_message_says_what_was_expected_and_found(tmp_path: Path) -> None:
    error = _refused(tmp_path, "risk.use_team_p75", "no")
    assert error.message == (
        f"{tmp_path / 'pipereview.yaml'}: risk.use_team_p75 must be "
        "true or false, got 'no' (a text)"
    )
    assert error.expected == "true or false"
    assert "risk.use_team_p75 as true or false (e.g. true)" in error.hint
    error = _refused(tmp_path, "plan.holidays", ["2026-12-25", "Christmas"])
    assert "plan.holidays[1] must be a date such as 2026-12-25, got 'Christmas'" in error.message
    error = _refused(tmp_path, "limits.max_cell_bytes", "128KB")
    assert "limits.max_cell_bytes must be a whole number >= 0, got '128KB'" in error.message


def test_right_typed_values_are_taken_as_their_type(tmp_path: Path) -> None:
    file = tmp_path / "pipereview.yaml"
    file.write_text(
        "risk: {use_team_p75: false, stalled_days: 21}\n"
        "matching: {threshold: 1}\n"
        "plan: {holidays: [2026-12-25, '2027-01-01']}\n"
        "limits: {max_rows: 50000, max_cell_bytes: 65536}\n"
        "charts: waterfall\n"
        "rules: {deal_concentration: {max_share: 1, min_deals: 4.0}}\n",
        encoding="utf-8",
    )
    config = load_config(file)
    assert config.risk.use_team_p75 is False and config.risk.stalled_days == 21
    assert config.matching.threshold == 1.0 and isinstance(config.matching.threshold, float)
    assert config.plan.holidays == frozenset({dt.date(2026, 12, 25), dt.date(2027, 1, 1)})
    assert config.limits == ReadLimits(max_rows=50_000, max_cell_bytes=65_536)
    assert config.charts == ("waterfall",)
    assert config.rule_settings() == {"deal_concentration": {"max_share": 1.0, "min_deals": 4}}


def test_the_cli_refuses_a_wrong_typed_configuration_with_exit_1(tmp_path: Path) -> None:
    file = tmp_path / "pipereview.yaml"
    file.write_text('risk:\n  use_team_p75: "no"\n', encoding="utf-8")
    result = CliRunner().invoke(
        app, ["--config", str(file), "weeks", "--store", str(tmp_path / "store")]
    )
    assert result.exit_code == 1, result.output
    assert "risk.use_team_p75 must be true or false, got 'no'" in " ".join(result.output.split())


YAML_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-10, 10**6)
    | st.text(max_size=8)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.dates(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=2)
    ),
    max_leaves=4,
)


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(SECTION_FIELDS), value=YAML_VALUES)
def test_any_value_is_taken_as_its_type_or_refused_by_key(
    field: tuple[str, Any], value: Any
) -> None:
    key, hint = field
    try:
        config = Config.from_mapping(_nested(key, value), source="c.yaml")
    except ConfigError as error:
        refusal = error.message
    else:
        refusal = ""
    if refusal:
        assert refusal.startswith("c.yaml: "), refusal
        assert key.rpartition(".")[0] in refusal
        return
    section, *names = key.split(".")
    got: Any = getattr(config, section)
    for name in names:
        got = getattr(got, name)
    if hint is bool:
        assert got is value
    elif hint in (int, float):
        assert type(got) is hint and got >= 0 and math.isfinite(got) and got == value
    elif typing.get_origin(hint) is typing.Literal:
        assert got in typing.get_args(hint) and got == value
    elif typing.get_origin(hint) is Mapping:  # by stage: shares or days
        assert dict(got) == value
        kind = typing.get_args(hint)[1]
        assert all(type(v) in (kind, int) and not isinstance(v, bool) for v in got.values())
    elif typing.get_origin(hint) is tuple:  # plan.season_profile: only with season: profile
        assert got == ()
    else:
        assert isinstance(got, frozenset) and all(type(d) is dt.date for d in got)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    field=st.sampled_from(SECTION_FIELDS + RULE_FIELDS),
    value=YAML_VALUES,
    lang=st.sampled_from(["en", "zh"]),
)
def test_an_accepted_configuration_is_written_and_read_back_equal(
    field: tuple[str, Any], value: Any, lang: str
) -> None:
    """``Config.to_mapping`` writes what a configuration file holds: dumped as YAML and read
    back, it is the same configuration (what a batch hands each team's kernel)."""
    try:
        config = Config.from_mapping({"lang": lang, **_nested(field[0], value)}, source="c.yaml")
    except ConfigError:
        return
    text = yaml.safe_dump(config.to_mapping(), allow_unicode=True)
    assert Config.from_mapping(yaml.safe_load(text) or {}) == config


def test_every_section_of_a_file_is_the_configuration_attribute_of_that_name() -> None:
    """One vocabulary: ``risk:`` in a file is ``config.risk`` in code, for every section."""
    attributes = {f.name for f in dataclasses.fields(Config)}
    assert set(SECTIONS) <= attributes
    config = Config.from_mapping({section: {} for section in SECTIONS})
    for section, settings_class in SECTIONS.items():
        assert type(getattr(config, section)) is settings_class


def test_the_old_attribute_names_still_read_with_a_warning() -> None:
    config = Config.from_mapping({"funnel_shape": {"min_open": 15}, "trends": {"min_deals": 3}})
    with pytest.warns(DeprecationWarning, match="Config.shape is now Config.funnel_shape"):
        assert config.shape is config.funnel_shape
    with pytest.warns(DeprecationWarning, match="Config.trend is now Config.trends"):
        assert config.replace(trend=config.trends.__class__(min_deals=4)).trends.min_deals == 4


def test_config_is_a_configuration_a_file_or_nothing(tmp_path: Path) -> None:
    file = tmp_path / "pipereview.yaml"
    file.write_text("lang: zh\nrisk: {stalled_days: 21}\n", encoding="utf-8")
    assert as_config(None) == Config()
    assert as_config(file) == as_config(str(file)) == load_config(file)
    assert as_config(file).risk.stalled_days == 21
    with pytest.raises(
        ConfigError,
        match="config must be a Config, the path of a configuration file or None, got dict",
    ):
        as_config({"lang": "zh"})  # type: ignore[arg-type]


def test_every_config_parameter_takes_a_configuration_a_file_or_nothing(tmp_path: Path) -> None:
    """``WeeklyReview``, ``from_files``, the dashboard and what hands a configuration to
    another process (the batch, ``serve``) read the same three forms the same way."""
    from _dashboard_rows import two_teams
    from pipereview.config import portable_config
    from pipereview.dashboard import Dashboard
    from pipereview.delivery import WeeklyReview

    file = tmp_path / "pipereview.yaml"
    file.write_text("risk: {stalled_days: 21}\nfunnel_shape: {min_open: 3}\n", encoding="utf-8")
    given = load_config(file)
    history = two_teams()
    for config in (given, file, str(file)):
        review = WeeklyReview(history, team="North", week="2026-W47", config=config)
        assert (review.config.risk.stalled_days, review.config.funnel_shape.min_open) == (21, 3)
        board = Dashboard(history, team="North", config=config)
        assert board.state.data.config.risk.stalled_days == 21
        settings = portable_config(config)
        assert settings is not None
        assert (settings["risk"], settings["funnel_shape"]) == (
            {"stalled_days": 21},
            {"min_open": 3},
        )
        assert Config.from_mapping(settings) == given
    assert WeeklyReview(history, team="North", week="2026-W47").config == Config()
    assert Dashboard(history, team="North").state.data.config == Config()
    folder = tmp_path / "templates"
    folder.mkdir()
    in_code = Config(templates=(folder,), lang="zh")
    assert portable_config(in_code) == {"lang": "zh", "templates": [str(folder.resolve())]}
