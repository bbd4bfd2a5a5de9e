"""The weekly review's sections on forecasts that learn, as methods of
:class:`~pipereview.delivery._review.WeeklyReview`: why the pipeline changed, the forecast
calls, pacing against past quarters and which forecast to trust.

>>> from pipereview.delivery._review import WeeklyReview
>>> issubclass(WeeklyReview, ForecastingSections)
True
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, cast

import pandas as pd

from pipereview.delivery import _reviewcalls, _reviewreasons
from pipereview.delivery import _reviewforecastcheck as forecast_check
from pipereview.delivery._reviewsections import Section

if TYPE_CHECKING:
    from pipereview.delivery._review import WeeklyReview

__all__: list[str] = []  # reached through WeeklyReview, which has these sections


class ForecastingSections:
    """The sections of :mod:`pipereview.forecasting`'s figures (a part of WeeklyReview)."""

    @property
    def _review(self) -> WeeklyReview:
        return cast("WeeklyReview", self)

    @cached_property
    def forecasting_sections(self) -> tuple[Section, Section, Section, Section]:
        """The four sections below (the stored forecast calls read), computed once for the
        review: the dashboard shows them on the team's view and on each rep's."""
        return (
            self.reasons_section(),
            self.calls_section(),
            self.pacing_section(),
            self.forecast_check_section(),
        )

    def reasons_section(self) -> Section:
        """Why the pipeline changed since the stored week before: each reason's deals and
        effect, and the forecast-category matrix (:mod:`pipereview.delivery._reviewreasons`)."""
        return replace(_reviewreasons.reasons_section(self._review), anchor="reasons")

    def calls_section(self) -> Section:
        """Whose forecast call is in, this quarter's calls corrected by each caller's bias,
        and each rep's bias (:mod:`pipereview.delivery._reviewcalls`)."""
        return replace(_reviewcalls.calls_section(self._review), anchor="calls")

    def pacing_section(self) -> Section:
        """This quarter at week N against past quarters, and the remaining target's cover."""
        return replace(forecast_check.pacing_section(self._review), anchor="pacing")

    def forecast_check_section(self, calls: pd.DataFrame | None = None) -> Section:
        """The forecast methods side by side, each with its error measured by the backtest
        (the team's stored forecast calls unless ``calls`` is given)."""
        review = self._review
        calls = review.forecast_calls if calls is None else calls
        section = forecast_check.forecast_check_section(review, calls)
        return replace(section, anchor="forecast_check")
