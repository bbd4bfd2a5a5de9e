"""What every pipereview process does first: defer the one third-party import that costs
seconds and that no review uses, and make openpyxl write the same bytes on every machine.

``altair`` (charts) and ``nbformat`` (notebooks) validate JSON with ``jsonschema``, which
at import builds an IRI grammar with ``rfc3987_syntax`` to check the ``iri`` string format:
1.4–2.2 s of parsing per process on a 2-core machine, paid by every ``pipereview``
command, every kernel of the weekly job and every test worker, although no schema we read
uses that format (python-jsonschema/jsonschema#1428). :func:`defer_iri_grammar` puts a
stand-in module in its place that imports the real one the first time anything in it is
used, so an ``iri`` check still works exactly as before, only later.

Importing this module (``pipereview`` does it first) puts the stand-in in place; the
checks it serves are unchanged:

>>> from jsonschema import Draft7Validator
>>> iri = Draft7Validator({"format": "iri"}, format_checker=Draft7Validator.FORMAT_CHECKER)
>>> iri.is_valid("https://例え.jp/報告"), iri.is_valid("no scheme here")
(True, False)

openpyxl serialises with ``lxml`` when that is installed (it comes with the Salesforce
extra, through ``simple-salesforce``) and with the standard library otherwise: the two
write different bytes, and a carriage return in a cell survives one and not the other.
:func:`same_xlsx_everywhere` makes openpyxl use the standard library unless the
environment says otherwise (``OPENPYXL_LXML=True``), so the sample set, the exports'
XLSX files and what they hold do not depend on which extras are installed:

>>> import os
>>> os.environ["OPENPYXL_LXML"]
'False'
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
from typing import Any

__all__ = ["defer_iri_grammar", "same_xlsx_everywhere"]

_NAME = "rfc3987_syntax"


def _real() -> types.ModuleType:
    """The real module, imported now (the stand-in leaves ``sys.modules``)."""
    module = sys.modules.get(_NAME)
    if module is not None and getattr(module, "__pipereview_stand_in__", False):
        del sys.modules[_NAME]
    return importlib.import_module(_NAME)


def _is_valid_syntax(term: str, value: str) -> Any:
    return _real().is_valid_syntax(term, value)


def _getattr(attribute: str) -> Any:
    if attribute.startswith("__") and attribute.endswith("__"):  # ``__file__``, … asked by
        raise AttributeError(attribute)  # tools that scan sys.modules: not a use
    return getattr(_real(), attribute)


def defer_iri_grammar() -> None:
    """Put the stand-in for ``rfc3987_syntax`` in place, unless it is already imported or
    not installed; any use of it imports the real module."""
    if _NAME in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(_NAME)
    except (ImportError, ValueError):
        return
    if spec is None:
        return
    stand_in = types.ModuleType(_NAME, "Stands in for rfc3987_syntax until it is used.")
    stand_in.__spec__ = spec
    stand_in.__file__ = spec.origin
    stand_in.__path__ = list(spec.submodule_search_locations or [])
    stand_in.__dict__.update(
        __pipereview_stand_in__=True, is_valid_syntax=_is_valid_syntax, __getattr__=_getattr
    )
    sys.modules[_NAME] = stand_in


def same_xlsx_everywhere() -> None:
    """openpyxl's XML through the standard library (set before openpyxl is imported), unless
    ``OPENPYXL_LXML`` is set already."""
    os.environ.setdefault("OPENPYXL_LXML", "False")


same_xlsx_everywhere()
defer_iri_grammar()
