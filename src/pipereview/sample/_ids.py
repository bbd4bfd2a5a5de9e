"""CRM-style record ids (Salesforce, HubSpot, Dynamics GUIDs, the Chinese CRMs), vectorised.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> make_ids("cn_old", rng, np.array([7, 123456]), 2026).tolist()
['SJ2026-000007', 'SJ2026-123456']
>>> make_ids("hubspot", rng, np.array([1]), 2026).tolist()
['9800000037']
"""

from __future__ import annotations

import numpy as np

__all__ = ["make_ids"]

_B62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", np.uint8)
_SFDC_SUFFIX = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", np.uint8)
_HEX = np.frombuffer(b"0123456789abcdef", np.uint8)


def _chars(codes: np.ndarray) -> np.ndarray:
    """An (n, k) uint8 array of ASCII codes -> n strings of length k."""
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    return codes.view(f"S{codes.shape[1]}").ravel().astype(str)


def make_ids(style: str, rng: np.random.Generator, counters: np.ndarray, year: int) -> np.ndarray:
    """CRM-style record ids for sequence numbers ``counters`` (vectorised)."""
    counters = counters.astype(np.int64)
    n = len(counters)
    if n == 0:
        return np.array([], dtype=str)
    if style == "sfdc":  # 18-character Salesforce id: prefix 006, base-62 body, case suffix
        digits = (counters[:, None] // 62 ** np.arange(6, -1, -1, dtype=np.int64)) % 62
        body = np.concatenate(
            [np.tile(np.frombuffer(b"0065g000", np.uint8), (n, 1)), _B62[digits]], axis=1
        )
        upper = (body >= ord("A")) & (body <= ord("Z"))
        weights = 1 << np.arange(5)
        suffix = np.stack(
            [_SFDC_SUFFIX[(upper[:, k * 5 : (k + 1) * 5] * weights).sum(axis=1)] for k in range(3)],
            axis=1,
        )
        return _chars(np.concatenate([body, suffix], axis=1))
    if style == "hubspot":
        return (9_800_000_000 + counters * 37).astype(str)
    if style == "guid":
        raw = _HEX[rng.integers(0, 16, size=(n, 32))]
        dash = np.full((n, 1), ord("-"), np.uint8)
        return _chars(
            np.concatenate(
                [
                    raw[:, :8],
                    dash,
                    raw[:, 8:12],
                    dash,
                    raw[:, 12:16],
                    dash,
                    raw[:, 16:20],
                    dash,
                    raw[:, 20:],
                ],
                axis=1,
            )
        )
    if style == "cn_old":
        return np.strings.add(f"SJ{year}-", np.strings.zfill(counters.astype(str), 6))
    if style == "cn_new":  # the new CRM's 16-digit numeric ids
        return (1_700_000_000_000_000 + rng.integers(0, 10**14, size=n)).astype(str)
    return counters.astype(str)
