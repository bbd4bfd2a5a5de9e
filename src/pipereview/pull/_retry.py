"""Calls to a CRM's API retried on rate limits and passing failures, with exponential
backoff that honours the server's ``Retry-After``, a bounded number of times.

A connector tells :func:`with_retries` what an exception means through its ``classify``
function: a :class:`Retry` (wait and try again, perhaps after the server's delay) or
``None`` (raise it now: an expired token, a malformed query). The sleep is injectable,
so tests record the waits instead of waiting.

>>> waits = []
>>> policy = RetryPolicy(attempts=4, sleep=waits.append)
>>> calls = iter([TimeoutError(), TimeoutError(), "page 1"])
>>> def fetch():
...     outcome = next(calls)
...     if isinstance(outcome, Exception):
...         raise outcome
...     return outcome
>>> with_retries(fetch, lambda exc: Retry("timed out"), policy, what="the deals")
'page 1'
>>> waits, policy.retries
([1.0, 2.0], 2)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from pipereview.core._errors import InputError, PullError

__all__ = ["Retry", "RetryPolicy", "retry_after", "with_retries"]

T = TypeVar("T")


@dataclass(frozen=True)
class Retry:
    """A failure worth another try: ``reason`` for the message when the tries run out,
    ``after`` the seconds the server asked to wait (``Retry-After``), if it said."""

    reason: str
    after: float | None = None


@dataclass
class RetryPolicy:
    """How often and how long to try: ``attempts`` calls in all, waits of ``base``,
    2 x ``base``, 4 x ``base``... seconds up to ``cap`` (a server's ``Retry-After`` wins
    when longer, up to ``cap`` too); ``sleep`` waits (tests pass a recorder). ``retries``
    counts the retries made across the calls of one pull.

    >>> RetryPolicy(base=2.0).delay(3)
    16.0
    """

    attempts: int = 6
    base: float = 1.0
    cap: float = 120.0
    sleep: Callable[[float], object] = time.sleep
    retries: int = field(default=0)

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base < 0 or self.cap < self.base:
            raise InputError(
                f"retry policy with attempts={self.attempts}, base={self.base}, cap={self.cap}",
                expected="at least 1 attempt and 0 <= base <= cap",
                hint="give RetryPolicy(attempts=6, base=1.0, cap=120.0) or other values in range",
            )

    def delay(self, retry: int, server: float | None = None) -> float:
        """The wait before the ``retry``-th retry (0 for the first)."""
        backoff = float(min(self.cap, self.base * 2**retry))
        return float(min(self.cap, max(backoff, server))) if server is not None else backoff


def with_retries(
    call: Callable[[], T],
    classify: Callable[[Exception], Retry | None],
    policy: RetryPolicy,
    *,
    what: str,
    crm: str = "the CRM",
) -> T:
    """``call()``, tried again after the policy's waits while ``classify`` says the
    failure passes; a :class:`~pipereview.core.PullError` once the tries are used up.
    Failures ``classify`` does not retry are raised as they are."""
    for attempt in range(policy.attempts):
        try:
            return call()
        except Exception as exc:
            verdict = classify(exc)
            if verdict is None:
                raise
            if attempt == policy.attempts - 1:
                raise PullError(
                    f"{crm} kept refusing while fetching {what}: {verdict.reason} "
                    f"({policy.attempts} attempts); nothing was stored",
                    hint="run the pull again later (the API's rate limit resets; see the "
                    "usage of your API limits in the CRM's settings), or check the network",
                ) from exc
            policy.retries += 1
            policy.sleep(policy.delay(attempt, verdict.after))
    raise AssertionError("a retry policy without attempts")  # pragma: no cover


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (a number of seconds; an HTTP date is not
    used), None when absent or unreadable.

    >>> retry_after("7"), retry_after(None), retry_after("Wed, 21 Oct 2026 07:28:00 GMT")
    (7.0, None, None)
    """
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
