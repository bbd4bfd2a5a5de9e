"""YAML files (stage models, column maps, configuration) are parsed by libyaml when PyYAML
has it, and give the same mapping as the pure-Python safe loader; a file libyaml rejects
is reported with the pure-Python loader's message (the line and the text around it)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pipereview.core._errors import ConfigError
from pipereview.core._resources import parse_yaml_mapping

ROOT = Path(__file__).resolve().parents[1]
#: every YAML file the package ships or the tests read
FILES = sorted(
    [*ROOT.joinpath("src", "pipereview").rglob("*.yaml"), *ROOT.joinpath("tests").rglob("*.yaml")]
)


def test_the_fast_loader_is_libyaml_here() -> None:
    # the machines this runs on have PyYAML with libyaml: the speed-up is real there
    assert yaml.__with_libyaml__


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_and_test_yaml_file_parses_as_the_pure_loader_parses_it(
    path: Path,
) -> None:
    text = path.read_text(encoding="utf-8")
    expected = yaml.safe_load(text)
    if isinstance(expected, dict):
        assert parse_yaml_mapping(text, path.name, ConfigError, "file") == expected
    else:  # a list of cases, say: not a mapping either way
        with pytest.raises(ConfigError, match="is a YAML mapping"):
            parse_yaml_mapping(text, path.name, ConfigError, "file")


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.dates(),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.text(min_size=1, max_size=12), _VALUES, min_size=1, max_size=6),
    st.booleans(),
)
def test_any_dumped_mapping_parses_the_same(data: dict, flow: bool) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow)
    assert parse_yaml_mapping(text, "x.yaml", ConfigError, "file") == yaml.safe_load(text)


@pytest.mark.parametrize(
    "text",
    [
        "stages:\n  - name: a\n   - name: b\n",  # a list item out of line
        "stages: [a, b\n",  # a flow sequence never closed
        "key: 'unterminated\n",
        "a: 1\n\tb: 2\n",  # a tab where indentation is expected
    ],
)
def test_a_broken_file_is_reported_with_the_pure_loaders_message(text: str) -> None:
    with pytest.raises(yaml.YAMLError) as pure:
        yaml.safe_load(text)
    with pytest.raises(ConfigError) as caught:
        parse_yaml_mapping(text, "stage_model.yaml", ConfigError, "stage model")
    assert caught.value.message == f"stage_model.yaml: not valid YAML: {pure.value}"
    assert "line" in caught.value.message
    assert caught.value.hint == "see docs/formats.md for the stage model format"


def test_a_file_that_is_not_a_mapping_says_so() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_yaml_mapping("- a\n- b\n", "x.yaml", ConfigError, "stage model")
    assert caught.value.message == "x.yaml: a stage model is a YAML mapping"
