"""Deal lists of the weekly review: the deals behind a count, largest first, never cut.

A list shows its first rows (the largest by amount, as the caller sorted them) and keeps
every other row one click away in the same file (``<details>``), with a caption saying how
many are shown of how many. A deal's CRM ID links to its record when the configuration
gives ``crm_url`` (:func:`pipereview.core.record_url`). Every value is HTML-escaped.

>>> rows = pd.DataFrame({"Deal ID": ["D1", "D2", "D3"], "Deal": ["A", "B", "C"]})
>>> page = deal_list_html(rows, lang="en", shown=2, links=["https://crm.example/D1", None, None])
>>> "The 2 largest of 3 deals" in page, '<a href="https://crm.example/D1"' in page
(True, True)
>>> page.count("<tr>")  # the header and two rows, then the third row behind "1 more"
5
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd

from pipereview.core._languages import phrase

#: nothing of the package's own: the review's sections use these
__all__: list[str] = []

_TEXT: dict[str, tuple[str, str]] = {
    "all": ("All {n} deals, largest first.", "共 {n} 个商机，按金额从大到小。"),
    "one": ("1 deal.", "1 个商机。"),
    "some": (
        "The {shown} largest of {n} deals; the other {rest} are below.",
        "金额最大的 {shown} 个，共 {n} 个；其余 {rest} 个见下方。",
    ),
    "more": ("{rest} more deals", "其余 {rest} 个商机"),
}

#: Rows a deal list shows before the rest go behind a click.
SHOWN = 10


def _t(key: str, lang: str, **values: object) -> str:
    return phrase(_TEXT, key, lang, **values)


def _cell(value: object, link: str | None) -> str:
    text = "—" if _missing(value) else str(value)
    if link and text != "—":
        return f'<td><a href="{html.escape(link, quote=True)}" rel="noreferrer">{html.escape(text)}</a></td>'
    return f"<td>{html.escape(text)}</td>"


def _rows(frame: pd.DataFrame, links: Sequence[str | None]) -> str:
    out = []
    for values, link in zip(frame.itertuples(index=False, name=None), links, strict=True):
        cells = "".join(_cell(v, link if j == 0 else None) for j, v in enumerate(values))
        out.append(f"<tr>{cells}</tr>")
    return "".join(out)


def _table(frame: pd.DataFrame, links: Sequence[str | None]) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    return (
        f'<table class="review-table deal-list"><thead><tr>{head}</tr></thead>'
        f"<tbody>{_rows(frame, links)}</tbody></table>"
    )


def deal_list_html(
    deals: pd.DataFrame,
    *,
    lang: str,
    shown: int = SHOWN,
    links: Sequence[str | None] | None = None,
) -> str:
    """``deals`` (display columns, the first the deal ID, rows in the order to show) as
    HTML: a caption, the first ``shown`` rows, and every other row in a ``<details>``
    block below; ``links[i]`` (or None) is the CRM address of row ``i``'s deal ID.
    Empty text for no rows."""
    if deals.empty:
        return ""
    links = list(links) if links is not None else [None] * len(deals)
    if len(deals) <= shown:
        caption = _t("one" if len(deals) == 1 else "all", lang, n=len(deals))
        return f'<p class="list-caption">{html.escape(caption)}</p>' + _table(deals, links)
    rest = len(deals) - shown
    caption = _t("some", lang, shown=shown, n=len(deals), rest=rest)
    return (
        f'<p class="list-caption">{html.escape(caption)}</p>'
        + _table(deals.iloc[:shown], links[:shown])
        + f'<details class="more-deals"><summary>{html.escape(_t("more", lang, rest=rest))}'
        + "</summary>"
        + _table(deals.iloc[shown:], links[shown:])
        + "</details>"
    )


_HEADERS: dict[str, tuple[str, str]] = {
    "deal_id": ("Deal ID", "商机编号"),
    "deal": ("Deal", "商机"),
    "account": ("Account", "客户"),
    "rep": ("Rep", "销售代表"),
    "stage": ("Stage", "阶段"),
    "amount": ("Amount", "金额"),
    "close_date": ("Close date", "预计成交日"),
    "days_moved": ("Days moved", "成交日变动天数"),
    "days_in_stage": ("Days in stage", "本阶段天数"),
    "pushes": ("Pushes", "推迟次数"),
    "forecast_category": ("Forecast category", "预测类别"),
    "next_step": ("Next step", "下一步计划"),
    "loss_reason": ("Loss reason", "输单原因"),
    "risks": ("Risks", "风险"),
}


def header(key: str, lang: str) -> str:
    """A deal list's column header in ``lang``."""
    en, zh = _HEADERS[key]
    return zh if lang == "zh" else en


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))  # type: ignore[call-overload]


