"""Text normalisation shared by header matching and stage-alias matching."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize_label"]

_SPACE_RE = re.compile(r"\s+")


def normalize_label(text: object) -> str:
    """Fold a header or stage name for matching: NFKC width folding, case, whitespace.

    >>> normalize_label("  Ｃｌｏｓｅｄ　Won ")
    'closed won'
    >>> normalize_label("销售 阶段")
    '销售 阶段'
    """
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return _SPACE_RE.sub(" ", folded).strip()
