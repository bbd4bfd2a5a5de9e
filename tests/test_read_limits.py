"""The read limits and the sizes their refusals quote.

A size is shown as people read it (1 KB = 1024 bytes): whole bytes below a kilobyte,
whole kilobytes below a megabyte, megabytes and gigabytes with one decimal. A limit must
be a whole number of at least 1; anything else is refused naming the setting.
"""

from __future__ import annotations

from dataclasses import asdict

import pytest

from pipereview.core._errors import ConfigError
from pipereview.ingest import DEFAULT_LIMITS, ReadLimits, format_size

KB = 1024
MB = 1024**2
GB = 1024**3


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "0 bytes"),
        (1023, "1023 bytes"),
        (KB, "1 KB"),
        (KB + 1, "1 KB"),
        (600 * KB, "600 KB"),  # 599.4 if a KB were 1025 bytes
        (MB - 1, "1024 KB"),
        (MB, "1.0 MB"),
        (5 * MB + MB // 2, "5.5 MB"),
        (1_310_721, "1.3 MB"),  # 1.2500010 MB; 1.2476 if a MB were 1025² bytes
        (GB - 1, "1024.0 MB"),
        (GB, "1.0 GB"),
        (3 * GB // 2, "1.5 GB"),
        (1_879_048_193, "1.8 GB"),  # 1.75 GB and a byte; 1.745 if a GB were 1025³ bytes
        (100 * GB, "100.0 GB"),
        (2048 * GB, "2048.0 GB"),  # no terabytes
    ],
)
def test_sizes_are_shown_in_bytes_kilobytes_megabytes_or_gigabytes(size: int, shown: str) -> None:
    assert format_size(size) == shown


def test_the_default_limits() -> None:
    assert asdict(DEFAULT_LIMITS) == {
        "max_cell_bytes": 128 * KB,
        "max_columns": 2_000,
        "max_rows": 10_000_000,
        "max_xlsx_uncompressed_bytes": 2 * GB,
        "max_xlsx_compression_ratio": 200,
        "max_title_line_bytes": 256 * KB,
    }
    assert format_size(DEFAULT_LIMITS.max_xlsx_uncompressed_bytes) == "2.0 GB"


@pytest.mark.parametrize(
    ("setting", "value", "shown"),
    [
        ("max_columns", 0, "0"),
        ("max_rows", -5, "-5"),
        ("max_cell_bytes", 1.5, "1.5"),
        ("max_title_line_bytes", True, "True"),
        ("max_xlsx_compression_ratio", "200", "'200'"),
    ],
)
def test_a_limit_that_is_not_a_whole_number_of_at_least_one_is_refused(
    setting: str, value: object, shown: str
) -> None:
    with pytest.raises(ConfigError) as info:
        ReadLimits(**{setting: value})  # type: ignore[arg-type]
    error = info.value
    assert str(error) == (
        f"ReadLimits.{setting} must be a whole number >= 1, not {shown}\nHint: set "
        f"limits.{setting} to a whole number >= 1 "
        "(docs/start-analysts.md lists the defaults)"
    )
    assert error.expected == "a whole number >= 1"


def test_a_limit_of_one_is_allowed() -> None:
    assert ReadLimits(max_columns=1, max_rows=1).max_columns == 1
