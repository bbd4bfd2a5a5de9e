"""Checks across the rows of one export: team and rep names, look-alike spellings of one
name, and one currency per team.

Private to :mod:`pipereview.ingest._builder`; each function looks at a column's distinct values
only, so a million-row export costs about as much as its teams and reps.

>>> teams = pd.Series(["North", "A/B", "ＮＯＲＴＨ", "North"], index=[2, 3, 4, 5])
>>> [(problem, mask.tolist()) for problem, mask in name_problems(teams)]
[("holds '/'", [False, True, False, False])]
>>> lookalikes(teams, "team")
["team names 'North' (rows 2, 5) and 'ＮＯＲＴＨ' (row 4) look alike (they differ only in case, width or spacing) but are kept as 2 separate teams; spell them alike in the CRM, or map one to the other under 'values: team:' in a column map (docs/formats.md)"]
>>> [(t, main, mask.tolist()) for t, main, _, _, mask in mixed_currencies(
...     pd.Series(["W", "W", "W", "E"]), pd.Series(["USD", "EUR", "USD", "EUR"]))]
[('W', 'USD', [False, True, False, False])]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from pipereview.core._names import NAME_RULE, lookalike_key, name_problem

__all__ = [
    "Check",
    "currency_checks",
    "lookalikes",
    "mixed_currencies",
    "name_checks",
    "name_problems",
]

#: One row check: the rows that fail it, what was expected, how to fix it.
Check = tuple[pd.Series, str, str]


def name_problems(values: pd.Series) -> list[tuple[str, pd.Series]]:
    """``(problem, rows)`` for each way names in ``values`` break
    :func:`pipereview.core._names.name_problem` (missing values are not looked at)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    found: dict[str, list[int]] = {}
    for i, name in enumerate(uniques):
        problem = name_problem(str(name))
        if problem is not None:
            found.setdefault(problem, []).append(i)
    return [
        (problem, pd.Series(np.isin(codes, which), index=values.index))
        for problem, which in found.items()
    ]


def lookalikes(values: pd.Series, field: str) -> list[str]:
    """One warning per set of names in ``values`` that share a
    :func:`pipereview.core._names.lookalike_key` but are spelt differently, naming each spelling
    and its first rows."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(uniques):
        groups.setdefault(lookalike_key(str(name)), []).append(i)
    warnings = []
    for which in groups.values():
        if len(which) < 2:
            continue
        spelt = []
        for i in which:
            rows = values.index[codes == i]
            shown = ", ".join(str(r) for r in rows[:5]) + (" …" if len(rows) > 5 else "")
            spelt.append(f"{str(uniques[i])!r} (row{'s' if len(rows) > 1 else ''} {shown})")
        names = ", ".join(spelt[:-1]) + " and " + spelt[-1]
        warnings.append(
            f"{field} names {names} look alike (they differ only in case, width or spacing) "
            f"but are kept as {len(which)} separate {field}s; spell them alike in the CRM, or "
            f"map one to the other under 'values: {field}:' in a column map (docs/formats.md)"
        )
    return warnings


def mixed_currencies(
    team: pd.Series, currency: pd.Series
) -> list[tuple[str, str, int, int, pd.Series]]:
    """For each team whose rows carry more than one currency: ``(team, its main currency,
    its deals in that currency, its deals with a currency, rows in another currency)``.

    The main currency is the one most of the team's deals carry (on a tie, the first one
    in the file). Rows without a currency are not looked at.
    """
    if len(pd.unique(currency.dropna())) < 2:  # one currency in the column: none mixed
        return []
    has = currency.notna() & team.notna()
    if not has.any():
        return []
    pairs = pd.DataFrame({"team": team[has], "currency": currency[has]})
    counts = pairs.groupby(["team", "currency"], sort=False).size()
    several = counts.groupby(level=0, sort=False).size()
    out = []
    for name in several[several > 1].index:
        per = counts.loc[name]
        main = str(per.idxmax())
        other = (team == name) & has & (currency != main)
        out.append((str(name), main, int(per.max()), int(per.sum()), other))
    return out


def name_checks(values: pd.Series, field: str, what: str) -> tuple[list[Check], list[str]]:
    """The row checks of the ``field`` names in ``values`` (a ``what`` name each: team, rep)
    and the warnings about look-alike spellings."""
    checks = [
        (
            mask,
            f"a {what} name usable as a folder or file name",
            f"the name {problem}; names become the folders and files of the weekly packs, "
            f"so each must be {NAME_RULE}: rename the {what} in the CRM export, or map it "
            f"to a usable name under 'values: {field}:' in a column map (docs/formats.md)",
        )
        for problem, mask in name_problems(values)
    ]
    return checks, lookalikes(values, field)


def currency_checks(team: pd.Series, currency: pd.Series) -> tuple[pd.Series, list[Check]]:
    """``currency`` with three-letter codes in capitals (``usd`` is ``USD``; names such as
    ``US Dollar`` stay), and a check per team whose rows carry more than one currency."""
    if _may_hold_lowercase(currency):  # else no code changes: USD stays USD
        code = currency.str.fullmatch(r"[A-Za-z]{3}").fillna(False).astype(bool)
        if code.any():
            currency = currency.where(~code, currency.str.upper())
    checks = [
        (
            other,
            f"the currency of team {name!r}: {main} ({count} of its {total} deals)",
            f"a team's amounts are added together: convert these amounts to {main} in the "
            "CRM report, or split the export into a team per currency (give these deals "
            "their own team in the CRM or under 'values: team:' in a column map)",
        )
        for name, main, count, total, other in mixed_currencies(team, currency)
    ]
    return currency, checks


def _may_hold_lowercase(values: pd.Series) -> bool:
    """False when no cell of an Arrow text column holds a byte of ``a``-``z`` (checked on
    the column's bytes); True for anything this cannot tell."""
    if not (isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"):
        return True
    for chunk in pa.chunked_array(pa.array(values.array)).chunks:
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            return True
        if len(chunk) == 0 or chunk.buffers()[2] is None:
            continue
        offsets = np.frombuffer(
            chunk.buffers()[1], dtype=np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        )
        first, last = int(offsets[chunk.offset]), int(offsets[chunk.offset + len(chunk)])
        raw = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[first:last]
        if bool(((raw >= 0x61) & (raw <= 0x7A)).any()):
            return True
    return False
