"""Files shipped inside the package (``pipereview/templates``), read with importlib.resources."""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from pipereview.errors import PipereviewError

__all__ = [
    "format_validation_error",
    "parse_yaml_mapping",
    "read_template_or_file",
    "template_dir",
    "template_names",
    "validate_model",
]

M = TypeVar("M", bound=BaseModel)


def template_dir(kind: str) -> Traversable:
    """The shipped folder ``templates/<kind>`` (e.g. ``stage_models``)."""
    return resources.files("pipereview").joinpath("templates", kind)


def template_names(kind: str, suffix: str = ".yaml") -> list[str]:
    """Sorted names (without suffix) of the shipped files of one kind."""
    return list(_shipped_names(kind, suffix))


@cache
def _shipped_names(kind: str, suffix: str) -> tuple[str, ...]:
    # the package's own files do not change while it runs: list each folder once
    folder = template_dir(kind)
    return tuple(sorted(
        entry.name[: -len(suffix)]
        for entry in folder.iterdir()
        if entry.is_file() and entry.name.endswith(suffix)
    ))


@cache
def _shipped_text(kind: str, name: str) -> str:
    return template_dir(kind).joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def read_template_or_file(
    name_or_path: str | Path, kind: str, error: type[PipereviewError]
) -> tuple[str, str]:
    """Text and display name of a shipped template (by name) or of a user's file (by path)."""
    text_name = str(name_or_path)
    names = template_names(kind)
    if text_name in names:
        return _shipped_text(kind, text_name), f"templates/{kind}/{text_name}.yaml"
    path = Path(name_or_path)
    what = kind.replace("_", " ").removesuffix("s")
    if not path.suffix and not path.exists():
        raise error(
            f"unknown {what} {text_name!r}; shipped: {', '.join(names)}",
            hint=f"to use your own {what}, pass the path of its YAML file "
            "(format: docs/formats.md)",
        )
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise error(
            f"cannot read {what} file {path}: {exc}",
            hint="check the path; the file must be UTF-8 YAML",
        ) from None


def format_validation_error(exc: ValidationError) -> str:
    """A pydantic error as an indented list of 'where: what' lines."""
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"  - {where}: {err['msg']}")
    return "\n".join(lines)


def parse_yaml_mapping(text: str, source: str, error: type[PipereviewError], what: str
                       ) -> dict[str, Any]:
    """A YAML file's top-level mapping, or ``error`` naming the file and the YAML problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(f"{source}: not valid YAML: {exc}", hint=f"see docs/formats.md for the "
                    f"{what} format") from None
    if not isinstance(data, dict):
        raise error(f"{source}: a {what} is a YAML mapping", hint="see docs/formats.md")
    return data


def validate_model(cls: type[M], data: dict[str, Any], source: str,
                   error: type[PipereviewError], what: str) -> M:
    """``cls`` validated from ``data``, or ``error`` listing every broken rule."""
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise error(f"{source}: not a valid {what}:\n{format_validation_error(exc)}",
                    hint=f"see docs/formats.md for the {what} format") from None
