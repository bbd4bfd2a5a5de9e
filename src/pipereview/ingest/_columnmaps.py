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

from pipereview.core._errors import ColumnMapError
from pipereview.core._resources import (
    load_named,
    parse_yaml_mapping,
    validate_model,
    yaml_registry,
)
from pipereview.core._text import normalize_label
from pipereview.ingest._schema import EXPORT_OPTIONAL_FIELDS, EXPORT_REQUIRED_FIELDS

__all__ = [
    "COMMON_HEADERS",
    "OPTIONAL_FIELDS",
    "REQUIRED_FIELDS",
    "ColumnMap",
    "column_map_names",
    "column_maps",
    "detect_column_map",
    "load_column_map",
]

#: Canonical fields every export must provide (see :data:`pipereview.ingest._schema.EXPORT_REQUIRED_FIELDS`
#: for what each one is needed for); an account is not among them.
REQUIRED_FIELDS: tuple[str, ...] = tuple(EXPORT_REQUIRED_FIELDS)
#: Canonical fields an export may provide (besides evidence fields).
OPTIONAL_FIELDS: tuple[str, ...] = EXPORT_OPTIONAL_FIELDS

#: Headers every column map knows, whatever the CRM: one place, added to each map's own
#: headers for the field (after them, so a map's own header wins when an export has both),
#: unless the map already uses the header for another field. Compared case-insensitively.
COMMON_HEADERS: dict[str, tuple[str, ...]] = {
    "team": (
        "Team",
        "Sales Team",
        "Team Name",
        "Sales Team Name",
        "Sales Group",
        "Sales Unit",
        "Deal Team",
        "Owner Team",
        "Owner's Team",
        "团队",
        "销售团队",
        "所属团队",
        "团队名称",
        "销售团队名称",
        "销售组",
        "销售小组",
        "所属销售团队",
        "销售部门",
        "所属部门",
    ),
    # a number: the account's potential revenue (a custom field in every CRM); labels as
    # reports, HubSpot, Dynamics and Odoo print them, Salesforce API names, Chinese CRMs
    "account_potential": (
        "Account Potential",
        "Potential",
        "Potential Revenue",
        "Account Potential Revenue",
        "Customer Potential",
        "Revenue Potential",
        "Account.Account_Potential__c",
        "Account_Potential__c",
        "Potential_Revenue__c",
        "x_studio_account_potential",
        "客户潜力",
        "潜力",
        "客户潜力金额",
        "潜力金额",
        "潜在金额",
        "客户潜在价值",
    ),
}


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
    #: headers the CRM writes once per associated record (HubSpot: ``Associated Company``
    #: and ``Associated Company IDs``, one column per company): the first is the primary,
    #: the others are kept, numbered (``Associated Company (2)``), instead of refused
    repeated: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _common_headers(cls, data: object) -> object:
        """Add :data:`COMMON_HEADERS` to the map's own headers (see there)."""
        if not isinstance(data, dict) or not isinstance(data.get("columns"), dict):
            return data
        columns = {
            field: list(headers) if isinstance(headers, list | tuple) else headers
            for field, headers in data["columns"].items()
        }
        used = {
            normalize_label(h)
            for headers in columns.values()
            if isinstance(headers, list)
            for h in headers
            if isinstance(h, str)
        }
        for field, common in COMMON_HEADERS.items():
            extra = [h for h in common if normalize_label(h) not in used]
            if extra and isinstance(columns.get(field, []), list):
                columns[field] = [*columns.get(field, []), *extra]
        return {**data, "columns": columns}

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

    @property
    def decimal_stated(self) -> bool:
        """True when the map's file says which decimal mark amounts use (``decimal:``);
        otherwise it is read from the amounts themselves (:mod:`pipereview.ingest._formatguess`)."""
        return "decimal" in self.model_fields_set

    def number_repeats(
        self, header: Sequence[object], *, file: str | Path | None = None, row: int | None = None
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The header with the repeats of :attr:`repeated` columns numbered, and a note for
        each such column. Any other header written twice is refused: which of the two
        columns holds the deal's value cannot be known.

        >>> load_column_map("hubspot").number_repeats(
        ...     ["Deal Name", "Associated Company", "Associated Company"])[0]
        ('Deal Name', 'Associated Company', 'Associated Company (2)')
        """
        names = [normalize_label(h) for h in header]
        repeatable = {normalize_label(h) for h in self.repeated}
        counts: dict[str, int] = {}
        for name in names:
            counts[name] = counts.get(name, 0) + 1
        refused = sorted(
            {
                str(h)
                for h, n in zip(header, names, strict=True)
                if n and counts[n] > 1 and n not in repeatable
            }
        )
        if refused:
            where = f" (row {row})" if row is not None else ""
            raise ColumnMapError(
                f"{file or 'the export'}: column(s) {refused} appear more than once in the "
                f"header{where}",
                file=file,
                row=row,
                column=refused[0],
                expected="each column once",
                hint="delete or rename the extra column in the export",
            )
        taken = set(names)
        first: dict[str, str] = {}  # normalised header -> its first column, as written
        later: dict[str, list[str]] = {}  # normalised header -> the others, numbered
        out: list[str] = []
        for cell, name in zip(header, names, strict=True):
            text = str(cell)
            if name and counts[name] > 1:
                if name not in first:
                    first[name], later[name] = text, []
                else:
                    number = len(later[name]) + 2
                    while normalize_label(f"{text} ({number})") in taken:
                        number += 1
                    text = f"{text} ({number})"
                    taken.add(normalize_label(text))
                    later[name].append(text)
            out.append(text)
        notes = tuple(
            f"the export writes {first[n]!r} once per associated record ({len(later[n]) + 1} "
            f"columns): the first is read as the primary, the others are kept as "
            f"{', '.join(repr(h) for h in later[n])}"
            for n in first
        )
        return tuple(out), notes


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
        # only what the base's file says: a value left to its default (``decimal``) stays
        # unstated in the extending map too
        base = load_column_map(base_name).model_dump(exclude={"extends"}, exclude_unset=True)
        columns = {**base["columns"], **(data.get("columns") or {})}
        values = {**base.get("values", {}), **(data.get("values") or {})}
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
#: user-folder column maps by name (see :mod:`pipereview.core._registry`).
column_maps = yaml_registry("column_maps", ColumnMap, _parse_column_map, ColumnMapError)
