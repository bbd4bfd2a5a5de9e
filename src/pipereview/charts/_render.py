"""Offline rendering: charts to SVG with vl-convert, no browser, no CDN, no network.

vl-convert bundles Vega and Vega-Lite inside a Rust extension: the first call in a
process builds the bundle (~2.7 s), later SVGs take tens of milliseconds, and the same
spec always gives the same bytes (what nbval needs). ``vl_convert`` is imported on first
use, so importing :mod:`pipereview.charts` stays light.

>>> import altair as alt, pandas as pd
>>> chart = alt.Chart(pd.DataFrame({"x": ["<b>"], "y": [1]})).mark_bar().encode(
...     x="x:N", y="y:Q").properties(title="<script>alert(1)</script>")
>>> html = svg_html(chart)
>>> html.startswith('<div class="pipereview-chart"'), "<script>" in html
(True, False)
"""

from __future__ import annotations

import html
import re
from typing import Any
from xml.etree import ElementTree

import altair as alt

from pipereview.charts._base import ChartLike
from pipereview.charts._chartserver import svg_from_server
from pipereview.core._errors import ConfigError

__all__ = ["enable_offline", "svg_html", "to_svg"]

_ACTIVE_TAGS = frozenset({"script", "foreignobject", "iframe", "object", "embed"})
_BLANK = re.compile(r"[\s\x00-\x1f]+")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_SEPARATORS = re.compile("[\u2028\u2029]")
_SIZE = re.compile(r'\bwidth="(?P<w>[\d.]+)" height="(?P<h>[\d.]+)"')


def to_svg(chart: ChartLike) -> str:
    """The chart as an SVG document, rendered in-process by vl-convert (deterministic).

    Text stays ``<text>`` (the viewer's fonts draw it); data must be inline (the
    builders of :mod:`pipereview.charts` only make inline data). The SVG keeps its size
    where there is room and shrinks to its container's width where there is not
    (``style="max-width:100%;height:auto"`` with a ``viewBox``).

    >>> import altair as alt, pandas as pd
    >>> svg = to_svg(alt.Chart(pd.DataFrame({"a": [1]})).mark_point().encode(x="a:Q"))
    >>> svg.startswith("<svg"), svg == to_svg(alt.Chart(pd.DataFrame({"a": [1]}))
    ...     .mark_point().encode(x="a:Q"))
    (True, True)
    """
    return _spec_to_svg(chart.to_dict(validate=False))


def _spec_to_svg(spec: dict[str, Any]) -> str:
    import vl_convert

    if _has_url(spec):
        raise ConfigError(
            "the chart loads data from a URL; charts must carry inline data",
            hint="build the chart from a DataFrame (alt.Chart(frame)), not "
            "from alt.UrlData or a data URL: reports fetch nothing",
        )
    safe, version = _safe_texts(spec), _vl_version()
    svg = svg_from_server(safe, version)  # a batch's one engine, when it has one
    if svg is None:
        svg = vl_convert.vegalite_to_svg(safe, vl_version=version)
    return _scalable(svg)


def _scalable(svg: str) -> str:
    """``svg`` drawn at its own size where there is room, shrunk to the width of its
    container where there is not (a report column, a phone): the outer ``<svg>`` keeps its
    ``width``, ``height`` and ``viewBox`` and gets ``style="max-width:100%;height:auto"``.

    >>> _scalable('<svg width="600" height="300" viewBox="0 0 600 300"><g/></svg>')
    '<svg style="max-width:100%;height:auto" width="600" height="300" viewBox="0 0 600 300"><g/></svg>'
    """
    if not svg.startswith("<svg "):
        return svg
    head, rest = svg.split(">", 1)
    if "viewBox=" not in head:  # scaling needs one; vl-convert writes it
        size = _SIZE.search(head)
        if size:
            head += f' viewBox="0 0 {size["w"]} {size["h"]}"'
    return '<svg style="max-width:100%;height:auto" ' + head[len("<svg ") :] + ">" + rest


def _safe_text(text: str) -> str:
    """``text`` as every chart can hold it: what SVG (XML 1.0) cannot hold becomes U+FFFD
    (a NUL would abort the renderer), a line or paragraph separator a space (Vega's
    expression parser takes it for a line break inside a string)."""
    return _SEPARATORS.sub(" ", _NOT_XML.sub("\ufffd", text))


