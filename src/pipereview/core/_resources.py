"""Files shipped inside the package (``pipereview/templates``), read with importlib.resources."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from pipereview.core._errors import PipereviewError
from pipereview.core._registry import DataRegistry, reads_user_folder

__all__ = [
    "format_validation_error",
    "load_named",
    "parse_yaml_mapping",
    "template_dir",
    "template_names",
    "validate_model",
    "yaml_registry",
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
    return tuple(
        sorted(
            entry.name[: -len(suffix)]
            for entry in folder.iterdir()
            if entry.is_file() and entry.name.endswith(suffix)
        )
    )


@cache
def _shipped_text(kind: str, name: str) -> str:
    return template_dir(kind).joinpath(f"{name}.yaml").read_text(encoding="utf-8")


class _Named(Protocol):
    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=_Named)


def yaml_registry(
    kind: str, cls: type[N], parse: Callable[[str, str], N], error: type[PipereviewError]
) -> DataRegistry[N]:
    """The registry of one kind of YAML template (``column_maps``, ``stage_models``): the
    shipped files, then plug-ins (entry-point group ``pipereview.<kind>``) and user
    folders. An entry may be given as the object, a YAML file or (a plug-in) a function
    returning either; its ``name:`` must be the name it is registered under."""
    what = kind.replace("_", " ").removesuffix("s")

    def coerce(item: Any, name: str) -> N:
        if isinstance(item, cls):
            entry = item
        elif isinstance(item, (str, Path, Traversable)):
            entry = _parse_file(Path(item) if isinstance(item, str) else item, what, parse, error)
        else:
            raise error(
                f"{what} {name!r}: expected a {cls.__name__}, the path of its YAML "
                f"file or a function returning one, got {type(item).__name__}"
            )
        if entry.name != name:
            raise error(
                f"{what} {name!r} says 'name: {entry.name}' inside; a {what} is "
                "registered under its own name",
                hint=f"register it as {entry.name!r} or change its name: to {name!r}",
            )
        return entry

    registry: DataRegistry[N] = DataRegistry(
        what,
        group=f"pipereview.{kind}",
        coerce=coerce,
        builtins=lambda: template_names(kind),
        load_builtin=lambda name: parse(_shipped_text(kind, name), f"templates/{kind}/{name}.yaml"),
        hint=f"pass the path of your own {what} file, or put it in a templates folder's "
        f"{kind}/ (see docs/formats.md)",
    )

    def read_folder(root: Path) -> list[str]:
        """A user folder's ``<kind>/*.yaml``, each registered under its file name."""
        names = []
        for file in sorted((root / kind).glob("*.yaml")):
            registry.register(file.stem, file, replace=True, source=f"folder {root}")
            names.append(file.stem)
        return names

    reads_user_folder(kind, read_folder)
    return registry


def load_named(
    registry: DataRegistry[N],
    name_or_path: str | Path,
    parse: Callable[[str, str], N],
    error: type[PipereviewError],
) -> N:
    """An entry of ``registry`` by name, or one read from a YAML file by path; a name that
    is neither registered nor an existing file is refused with the known names."""
    if isinstance(name_or_path, str) and name_or_path in registry:
        return registry.get(name_or_path)
    path = Path(name_or_path)
    what = registry.kind
    if not path.suffix and not path.exists():
        raise error(
            f"unknown {what} {str(name_or_path)!r}; known: {', '.join(registry.names())}",
            hint=f"to use your own {what}, pass the path of its YAML file or put it in a "
            "templates folder (format: docs/formats.md)",
        )
    return _parse_file(path, what, parse, error)


def _parse_file(
    file: Path | Traversable,
    what: str,
    parse: Callable[[str, str], N],
    error: type[PipereviewError],
) -> N:
    """``parse`` of a user's YAML file, or ``error`` saying why it cannot be read."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(
            f"cannot read {what} file {file}: {exc}",
            hint="check the path; the file must be UTF-8 YAML",
        ) from None
    return parse(text, str(file))


def format_validation_error(exc: ValidationError) -> str:
    """A pydantic error as an indented list of 'where: what' lines."""
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"  - {where}: {err['msg']}")
    return "\n".join(lines)


def parse_yaml_mapping(
    text: str, source: str, error: type[PipereviewError], what: str
) -> dict[str, Any]:
    """A YAML file's top-level mapping, or ``error`` naming the file and the YAML problem.
    Parsed by libyaml when PyYAML has it (the same safe loader, ~10x faster: every team's
    review parses the shipped stage models); a file it rejects is parsed again by the
    pure-Python loader, whose message (with the line and the text around it) is the one
    reported."""
    try:
        data = yaml.load(text, Loader=_FAST_LOADER)  # a safe loader: plain data only
    except yaml.YAMLError:
        data = _reparsed(text, source, error, what)
    if not isinstance(data, dict):
        raise error(f"{source}: a {what} is a YAML mapping", hint="see docs/formats.md")
    return data


#: libyaml's safe loader when PyYAML was built with it, else the pure-Python one.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _reparsed(text: str, source: str, error: type[PipereviewError], what: str) -> Any:
    """``text`` parsed by the pure-Python safe loader; its error, when it fails, naming
    ``source``."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(
            f"{source}: not valid YAML: {exc}", hint=f"see docs/formats.md for the {what} format"
        ) from None


def validate_model(
    cls: type[M], data: dict[str, Any], source: str, error: type[PipereviewError], what: str
) -> M:
    """``cls`` validated from ``data``, or ``error`` listing every broken rule."""
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise error(
            f"{source}: not a valid {what}:\n{format_validation_error(exc)}",
            hint=f"see docs/formats.md for the {what} format",
        ) from None
