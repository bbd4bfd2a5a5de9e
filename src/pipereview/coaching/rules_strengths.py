"""Built-in strengths rules."""

from __future__ import annotations

__all__ = ["RULES"]

#: The rules this module registers.
RULES: tuple[str, ...] = ()
