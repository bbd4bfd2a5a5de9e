"""The text a reader sees of what pipereview writes, for the lint of
:mod:`pipereview.delivery._textlint`: the visible text of HTML (a report, a dashboard tab),
Markdown, a terminal's drawn tables, data frames, CSV and XLSX files, one line per block
or row, table cells separated by tabs.

>>> html_text("<h2>North</h2><p>3 deals &amp; 1 won</p>")
'North\\n3 deals & 1 won'
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

__all__ = ["file_text", "html_text", "markdown_text", "table_text", "terminal_text", "xlsx_text"]

_BLOCKS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "table",
        "thead",
        "tbody",
        "tr",
        "br",
        "caption",
        "figcaption",
        "blockquote",
        "pre",
        "dt",
        "dd",
        "title",
        "text",
        "g",
        "svg",
        "summary",
        "details",
        "label",
        "option",
        "button",
    }
)
_CELLS = frozenset({"td", "th"})
_HIDDEN = frozenset({"style", "script", "head", "template"})


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in _CELLS:
            self.parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_text(markup: str) -> str:
    """The text a browser shows of ``markup``: tags dropped, entities decoded once, one line
    per block (paragraph, list item, table row, SVG text), table cells separated by tabs;
    styles and scripts left out.

    >>> html_text("<p>Won &amp; lost</p><table><tr><td>North</td><td>3</td></tr></table>")
    'Won & lost\\nNorth\\t3'
    """
    parser = _Visible()
    parser.feed(markup)
    parser.close()
    lines = []
    for line in "".join(parser.parts).split("\n"):
        cells = [re.sub(" {2,}", " ", c).strip(" ") for c in line.split("\t")]
        kept = "\t".join(c for c in cells if c)
        if kept:
            lines.append(kept)
    return "\n".join(lines)


_BOX = re.compile(r"[│┃║|]")
_BOX_RULE = re.compile(r"^[\s─━═┌┏┍┎┐┓└┗┘┛├┡┝┤┩┥┬┳┴┻┼╇╋╭╮╯╰+\-=|:]*$")


def terminal_text(text: str) -> str:
    """What a terminal shows of ``text`` (a command's output), with the rows of its drawn
    tables (``│ North │ 3 │``) as tab-separated cells and their rule lines dropped.

    >>> terminal_text("┏━━━━━━━┳━━━┓\\n┃ team  ┃ n ┃\\n│ North │ 3 │\\n└───────┴───┘")
    'team\\tn\\nNorth\\t3'
    """
    out = []
    for line in text.splitlines():
        if _BOX_RULE.match(line):
            continue
        if _BOX.search(line):
            cells = [c.strip() for c in _BOX.split(line)]
            line = "\t".join(c for c in cells if c)
        out.append(line)
    return "\n".join(out)


def table_text(frame: pd.DataFrame) -> str:
    """Every cell of ``frame`` (headers first) as text: one line per row, cells separated by
    tabs, missing cells as the empty text a spreadsheet shows (not ``nan``).

    >>> table_text(pd.DataFrame({"deal": ["MES", None], "amount": [5.0, 7.5]}))
    'deal\\tamount\\nMES\\t5.0\\n\\t7.5'
    """
    rows = ["\t".join(str(c) for c in frame.columns)]
    for values in frame.itertuples(index=False):
        rows.append("\t".join("" if _blank(v) else str(v) for v in values))
    return "\n".join(rows)


def _blank(value: object) -> bool:
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def xlsx_text(data: bytes | Path) -> str:
    """Every cell of every sheet of an XLSX file (:func:`table_text` per sheet, the text
    as written: a cell holding the text ``nan`` stays ``nan``)."""
    from openpyxl import load_workbook

    source = io.BytesIO(data) if isinstance(data, bytes) else data
    book = load_workbook(source, read_only=True, data_only=True)
    try:
        out = []
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                out.append("\t".join("" if v is None else str(v) for v in row))
        return "\n".join(out)
    finally:
        book.close()


def file_text(path: str | Path) -> str:
    """The visible text of a file pipereview writes: HTML (:func:`html_text`), CSV (every
    cell as written, :func:`table_text`), XLSX (:func:`xlsx_text`), Markdown and plain
    text as they are."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        return html_text(path.read_text(encoding="utf-8"))
    if suffix == ".xlsx":
        return xlsx_text(path)
    if suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        return table_text(frame)
    text = path.read_text(encoding="utf-8")
    return markdown_text(text) if suffix == ".md" else text


_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+.!|<>~-])")
_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def markdown_text(text: str) -> str:
    """The text a reader of ``text`` (Markdown) sees: backslash escapes undone, table rows
    as tab-separated cells (rule rows dropped); entities are kept, for a Markdown file
    opened as plain text shows them.

    >>> markdown_text("| Rep | Deals |\\n|---|---|\\n| Ann \\\\* | 3 |")
    'Rep\\tDeals\\nAnn *\\t3'
    """
    out = []
    for line in text.splitlines():
        if _MD_RULE.match(line) and "-" in line:
            continue
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
            cells = re.split(r"(?<!\\)\|", stripped[1:-1])
            line = "\t".join(c.strip() for c in cells)
        out.append(_MD_ESCAPE.sub(r"\1", line))
    return "\n".join(out)
