"""When a change was made: the date and time cells of history exports, to timestamps.

History exports write the moment of a change in many ways: Salesforce's API as
``2026-03-02T09:15:00.000Z`` (UTC), its reports in the user's locale (``3/2/2026 9:15 AM``,
``02/03/2026 09:15``), HubSpot as ``2026-03-02 09:15`` or milliseconds since 1970, Odoo as
``2026-03-02 09:15:00``. The date part is read by :func:`~pipereview.ingest._dates.parse_dates`
(so every date layout of a deals export is understood the same way), the time part and a
zone here. A time with a zone comes back in UTC; one without is kept as written. A moment
outside :data:`~pipereview.ingest._dates.DATE_RANGE` (``1850-01-01T00:00:00Z``, a date cell
of 9999-12-31, milliseconds past the year 2200) is a bad cell, whichever way it is written.

>>> values, bad = parse_timestamps(pd.Series(["2026-03-02T09:15:00.000Z", "3/2/2026 9:15 PM",
...                                           "2026-03-02 10:15:00+01:00", "soon", ""]), "mdy")
>>> [str(v) for v in values], bad.tolist()
(['2026-03-02 09:15:00', '2026-03-02 21:15:00', '2026-03-02 09:15:00', 'NaT', 'NaT'], [False, False, False, True, False])
>>> guess_date_format(pd.Series(["25/03/2026", "03/04/2026"]), "mdy")
'dmy'
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from pipereview.ingest._dates import DATE_RANGE, DateFormat, parse_dates

__all__ = ["guess_date_format", "parse_timestamps"]

_STAMP = (
    r"^(?P<date>\S+?(?:\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)?)"
    r"(?:(?:[T ]|\s+)\s*(?P<ampm1>上午|下午)?\s*(?P<h>\d{1,2}):(?P<m>\d{2})"
    r"(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?\s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?)?)?"
    r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2})?$"
)
_EPOCH_MS = r"^\d{12,13}$"
_ISO = (
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?"
    r"(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?$"
)
_SERIAL = r"^\d{5}(?:\.\d+)?$"
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def parse_timestamps(
    series: pd.Series, date_format: DateFormat = "iso"
) -> tuple[pd.Series, pd.Series]:
    """Timestamps (``datetime64[ns]``, naive) and a mask of the cells that are not one.

    Blank cells come back as ``NaT`` and are not bad. ``date_format`` orders day and
    month in ``02/03/2026`` as the export's locale writes them.
    """
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        tz = getattr(series.dt, "tz", None)
        values = series.dt.tz_convert("UTC").dt.tz_localize(None) if tz else series
        return values.astype("datetime64[ns]"), pd.Series(False, index=series.index)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = _from_serial(series.astype("float64"))
        return values, series.notna() & values.isna()
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    if pd.api.types.is_object_dtype(series.dtype):
        # a spreadsheet's date cells among text cells (an XLSX column of both)
        stamped = series.map(lambda c: c if isinstance(c, datetime) else None).astype("object")
        text = series.where(stamped.isna()).astype("object").where(series.notna(), "")
        text = text.map(lambda c: "" if c is None or c != c else str(c)).str.strip()
    else:  # text only
        stamped = pd.Series(None, index=series.index, dtype="object")
        text = series.astype("str").where(series.notna(), "").str.strip()
    blank = (text == "") & stamped.isna()
    iso = text.str.match(_ISO)
    if iso.any():  # the common case, parsed at once: ISO dates and times, with a zone or not
        values = pd.to_datetime(text[iso], format="ISO8601", utc=True, errors="coerce")
        values = values.dt.tz_localize(None).astype("datetime64[ns]")
        out[iso] = values.where(values.between(*DATE_RANGE))
    epoch = text.str.match(_EPOCH_MS)
    if epoch.any():  # up to 13 digits: past 2262 a timestamp cannot hold it, a bad cell
        values = pd.to_datetime(text[epoch].astype("int64"), unit="ms", errors="coerce")
        out[epoch] = values.where(values.between(*DATE_RANGE))
    dated = stamped.notna()
    if dated.any():  # a spreadsheet's date cell may be 9999-12-31 ("never"): a bad cell
        moments = [_in_range(_naive(pd.Timestamp(cell))) for cell in stamped[dated]]
        out[dated] = pd.Series(moments, index=out.index[dated], dtype="datetime64[ns]")
    serial = text.str.match(_SERIAL)
    if serial.any():  # Excel serial numbers written as text, the time as the fraction
        out[serial] = _from_serial(pd.to_numeric(text[serial], errors="coerce"))
    todo = ~blank & ~iso & ~epoch & ~serial & stamped.isna()
    if todo.any():
        out[todo] = _from_text(text[todo], date_format)
    return out, ~blank & out.isna()


def _from_text(text: pd.Series, date_format: DateFormat) -> pd.Series:
    """Timestamps of non-blank text cells: a date, a time (12- or 24-hour) and a zone."""
    parts = text.str.extract(_STAMP)
    dates, bad_dates = parse_dates(parts["date"].fillna("").astype("str"), date_format)
    hours = pd.to_numeric(parts["h"], errors="coerce").fillna(0)
    ampm = parts["ampm"].fillna(parts["ampm1"]).fillna("").str.upper().str[:1]
    hours = hours.where(~ampm.isin(["A", "上"]) | (hours != 12), 0)
    hours = hours.where(~ampm.isin(["P", "下"]) | (hours >= 12), hours + 12)
    minutes = pd.to_numeric(parts["m"], errors="coerce").fillna(0)
    seconds = pd.to_numeric(parts["s"], errors="coerce").fillna(0)
    fraction = pd.to_numeric("0." + parts["f"].fillna("0"), errors="coerce").fillna(0)
    clock_ok = (hours < 24) & (minutes < 60) & (seconds < 61) & ~(ampm.ne("") & parts["h"].isna())
    zone = parts["tz"].fillna("").map(_zone_minutes)
    stamp = (
        dates
        + pd.to_timedelta(hours, unit="h")
        + pd.to_timedelta(minutes - zone, unit="m")
        + pd.to_timedelta(seconds + fraction, unit="s")
    )
    good = parts["date"].notna() & dates.notna() & ~bad_dates & clock_ok
    return stamp.where(good)


def _from_serial(days: pd.Series) -> pd.Series:
    """Excel serial numbers (days since 1899-12-30, the time as the fraction), to the
    second; outside 1954-2119 missing."""
    ok = days.between(20_000, 80_000)
    values = (_EXCEL_EPOCH + pd.to_timedelta(days.where(ok), unit="D")).dt.round("s")
    return values.astype("datetime64[ns]")


def _naive(value: pd.Timestamp) -> pd.Timestamp:
    return value.tz_convert("UTC").tz_localize(None) if value.tzinfo else value


def _in_range(value: pd.Timestamp) -> pd.Timestamp | None:
    """``value`` when within :data:`~pipereview.ingest._dates.DATE_RANGE`, else None
    (``NaT`` once in the timestamps)."""
    return value if DATE_RANGE[0] <= value <= DATE_RANGE[1] else None


def _zone_minutes(zone: str) -> int:
    """Minutes east of UTC of ``Z``, ``UTC``, ``+01:00``, ``-0500``; 0 when blank."""
    if zone in ("", "Z", "UTC", "GMT"):
        return 0
    digits = zone[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:])
    return minutes if zone[0] == "+" else -minutes


def guess_date_format(texts: pd.Series, default: DateFormat) -> DateFormat:
    """How ``dd/mm/yyyy``-like cells order day and month: ``dmy`` when a first number is
    over 12, ``mdy`` when a second one is, else ``default`` (also when both are seen)."""
    cells = texts.dropna().astype("str").str.strip()
    cells = cells[cells.str.match(r"^\d{1,2}\s*[/.-]")]
    parts = cells.str.extract(r"^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*\d{4}").dropna()
    if parts.empty:
        return default
    first = parts[0].astype("int64") > 12
    second = parts[1].astype("int64") > 12
    if first.any() and not second.any():
        return "dmy"
    if second.any() and not first.any():
        return "mdy"
    return default
