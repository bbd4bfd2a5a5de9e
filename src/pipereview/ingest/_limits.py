"""Limits for reading exports: how large a file, a cell or a header may be before it is refused.

A hostile or broken file (a cell of several megabytes, a header of 200,000 columns, an XLSX
that unpacks to gigabytes of XML) is refused with a message naming the line, column and
size, instead of exhausting memory or failing deep inside a parser. The defaults are far
above what a CRM export holds; raise one when a real export needs more:

>>> from pipereview.ingest._limits import ReadLimits
>>> limits = ReadLimits(max_rows=5_000_000)
>>> limits.max_rows, limits.max_cell_bytes
(5000000, 131072)
>>> ReadLimits(max_columns=0)
Traceback (most recent call last):
...
pipereview.core._errors.ConfigError: ReadLimits.max_columns must be a whole number >= 1, not 0
Hint: set limits.max_columns to a whole number >= 1 (docs/start-analysts.md lists the defaults)

``read_export``/``peek_export`` take ``limits=``; the configuration file's ``limits:``
section sets them for the commands.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from pipereview.core._errors import ConfigError

__all__ = ["DEFAULT_LIMITS", "ReadLimits", "format_size"]


@dataclass(frozen=True)
class ReadLimits:
    """The largest export pipereview reads; anything beyond is refused with a clear message."""

    #: the most bytes one cell may hold (a quoted cell spanning lines counts whole)
    max_cell_bytes: int = 128 * 1024
    #: the most columns a header may have
    max_columns: int = 2_000
    #: the most rows (records) a file may have, title, header and footer rows included
    max_rows: int = 10_000_000
    #: the most bytes an XLSX workbook's sheets and shared strings may unpack to
    max_xlsx_uncompressed_bytes: int = 2 * 1024**3
    #: the most times a workbook part over 1 MB may unpack beyond its packed size (a
    #: real sheet unpacks about 10 times; a zip bomb about 1000 times)
    max_xlsx_compression_ratio: int = 200
    #: the most bytes each of a CSV's first 30 lines may hold: where the header is looked
    #: for (report titles, the header and the first records)
    max_title_line_bytes: int = 256 * 1024

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(
                    f"ReadLimits.{item.name} must be a whole number >= 1, not {value!r}",
                    expected="a whole number >= 1",
                    hint=f"set limits.{item.name} to a whole number >= 1 "
                    "(docs/start-analysts.md lists the defaults)",
                )


DEFAULT_LIMITS = ReadLimits()


def format_size(size: int) -> str:
    """A byte count for people: ``1.8 MB``, ``128 KB``, ``312 bytes`` (1 KB = 1024 bytes).

    >>> format_size(1_887_437), format_size(131072), format_size(312)
    ('1.8 MB', '128 KB', '312 bytes')
    """
    if size >= 1024**3:
        return f"{size / 1024**3:.1f} GB"
    if size >= 1024**2:
        return f"{size / 1024**2:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"
