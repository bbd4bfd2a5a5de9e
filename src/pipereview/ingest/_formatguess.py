"""What an export's values settle when its column map leaves it open.

Private to :mod:`pipereview.ingest._export`. Two choices, each made only when the values leave no
doubt, and said in the ingest report when made:

- the **stage model**: when the map's model does not know every stage name of the export
  but exactly one other model does (a Chinese export whose stages are those of
  ``generic_4``), that model is used; when several do, nothing is chosen and the rows are
  refused with the candidates named;
- the **decimal mark** of amounts, when the map's file does not state it (``decimal:``):
  ``55.000,50`` can only be European, ``55,000.50`` only plain; a cell such as ``12.500``
  or ``12,500`` reads either way (twelve and a half, or twelve thousand five hundred).
  The cells that can be read one way only decide for the whole column. When none does,
  ``12,500`` is read the map's way (twelve thousand five hundred: the other reading would
  be an amount with three decimals after a comma, which no CRM writes), while ``12.500``
  is refused, naming the column, the row and both readings: a European export of whole
  amounts writes exactly that, and reading it as 12.5 would be 1000 times too small. Cells
  of both formats in one column are refused too.

>>> amount_format(pd.Series(["55.000,50", "12.500", "900"])).decimal
','
>>> amount_format(pd.Series(["55,000.50", "12,500"])).decimal
'.'
>>> amount_format(pd.Series(["1200", "300"])).decimal is None
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipereview.core._errors import ColumnMapError
from pipereview.core._stages import StageModel, load_stage_model, stage_model_names
from pipereview.core._text import normalize_label
from pipereview.ingest._columnmaps import ColumnMap
from pipereview.ingest._parsing import CURRENCY_RE, MULTIPLIERS

__all__ = [
    "AmountFormat",
    "amount_format",
    "choose_stage_model",
    "settle_decimal",
    "stage_models_knowing",
]

# one separator followed by exactly three digits: 12.500 / 12,500 read both ways
_BOTH_POINT = re.compile(r"\d{1,3}\.\d{3}")
_BOTH_COMMA = re.compile(r"\d{1,3},\d{3}")
_PLAIN = re.compile(r"\d{1,3}(?:,\d{3})+\.\d+|\d{1,3}(?:,\d{3}){2,}|\d*\.\d+")
_EUROPEAN = re.compile(r"\d{1,3}(?:\.\d{3})+,\d+|\d{1,3}(?:\.\d{3}){2,}|\d*,\d+")
_WHOLE = re.compile(r"\d*")
_SUFFIXES = tuple(MULTIPLIERS)


@dataclass(frozen=True)
class AmountFormat:
    """How a column of amounts writes its numbers.

    ``decimal`` is ``"."`` or ``","`` when some cell can be read one way only (``plain``
    and ``european`` hold the first such cell of each kind, as (row, text)), ``None`` when
    no cell decides. ``both`` is the first cell written like ``12.500``, which reads
    either way (cells written like ``12,500`` are read the map's way when nothing decides).
    """

    decimal: str | None
    plain: tuple[int, str] | None = None
    european: tuple[int, str] | None = None
    both: tuple[int, str] | None = None

    @property
    def mixed(self) -> bool:
        """True when cells of both formats are in the column: no reading fits all."""
        return self.plain is not None and self.european is not None


def _core(cell: str) -> str:
    """The digits and separators of an amount cell: sign, brackets, currency and a
    multiplier (万, k …) taken off as :func:`pipereview.ingest._parsing.parse_amounts` does."""
    text = re.sub(CURRENCY_RE, "", cell.strip().strip("()"), flags=re.IGNORECASE)
    text = text.lstrip("-+")
    if text.lower().endswith(_SUFFIXES):
        text = text[:-1]
    return text


def _kind(cell: str) -> str:
    """``both`` (12.500), ``both_comma`` (12,500), ``plain``, ``european`` or ``none``
    (whole numbers, blanks, words)."""
    core = _core(cell)
    if _WHOLE.fullmatch(core):
        return "none"
    if _BOTH_POINT.fullmatch(core):
        return "both"
    if _BOTH_COMMA.fullmatch(core):
        return "both_comma"
    if _PLAIN.fullmatch(core):
        return "plain"
    if _EUROPEAN.fullmatch(core):
        return "european"
    return "none"


def amount_format(column: pd.Series) -> AmountFormat:
    """How the text cells of ``column`` write their numbers (number cells say nothing:
    they are numbers already). Each distinct text is looked at once.

    >>> amount_format(pd.Series(["1.234,50", "99,5"], index=[2, 3])).european
    (2, '1.234,50')
    """
    if not (column.dtype == object or pd.api.types.is_string_dtype(column.dtype)):
        return AmountFormat(None)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    kinds = np.array([_kind(u) if isinstance(u, str) else "none" for u in uniques] + ["none"])[
        np.where(codes < 0, len(uniques), codes)
    ]
    first: dict[str, tuple[int, str]] = {}
    for kind in ("plain", "european", "both"):
        where = np.flatnonzero(kinds == kind)
        if len(where):
            first[kind] = (int(str(column.index[where[0]])), str(column.iloc[where[0]]).strip())
    plain, european = first.get("plain"), first.get("european")
    decimal = None if (plain is None) == (european is None) else ("." if plain else ",")
    return AmountFormat(decimal, plain, european, first.get("both"))


def _read(cell: str, mark: str) -> str:
    """``cell`` read with ``mark`` as the decimal mark, the other one grouping thousands:
    ``_read("12.500", ".")`` is ``'12.5'``, ``_read("12.500", ",")`` is ``'12500'``."""
    core = _core(cell)
    other = "," if mark == "." else "."
    return _shown(float(core.replace(other, "").replace(mark, ".")))


def _shown(value: float) -> str:
    """12500.0 -> '12500', 55000.5 -> '55000.5': plain digits, no grouping to misread."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _could_be_both(column: pd.Series) -> bool:
    """For a column the CSV reader took for numbers: could a cell have been written like
    ``12.500`` (a number under 1000 with at most three decimals) with no cell that shows a
    decimal point (``1234.5``, ``12.3456``)? Only then is its text needed."""
    values = column.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        thousandths = np.abs(values * 1000 - np.round(values * 1000)) < 1e-6
        small = (np.abs(values) < 1000) & thousandths
        if not small.any():
            return False
        shows_point = (values != np.round(values)) & ((np.abs(values) >= 1000) | ~thousandths)
        return not bool(shows_point.any())


def _dotted_cells(path: Path, delimiter: str, encoding: str | None) -> bool:
    """True when some cell of the CSV file may end in a point and three digits (``12.500``):
    a scan of its bytes, far cheaper than reading the rows again as text. Encodings in which
    digits are not single ASCII bytes (UTF-16, UTF-32) always answer True."""
    if encoding and encoding.lower().replace("_", "-").startswith(("utf-16", "utf-32")):
        return True
    ends = re.escape(delimiter.encode("ascii"))
    pattern = re.compile(rb'\.\d{3}(?=["' + ends + rb"\r\n]|$)", re.MULTILINE)
    return pattern.search(path.read_bytes()) is not None


def settle_decimal(
    cmap: ColumnMap,
    raw: pd.DataFrame,
    header: str | None,
    *,
    file: str | Path,
    csv: tuple[Path, str, str | None] | None,
    reread: Callable[[], pd.DataFrame],
) -> tuple[ColumnMap, pd.DataFrame, tuple[str, ...]]:
    """The map with the decimal mark the amounts use, the rows (read again as text when a
    column of numbers may hide a ``12.500``) and the note for the ingest report. ``csv`` is
    the file's path, delimiter and encoding when it is a CSV file.

    Nothing changes when the map's file states ``decimal:`` or when no cell decides and
    none reads both ways. Raises :class:`ColumnMapError` naming the column, a row and both
    readings when the amounts leave the format open or mix the two.
    """
    if cmap.decimal_stated or header is None or header not in raw.columns:
        return cmap, raw, ()
    column = raw[header]
    if pd.api.types.is_numeric_dtype(column.dtype):
        # numbers in a spreadsheet or Parquet file are numbers; a CSV reader's may have been
        # written 12.500: then (rarely) the rows are read again with the amounts as text
        if csv is None or not _could_be_both(column) or not _dotted_cells(*csv):
            return cmap, raw, ()
        raw = reread()
        column = raw[header]
    found = amount_format(column)
    hint = (
        f"say which in a column map: 'extends: {cmap.name}' and 'decimal: \",\"' (or "
        "'decimal: \".\"'), passed with --map (docs/formats.md)"
    )
    if found.mixed:
        assert found.plain is not None and found.european is not None
        (prow, ptext), (erow, etext) = found.plain, found.european
        raise ColumnMapError(
            f"{file}: column {header!r} mixes two number formats: row {prow} {ptext!r} has "
            f"a decimal point ({_read(ptext, '.')}), row {erow} {etext!r} a decimal comma "
            f"({_read(etext, ',')}); no reading fits both",
            file=file,
            row=erow,
            column=header,
            expected="amounts written in one format",
            hint=hint,
        )
    if found.decimal is None:
        if found.both is None:
            return cmap, raw, ()
        row, text = found.both
        point, comma = _read(text, "."), _read(text, ",")
        raise ColumnMapError(
            f"{file}: column {header!r}, row {row}: {text!r} reads as {point} with a decimal "
            f"point or as {comma} with a decimal comma, and no amount in the column says "
            "which",
            file=file,
            row=row,
            column=header,
            expected="amounts whose format is clear (e.g. one written 1.234,50 or 1,234.50)",
            hint=hint,
        )
    if found.decimal == cmap.decimal:
        return cmap, raw, ()
    assert found.european is not None
    row, text = found.european
    note = (
        f"amounts read with a decimal comma, as column {header!r} writes them (row {row}: "
        f"{text!r} = {_read(text, ',')})"
    )
    return cmap.model_copy(update={"decimal": found.decimal}), raw, (note,)


def stage_models_knowing(names: Iterable[str]) -> list[str]:
    """The stage models (shipped, plug-in or in a templates folder) that know every one of
    ``names``, in name order.

    >>> stage_models_knowing(["方案报价", "需求确认"])
    ['generic_4']
    """
    wanted = list(names)
    return [
        name
        for name in stage_model_names()
        if all(load_stage_model(name).stage_key(n) for n in wanted)
    ]


def choose_stage_model(
    column: pd.Series, model: StageModel, cmap: ColumnMap
) -> tuple[StageModel, tuple[str, ...]]:
    """The stage model for an export: ``model`` when it knows every stage name of
    ``column`` (with the map's stage aliases), else the one other model that does, with a
    note for the ingest report; ``model`` again when none or several do (the rows are then
    refused naming the candidates)."""
    table = model.alias_table(cmap.stage_aliases)
    text = column[column.notna()].astype("str").str.strip()
    names = sorted({n for n in pd.unique(text) if n})
    unknown = [n for n in names if table.get(normalize_label(n)) is None]
    if not unknown:
        return model, ()
    candidates = [m for m in stage_models_knowing(names) if m != model.name]
    if len(candidates) != 1:
        return model, ()
    shown = ", ".join(repr(n) for n in unknown[:5]) + (" …" if len(unknown) > 5 else "")
    note = (
        f"stage model {candidates[0]} chosen from the stage values: the column map's "
        f"model {model.name} does not know {shown}; every stage name belongs to "
        f"{candidates[0]} (pass --model to use another)"
    )
    return load_stage_model(candidates[0]), (note,)
