"""A team's report page (``review.html``): nbconvert's HTML export of the executed
notebook, without its code, with the attributes nbconvert's exporter adds for readers of
assistive technology, but without parsing the whole page again to add them.

nbconvert's ``HTMLExporter`` renders the page from its template, then parses the page
with BeautifulSoup to give every output area and input wrapper ``tabindex="0"`` and
every image without one an ``alt`` text, and prints the parsed page back. For a
full-size team (a 3.4 MB notebook, ~47,000 tags) that second pass cost 1.8 s of the
batch process's time per team, more than the rendering itself. :func:`accessible_page`
adds the same attributes to the rendered page's tags directly: parsed by an HTML parser,
its page and nbconvert's are the same document (``tests/test_report_page.py``).

>>> accessible_page('<div class="jp-OutputArea-output x"><img src="a.png"></div>')
'<div class="jp-OutputArea-output x" tabindex="0"><img src="a.png" alt="No description has been provided for this image"></div>'
>>> accessible_page('<script>var s = "<div class=jp-OutputArea-output>";</script>')
'<script>var s = "<div class=jp-OutputArea-output>";</script>'
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MISSING_ALT", "accessible_page", "report_exporter"]

#: The ``alt`` text nbconvert gives an image that has none.
MISSING_ALT = "No description has been provided for this image"

# Where the HTML tokenizer reads raw text, not tags: scripts, styles, text areas,
# comments (a "<div" there is text, never a tag).
_RAW = re.compile(
    r"<(script|style|textarea|title)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL
)
# An opening tag of a div or an image, with its attributes (quoted values may hold ">").
_TAG = re.compile(
    r"""<(div|img)\b((?:[^>"']|"[^"]*"|'[^']*')*?)(\s*/?)>""", re.IGNORECASE | re.DOTALL
)
# One attribute of a tag: its name, and its value quoted either way or bare.
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_FOCUSABLE = frozenset({"jp-OutputArea-output", "jp-Cell-inputWrapper"})


def _attributes(text: str) -> dict[str, str]:
    """A tag's attributes by lower-case name (the last of a repeated name, as
    BeautifulSoup keeps it)."""
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        found[match.group(1).lower()] = next((g for g in match.groups()[1:] if g is not None), "")
    return found


def _focusable(match: re.Match[str]) -> str:
    """An attribute, ``tabindex="0"`` when it is a tab index."""
    return 'tabindex="0"' if match.group(1).lower() == "tabindex" else match.group(0)


def _tag(match: re.Match[str]) -> str:
    name, text, end = match.group(1), match.group(2), match.group(3)
    attributes = _attributes(text)
    if name.lower() == "img":
        if "alt" in attributes:
            return match.group(0)
        return f'<{name}{text} alt="{MISSING_ALT}"{end}>'
    if not set(attributes.get("class", "").split()) & _FOCUSABLE:
        return match.group(0)
    if "tabindex" in attributes:  # set to 0 where it stands, as nbconvert sets it
        return f"<{name}{_ATTRIBUTE.sub(_focusable, text)}{end}>"
    return f'<{name}{text} tabindex="0"{end}>'


def accessible_page(page: str) -> str:
    """``page`` with ``tabindex="0"`` on every output area and input wrapper (``div``
    of class ``jp-OutputArea-output`` or ``jp-Cell-inputWrapper``) and :data:`MISSING_ALT`
    on every image without ``alt``, as nbconvert's exporter sets them; the text of
    scripts, styles and comments untouched."""
    parts, start = [], 0
    for raw in _RAW.finditer(page):
        parts.append(_TAG.sub(_tag, page[start : raw.start()]))
        parts.append(raw.group(0))
        start = raw.end()
    parts.append(_TAG.sub(_tag, page[start:]))
    return "".join(parts)


def report_exporter() -> Any:
    """A new exporter of report pages: nbconvert's ``HTMLExporter`` without code and
    prompts, whose page gets its accessibility attributes from :func:`accessible_page`
    (nbconvert is imported here, on first use: it costs ~1 s)."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        """``HTMLExporter`` with the same filters; the page made accessible directly."""

        def from_notebook_node(  # type: ignore[override]  # a page, as HTMLExporter's
            self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any
        ) -> tuple[str, dict[str, Any]]:
            info = nb.metadata.get("language_info", {})
            lexer = info.get("pygments_lexer", info.get("name", None))
            highlight = self.filters.get(
                "highlight_code",
                Highlight2HTML(pygments_lexer=lexer, parent=self),  # type: ignore[no-untyped-call]
            )
            resources = self._init_resources(resources)  # type: ignore[no-untyped-call]
            data_types = WidgetsDataTypeFilter(  # type: ignore[no-untyped-call]
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("highlight_code", highlight)  # type: ignore[no-untyped-call]
            self.register_filter("filter_data_type", data_types)  # type: ignore[no-untyped-call]
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return accessible_page(page), resources

    return ReportExporter(  # type: ignore[no-untyped-call]
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
