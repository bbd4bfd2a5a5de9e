"""The report page (``review.html``) is the document nbconvert's HTML exporter makes: the
same page, parsed by an HTML parser, for the shipped notebooks' saved outputs and for any
output made of the pieces that matter (output areas, images with and without ``alt``,
scripts, styles and comments holding tag-like text, quoted attributes holding ``>``)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st
from nbconvert import HTMLExporter

from pipereview.delivery._reportpage import MISSING_ALT, accessible_page, report_exporter

NOTEBOOKS = Path(__file__).resolve().parents[1] / "src" / "pipereview" / "notebooks"


def _nbconvert(node: nbformat.NotebookNode) -> str:
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    page, _ = exporter.from_notebook_node(node)
    return str(page)


def _ours(node: nbformat.NotebookNode) -> str:
    page, _ = report_exporter().from_notebook_node(node)
    return str(page)


def _document(page: str) -> str:
    """The page as nbconvert's exporter prints a parsed page."""
    return str(BeautifulSoup(page, features="html.parser"))


@pytest.mark.parametrize("name", ["weekly_review.ipynb", "period_review.ipynb"])
def test_a_shipped_notebooks_saved_outputs_give_nbconverts_page(name: str) -> None:
    node = nbformat.read(NOTEBOOKS / name, as_version=4)
    ours, theirs = _ours(node), _nbconvert(node)
    assert _document(ours) == theirs
    assert 'tabindex="0"' in ours  # the output areas are focusable, as in nbconvert's


def _notebook(html_outputs: list[str], markdown: str = "") -> nbformat.NotebookNode:
    node = nbformat.v4.new_notebook()
    if markdown:
        node.cells.append(nbformat.v4.new_markdown_cell(markdown))
    for i, html in enumerate(html_outputs):
        cell = nbformat.v4.new_code_cell(f"x{i}", execution_count=i + 1)
        cell.outputs = [
            nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": "x"})
        ]
        node.cells.append(cell)
    return node


_PIECES = st.sampled_from(
    [
        '<div class="jp-OutputArea-output">in an output</div>',
        "<div class='jp-Cell-inputWrapper other'>wrapper</div>",
        '<div class="jp-OutputArea-output" tabindex="2">kept</div>',
        '<img src="a.png">',
        '<img src="b.png" alt="chart of the funnel">',
        "<img src='c.png' ALT=''/>",
        '<img title="x > y" src="d.png">',
        '<script>var s = "<div class=jp-OutputArea-output><img src=z.png>";</script>',
        "<style>div.jp-OutputArea-output > img { border: 0 }</style>",
        "<!-- <div class='jp-OutputArea-output'> <img src=q.png> -->",
        '<p data-note="a > b">text &amp; more</p>',
        "<table><tr><td>1</td><td>2,500</td></tr></table>",
        '<div data-x="class=jp-OutputArea-output">not the class</div>',
        "<svg><text>西区</text></svg>",
        '<div class="plain" class="jp-OutputArea-output">a repeated attribute</div>',
        '<DIV CLASS="jp-OutputArea-output" TabIndex=5>upper case</DIV>',
        '<img src="e.png" alt>',
    ]
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(_PIECES, min_size=1, max_size=6).map("".join), min_size=1, max_size=4))
def test_any_outputs_give_nbconverts_page(outputs: list[str]) -> None:
    node = _notebook(outputs, markdown="![a chart](chart.png) and <img src='m.png'>")
    assert _document(_ours(node)) == _nbconvert(node)


def test_the_attributes_added_and_those_left_alone() -> None:
    page = accessible_page(
        '<div class="a jp-OutputArea-output"><img src="x.png"><img src="y.png" alt="y"></div>'
        '<div class="jp-OutputArea-outputs">not an output area</div>'
        "<!-- <img src='z.png'> -->"
    )
    assert page == (
        '<div class="a jp-OutputArea-output" tabindex="0">'
        f'<img src="x.png" alt="{MISSING_ALT}"><img src="y.png" alt="y"></div>'
        '<div class="jp-OutputArea-outputs">not an output area</div>'
        "<!-- <img src='z.png'> -->"
    )
