"""A pipereview process starts without building the IRI grammar it never uses
(pipereview._startup)."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import pytest

PROBE = """
import json, sys
import pipereview, altair, nbformat
from jsonschema import Draft7Validator
loaded = sorted(m for m in sys.modules if m.startswith("rfc3987_syntax"))
stand_in = getattr(sys.modules["rfc3987_syntax"], "__pipereview_stand_in__", False)
print(json.dumps({"loaded": loaded, "stand_in": stand_in}))
"""


@pytest.mark.slow  # starts a fresh interpreter
def test_importing_pipereview_defers_the_iri_grammar() -> None:
    """(That a check still works through the stand-in is the example of _startup.)"""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout) == {"loaded": ["rfc3987_syntax"], "stand_in": True}


def test_a_module_imported_before_pipereview_is_left_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipereview._startup import defer_iri_grammar

    real = types.ModuleType("rfc3987_syntax")
    monkeypatch.setitem(sys.modules, "rfc3987_syntax", real)
    defer_iri_grammar()
    assert sys.modules["rfc3987_syntax"] is real
