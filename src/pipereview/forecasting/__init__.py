"""Forecasts that learn: the reasons behind every change of the pipeline and the
forecast-category matrix, reps' forecast calls and their bias, pacing against past
quarters, several forecast methods of a quarter's final won, and a backtest over the
stored history that says which one to trust.

>>> from pipereview.forecasting import week_of_quarter
>>> week_of_quarter("2026-W40"), week_of_quarter("2026-W53")
(1, 14)
"""

from __future__ import annotations

from pipereview.forecasting._backtest import (
    BACKTEST_COLUMNS,
    BacktestSettings,
    backtest,
    backtest_summary,
    recommended_method,
    why_not_recommended,
)
from pipereview.forecasting._backtestcache import CACHED_SUMMARIES, cached_backtest_summary
from pipereview.forecasting._callbias import (
    CallBias,
    CallSettings,
    bias_label,
    call_bias,
    call_freshness,
    corrected_call,
)
from pipereview.forecasting._categorymatrix import (
    MATRIX_COLUMNS,
    MATRIX_ROWS,
    NO_CATEGORY_TEXT,
    CategoryMatrix,
    category_matrix,
)
from pipereview.forecasting._forecastlearning import (
    LEARNED_COLUMNS,
    QuarterLearning,
    closed_quarters,
    learn_quarter,
    record_starts,
)
from pipereview.forecasting._forecastmethods import (
    BASELINES,
    FORECAST_METHODS,
    forecast_methods,
    quarter_forecasts,
)
from pipereview.forecasting._pacing import (
    RemainingCoverage,
    coverage_of_remaining,
    pacing,
)
from pipereview.forecasting._quarterweeks import (
    quarter_weeks,
    shift_quarter,
    week_of_quarter,
)
from pipereview.forecasting._reasons import (
    REASON_COLUMNS,
    REASONS,
    change_reasons,
    reasons_summary,
    week_movements,
)

__all__ = [
    "BACKTEST_COLUMNS",
    "BASELINES",
    "CACHED_SUMMARIES",
    "FORECAST_METHODS",
    "LEARNED_COLUMNS",
    "MATRIX_COLUMNS",
    "MATRIX_ROWS",
    "NO_CATEGORY_TEXT",
    "REASONS",
    "REASON_COLUMNS",
    "BacktestSettings",
    "CallBias",
    "CallSettings",
    "CategoryMatrix",
    "QuarterLearning",
    "RemainingCoverage",
    "backtest",
    "backtest_summary",
    "bias_label",
    "cached_backtest_summary",
    "call_bias",
    "call_freshness",
    "category_matrix",
    "change_reasons",
    "closed_quarters",
    "corrected_call",
    "coverage_of_remaining",
    "forecast_methods",
    "learn_quarter",
    "pacing",
    "quarter_forecasts",
    "quarter_weeks",
    "reasons_summary",
    "recommended_method",
    "record_starts",
    "shift_quarter",
    "week_movements",
    "week_of_quarter",
    "why_not_recommended",
]