def date_text(value: object) -> str | None:
    """A date as ``YYYY-MM-DD``; None when missing."""
    return None if _missing(value) else pd.Timestamp(value).date().isoformat()  # type: ignore[arg-type]


def amount_cell(value: object, currency: object) -> str | None:
    """An amount with thousands separators and its currency; None when missing."""
    if _missing(value):
        return None
    code = currency if isinstance(currency, str) else ""
    return f"{float(value):,.0f} {code}".strip()  # type: ignore[arg-type]


def amount_cells(deals: pd.DataFrame) -> list[str | None]:
    """Each deal's ``amount`` in its ``currency``, as :func:`amount_cell` writes it."""
    return [amount_cell(a, c) for a, c in zip(deals["amount"], deals["currency"], strict=True)]


def stage_cells(deals: pd.DataFrame, column: str = "stage", lang: str = "en") -> list[str | None]:
    """Each deal's stage in ``column`` named in ``lang`` by its ``stage_model``
    (:func:`stage_text`)."""
    return [
        stage_text(m, s, lang) for m, s in zip(deals["stage_model"], deals[column], strict=True)
    ]


def amount_text(value: float, currency: str) -> str:
    """A figure with thousands separators and the team's currency code (none: the amount
    alone)."""
    from pipereview.diagnostics._capabilities import currency_code

    return f"{value:,.0f} {currency_code(currency)}".strip()


def from_to(before: str | None, after: str | None) -> str | None:
    """``before → after`` when the two differ, the one value when they are equal or one is
    missing, None when both are.

    >>> from_to("2026-12-18", "2027-01-15"), from_to("Ann", "Ann"), from_to(None, "new")
    ('2026-12-18 → 2027-01-15', 'Ann', 'new')
    """
    if before is None or after is None or before == after:
        return after if after is not None else before
    return f"{before} → {after}"


def category_text(value: object, lang: str) -> str | None:
    """A forecast category in ``lang`` (:data:`pipereview.core.FORECAST_CATEGORY_LABELS`);
    an unknown one as it is, None when missing."""
    from pipereview.core._vocabulary import FORECAST_CATEGORY_LABELS

    if _missing(value) or not str(value).strip():
        return None
    en, zh = FORECAST_CATEGORY_LABELS.get(str(value), (str(value), str(value)))
    return zh if lang == "zh" else en


def text_or_none(value: object) -> str | None:
    """A text cell, None when missing or blank."""
    return None if _missing(value) or not str(value).strip() else str(value)


def colon(lang: str) -> str:
    return "：" if lang == "zh" else ": "


def blank_text(value: object) -> bool:
    """True for a missing or blank text."""
    return not isinstance(value, str) or not value.strip()


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]], css: str) -> str:
    """A table of plain texts (each escaped) with ``headers``, class ``review-table`` and
    ``css``."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    return (
        f"<table class='review-table {css}'><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def stage_text(model: object, key: object, lang: str) -> str | None:
    from pipereview.core._errors import PipereviewError
    from pipereview.core._stages import load_stage_model

    if not isinstance(key, str) or not key:
        return None
    try:
        return load_stage_model(str(model)).stage(key).label_in(lang)
    except (KeyError, ValueError, OSError, PipereviewError):
        return key
