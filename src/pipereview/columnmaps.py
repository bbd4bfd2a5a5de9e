"""Column maps: how a CRM's export headers translate to the canonical snapshot fields.

Six maps ship with pipereview (``salesforce_report``, ``salesforce_dataloader``,
``hubspot``, ``odoo``, ``dynamics``, ``chinese_crm``); a user's map is a YAML file in the
same format (``docs/formats.md``), which may start from a shipped one with ``extends:``.

>>> cmap = load_column_map("hubspot")
>>> cmap.resolve(["Record ID", "Deal Name", "Deal Stage"])["deal_name"]
'Deal Name'
>>> detect_column_map(["商机编号", "商机名称", "客户名称", "负责人", "销售阶段", "商机金额",
...                    "预计成交日期", "创建时间"]).name
'chinese_crm'
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipereview._resources import (
    load_named,
    parse_yaml_mapping,
    validate_model,
    yaml_registry,
)
from pipereview._text import normalize_label
from pipereview.errors import ColumnMapError

__all__ = [
    "OPTIONAL_FIELDS",
    "REQUIRED_FIELDS",
    "ColumnMap",
    "column_map_names",
    "column_maps",
    "detect_column_map",
    "load_column_map",
]

#: Canonical fields every export must provide.
REQUIRED_FIELDS: tuple[str, ...] = (
    "deal_id",
    "deal_name",
    "account",
    "owner",
    "stage",
    "amount",
    "close_date",
    "created_date",
)
#: Canonical fields an export may provide (besides evidence fields).
OPTIONAL_FIELDS: tuple[str, ...] = (
    "team",
    "probability",
    "forecast_category",
    "last_activity_date",
    "next_step",
    "currency",
    "status",
)


class ColumnMap(BaseModel):
    """Headers of one kind of CRM export. Construct with :func:`load_column_map`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    crm: str = ""
    extends: str | None = None
    stage_model: str = "generic_4"
    date_format: Literal["iso", "dmy", "mdy"] = "iso"
    decimal: Literal[".", ","] = "."
    columns: dict[str, tuple[str, ...]]
    values: dict[str, dict[str, str]] = {}
    stage_aliases: dict[str, str] = {}
    default_team: str = "All"

    @model_validator(mode="after")
    def _check(self) -> ColumnMap:
        missing = [f for f in REQUIRED_FIELDS if not self.columns.get(f)]
        if missing:
            raise ValueError(f"columns must name headers for the required fields {missing}")
        seen: dict[str, str] = {}
        for field, headers in self.columns.items():
            for header in headers:
                key = normalize_label(header)
                if key in seen and seen[key] != field:
                    raise ValueError(
                        f"header {header!r} is mapped to both {seen[key]!r} and {field!r}"
                    )
                seen[key] = field
        return self

    @cached_property
    def _lookup(self) -> dict[str, str]:
        return {
            normalize_label(h): field for field, headers in self.columns.items() for h in headers
        }

    def resolve(self, headers: Sequence[object]) -> dict[str, str]:
        """Canonical field -> the export's header for it, for the headers this map knows.

        When an export has two headers for one field (e.g. both ``Opportunity ID`` and
        ``Opportunity ID (18)``), the one listed first in the map wins.
        """
        found: dict[str, str] = {}
        for header in headers:
            field = self._lookup.get(normalize_label(header))
            if field is None:
                continue
            if field not in found or self._rank(field, header) < self._rank(field, found[field]):
                found[field] = str(header)
        return found

    def _rank(self, field: str, header: object) -> int:
        names = [normalize_label(h) for h in self.columns[field]]
        return names.index(normalize_label(header))

    def missing_required(self, headers: Sequence[object]) -> list[str]:
        """Required fields this export's header does not provide."""
        found = self.resolve(headers)
        return [f for f in REQUIRED_FIELDS if f not in found]


def column_map_names() -> list[str]:
    """Names of the shipped column maps.

    >>> column_map_names()
    ['chinese_crm', 'dynamics', 'hubspot', 'odoo', 'salesforce_dataloader', 'salesforce_report']
    """
    return column_maps.names()


def load_column_map(name_or_path: str | Path) -> ColumnMap:
    """Load a shipped map by name or a user's map from a YAML file.

    A user map may say ``extends: salesforce_report`` and list only what differs; its
    ``columns`` entries replace the base's entries field by field.
    """
    return load_named(column_maps, name_or_path, _parse_column_map, ColumnMapError)


@cache
def _parse_column_map(text: str, source: str) -> ColumnMap:
    data = parse_yaml_mapping(text, source, ColumnMapError, "column map")
    base_name = data.get("extends")
    if base_name:
        base = load_column_map(base_name).model_dump(exclude={"extends"})
        columns = {**base["columns"], **(data.get("columns") or {})}
        values = {**base["values"], **(data.get("values") or {})}
        data = {**base, **data, "columns": columns, "values": values}
    return validate_model(ColumnMap, data, source, ColumnMapError, "column map")


def detect_column_map(headers: Sequence[object], *, file: str | Path | None = None) -> ColumnMap:
    """The one shipped map that finds every required field in ``headers``.

    Raises :class:`ColumnMapError` when none or several fit, saying which map came closest
    and what it missed.
    """
    maps = [load_column_map(name) for name in column_map_names()]
    complete = [m for m in maps if not m.missing_required(headers)]
    if len(complete) > 1:
        # prefer the map that recognises the most headers, when that is clear
        scored = sorted(complete, key=lambda m: -len(m.resolve(headers)))
        if len(scored[0].resolve(headers)) > len(scored[1].resolve(headers)):
            return scored[0]
        names = ", ".join(m.name for m in complete)
        raise ColumnMapError(
            f"{file or 'the export'}: several column maps fit this header equally well: {names}",
            file=file,
            hint=f"say which one with --crm (one of: {names})",
        )
    if complete:
        return complete[0]
    closest = min(maps, key=lambda m: len(m.missing_required(headers)))
    missing = closest.missing_required(headers)
    wanted = "; ".join(f"{f} (e.g. {closest.columns[f][0]!r})" for f in missing)
    shown = ", ".join(repr(str(h)) for h in list(headers)[:12])
    prefix = f"{file}: " if file is not None else ""
    raise ColumnMapError(
        f"{prefix}no shipped column map fits this header. Closest: {closest.name!r}, which misses "
        f"{wanted}. The header has: {shown}{' …' if len(headers) > 12 else ''}",
        file=file,
        expected="the header of a Salesforce, HubSpot, Odoo, Dynamics or Chinese CRM export",
        hint="pass --crm NAME if the export is one of those with renamed columns, or write "
        f"your own map (e.g. 'extends: {closest.name}' plus the renamed columns) and pass "
        "--map my_map.yaml; see docs/formats.md",
    )


#: The column maps registry: shipped, plug-in (entry-point group ``pipereview.column_maps``) and
#: user-folder column maps by name (see :mod:`pipereview.registry`).
column_maps = yaml_registry("column_maps", ColumnMap, _parse_column_map, ColumnMapError)