def _safe_texts(node: Any) -> Any:
    r"""A copy of a chart spec with :func:`_safe_text` applied to every text and key, the
    same way everywhere (a name in the data and in a sort list stay equal).

    >>> _safe_texts({"title": "a\u2028b", "data": {"values": [{"n\x00": ["x\x00"]}]}})
    {'title': 'a b', 'data': {'values': [{'n�': ['x�']}]}}
    """
    if isinstance(node, str):
        return _safe_text(node)
    if isinstance(node, dict):
        return {
            (_safe_text(k) if isinstance(k, str) else k): _safe_texts(v) for k, v in node.items()
        }
    if isinstance(node, list):
        return [_safe_texts(v) for v in node]
    return node


def svg_html(chart: ChartLike, *, label: str | None = None) -> str:
    """The chart as an inline ``<div>`` holding its SVG: for reports and widgets
    (``ipywidgets.HTML.value``), a few KB, no ``<script>``, nothing fetched.

    ``label`` (default: the chart's title) becomes the div's ``aria-label``, HTML-escaped;
    every text inside the SVG is XML-escaped by vl-convert, so a rep called
    ``<script>…`` shows as text. A rendering that holds anything active is refused.
    """
    # the builders' specs are validated by the test suite; vl-convert rejects a broken one
    spec: dict[str, Any] = chart.to_dict(validate=False)
    svg = _spec_to_svg(spec)
    active = _active(svg)
    if active:
        raise ConfigError(
            f"the rendered SVG holds active content ({active}); refusing to embed it",
            hint="remove links (href), scripts and event handlers from the "
            "chart's marks and texts; charts are shown as plain pictures",
        )
    text = label if label is not None else _title(spec)
    return f'<div class="pipereview-chart" role="img" aria-label="{html.escape(text)}">{svg}</div>'


def _active(svg: str) -> str | None:
    """The first element or attribute of ``svg`` that could run in a browser, or None.

    Only markup counts: texts and attribute values are the chart's data, escaped by
    vl-convert, so a deal called ``onsite=2 days`` or ``javascript: rewrite`` is shown.

    >>> _active('<svg><text aria-label="a onerror=x">javascript: onload=1</text></svg>')
    >>> _active('<svg><g onload="alert(1)"/></svg>'), _active('<svg><script/></svg>')
    ('onload=', '<script>')
    """
    try:
        root = ElementTree.fromstring(svg)
    except ElementTree.ParseError:
        return "markup that does not parse"
    for element in root.iter():
        tag = str(element.tag).rsplit("}", 1)[-1].lower()
        if tag in _ACTIVE_TAGS:
            return f"<{tag}>"
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                return f"{local}="
            if local in ("href", "src") and _BLANK.sub("", value).lower().startswith(
                ("javascript:", "vbscript:", "data:text/html")
            ):
                return f"{local}={value[:20]!r}"
    return None


def enable_offline() -> str:
    """Make altair show charts as static SVG in notebooks, reports and Voilà; return the
    renderer that was active.

    Why ``svg``: the default ``html`` renderer and online ``jupyter`` load Vega from a
    CDN (a blank chart on a closed network); ``mimetype`` crashes papermill and Voilà
    with altair 6.3; offline ``jupyter`` works but ships ~900 KB of JS per chart (which
    hangs widget ``Output`` areas above ~64 KB). SVG is ~6 KB and byte-stable for nbval.

    >>> previous = enable_offline()
    >>> import altair as alt
    >>> alt.renderers.active
    'svg'
    >>> _ = alt.renderers.enable(previous)
    """
    previous = str(alt.renderers.active)
    alt.renderers.enable("svg")
    return previous


def _vl_version() -> str:
    """altair's Vega-Lite version as vl-convert names it ('6.4.1' -> 'v6_4')."""
    major, minor = alt.SCHEMA_VERSION.lstrip("v").split(".")[:2]
    return f"v{major}_{minor}"


def _has_url(node: Any) -> bool:
    if isinstance(node, dict):
        return "url" in node or any(_has_url(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_url(v) for v in node)
    return False


def _title(spec: dict[str, Any]) -> str:
    title = spec.get("title", "")
    if isinstance(title, dict):
        title = title.get("text", "")
    return title if isinstance(title, str) else " ".join(map(str, title))
