"""A pipereview process starts without building the IRI grammar it never uses, and a
check that does use it still works (pipereview._startup)."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import pytest

PROBE = """
import json, sys
import pipereview, altair, nbformat
before = sorted(m for m in sys.modules if m.startswith("rfc3987_syntax"))
from jsonschema import Draft7Validator
iri = Draft7Validator({"format": "iri"}, format_checker=Draft7Validator.FORMAT_CHECKER)
checks = [iri.is_valid("https://例え.jp/報告"), iri.is_valid("no scheme here")]
after = sorted(m for m in sys.modules if m.startswith("rfc3987_syntax"))
print(json.dumps({"before": before, "checks": checks, "after": after}))
"""


def test_importing_pipereview_defers_the_iri_grammar_until_a_check_needs_it() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=120, check=True)
    seen = json.loads(done.stdout)
    assert seen["before"] == ["rfc3987_syntax"]  # the stand-in only: no grammar built
    assert seen["checks"] == [True, False]
    assert "rfc3987_syntax.syntax_helpers" in seen["after"]  # the real one, on first use


def test_a_module_imported_before_pipereview_is_left_in_place(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pipereview._startup import defer_iri_grammar

    real = types.ModuleType("rfc3987_syntax")
    monkeypatch.setitem(sys.modules, "rfc3987_syntax", real)
    defer_iri_grammar()
    assert sys.modules["rfc3987_syntax"] is real
