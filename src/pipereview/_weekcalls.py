"""The week's figures of the reps' forecast calls, computed once and shared: the
review's calls section and the coaching rule ``call_bias`` read the same
:class:`~pipereview.forecasting.CallBias` (:attr:`WeekCalls.call_bias` of
:class:`~pipereview.week.WeekDiagnostics`).

>>> from pipereview.week import WeekDiagnostics
>>> h = pd.DataFrame({"snapshot_week": "2026-W47", "team": "T", "deal_id": ["a"],
...     "owner": "Ann", "stage": "initial_contact", "stage_model": "generic_4",
...     "amount": [1.0], "currency": "EUR", "close_date": pd.Timestamp("2026-12-31"),
...     "probability": [0.5]})
>>> WeekDiagnostics(h, as_of="2026-W47").call_bias is None  # no calls stored
True
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd

from pipereview.forecasting._callbias import CallBias, call_bias

if TYPE_CHECKING:
    from pipereview.config import Config
    from pipereview.core._weeks import Week
    from pipereview.history._prepared import PreparedHistory

__all__ = ["WeekCalls"]


class WeekCalls:
    """What :class:`~pipereview.week.WeekDiagnostics` computes from its
    ``forecast_calls``, once, on first use."""

    if TYPE_CHECKING:  # given by the week's diagnostics
        forecast_calls: pd.DataFrame | None
        config: Config

        @property
        def prepared(self) -> PreparedHistory: ...

        @property
        def week(self) -> Week: ...

    @cached_property
    def call_bias(self) -> CallBias | None:
        """:func:`~pipereview.forecasting.call_bias` of the week's calls against the
        history up to the week, with the configuration's ``forecast_calls`` settings;
        None when no calls are stored."""
        calls = self.forecast_calls
        if calls is None or calls.empty:
            return None
        return call_bias(calls, self.prepared, self.week, self.config.forecast_calls)
