"""No Python file object is lent to Arrow's Parquet reader or writer.

Read through an ``io.BytesIO``, Arrow's worker threads keep the Python object and may drop it
while the interpreter exits; dropping it needs the GIL, and the process aborts ("terminate
called without an active exception", exit -6) after it has printed "stored". Seen as a
racing writer that exited -6 once in about ten runs under load. Every Parquet read or write
of bytes goes through :func:`parquet_frame` / :func:`parquet_bytes`, which hand Arrow only
memory it owns; this lint keeps it so.
"""

from __future__ import annotations

import ast
import io
import textwrap
from pathlib import Path

import pandas as pd
import pyarrow as pa

from pipereview.history._weekfiles import parquet_bytes, parquet_frame

SRC = Path(__file__).resolve().parents[1] / "src" / "pipereview"
PARQUET_CALLS = {"read_parquet", "to_parquet", "read_table", "write_table", "ParquetFile"}
PYTHON_FILES = {"BytesIO", "open", "TemporaryFile", "NamedTemporaryFile", "SpooledTemporaryFile"}


def _called(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        func = node.func
        return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return None


def _lent_files(source: str) -> list[int]:
    """Lines where a Parquet call is given a Python file object (made in the call, or a
    name bound to one in the same module, ``with ... as`` included)."""
    tree = ast.parse(source)
    files: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _called(node.value) in PYTHON_FILES:
            files |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        if (
            isinstance(node, ast.withitem)
            and _called(node.context_expr) in PYTHON_FILES
            and isinstance(node.optional_vars, ast.Name)
        ):
            files.add(node.optional_vars.id)
    lines = []
    for node in ast.walk(tree):
        if _called(node) not in PARQUET_CALLS:
            continue
        assert isinstance(node, ast.Call)
        given = [*node.args, *(k.value for k in node.keywords)]
        if any(
            _called(arg) in PYTHON_FILES or (isinstance(arg, ast.Name) and arg.id in files)
            for arg in given
        ):
            lines.append(node.lineno)
    return sorted(lines)


def test_no_module_lends_a_python_file_to_parquet() -> None:
    found = {
        str(path.relative_to(SRC)): lines
        for path in sorted(SRC.rglob("*.py"))
        if (lines := _lent_files(path.read_text(encoding="utf-8")))
    }
    assert found == {}, (
        "Parquet read or written through a Python file object (module: lines); use "
        "parquet_frame / parquet_bytes from pipereview.history._weekfiles instead",
        found,
    )


def test_the_lint_finds_each_way_of_lending_a_file() -> None:
    source = textwrap.dedent(
        """
        import io
        buffer = io.BytesIO()
        frame.to_parquet(buffer)
        pd.read_parquet(io.BytesIO(data))
        with open(path, "rb") as handle:
            pq.read_table(handle)
        pq.write_table(table, where=io.BytesIO())
        pd.read_parquet(path)
        pq.write_table(table, pa.BufferOutputStream())
        """
    )
    assert _lent_files(source) == [4, 5, 7, 8]


def test_parquet_bytes_and_frame_round_trip_with_filters_and_columns() -> None:
    frame = pd.DataFrame({"team": ["North", "West", "North"], "amount": [1.5, 2.0, None]})
    data = parquet_bytes(pa.Table.from_pandas(frame, preserve_index=False))
    direct = io.BytesIO()
    frame.to_parquet(direct, index=False)
    pd.testing.assert_frame_equal(parquet_frame(data), pd.read_parquet(direct))
    north = parquet_frame(data, filters=[("team", "in", ["North"])], columns=["amount"])
    assert north["amount"].tolist()[0] == 1.5 and len(north) == 2
    assert list(north.columns) == ["amount"]
