"""The week's figures from the companion exports, each computed once: activity per rep and
per stage advance (activities export), lead conversion by source and by rep (leads
export), collection, overdue invoices and days sales outstanding (invoices export), and
the customer lifecycle (invoiced revenue, else the won deals of the history).

A figure whose export is absent is ``None``; the review and the coaching rules then say
"not available: no <kind> export" instead of a finding. So are the collection figures of
an invoices export that does not say what was paid (:attr:`CompanionFigures.payments_known`).

>>> from pipereview.history._companions import Companions
>>> figures = CompanionFigures(Companions(), None, "2026-W47")
>>> figures.activity_rep is None, figures.lead_sources is None, figures.overdue is None
(True, True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from pipereview.core._weeks import Week
from pipereview.diagnostics._activity import ActivitySettings, activity_advances, activity_counts
from pipereview.diagnostics._collections import (
    CollectionSettings,
    collection_rate,
    days_sales_outstanding,
    overdue_invoices,
)
from pipereview.diagnostics._leads import LeadSettings, lead_conversion
from pipereview.diagnostics._lifecycle import LifecycleSettings, customer_lifecycle
from pipereview.history._companions import Companions
from pipereview.history._prepared import PreparedHistory

__all__ = ["CompanionFigures"]


@dataclass(frozen=True, eq=False)
class CompanionFigures:
    """The companion exports' figures as of ``as_of``, on ``history`` (the prepared deals
    history up to the week: stage advances, won deals) with each diagnostic's settings."""

    companions: Companions
    history: pd.DataFrame | PreparedHistory | None
    as_of: Week | str
    activity_settings: ActivitySettings = field(default_factory=ActivitySettings)
    lead_settings: LeadSettings = field(default_factory=LeadSettings)
    collection_settings: CollectionSettings = field(default_factory=CollectionSettings)
    lifecycle_settings: LifecycleSettings = field(default_factory=LifecycleSettings)

    @cached_property
    def activity_rep(self) -> pd.DataFrame | None:
        """Activities per rep in the window against the team's norm (:func:`activity_counts`)."""
        activities = self.companions.activities
        if activities is None:
            return None
        return activity_counts(activities, self.as_of, self.activity_settings)

    @cached_property
    def activity_advances(self) -> pd.DataFrame | None:
        """Activities per stage advance of each rep's deals (:func:`activity_advances`)."""
        activities = self.companions.activities
        if activities is None or self.history is None:
            return None
        return activity_advances(activities, self.history, self.as_of, self.activity_settings)

    @cached_property
    def lead_sources(self) -> pd.DataFrame | None:
        """Lead conversion per team and lead source (:func:`lead_conversion`)."""
        leads = self.companions.leads
        if leads is None:
            return None
        return lead_conversion(
            leads, self.as_of, self.lead_settings, group_columns=("team", "lead_source")
        )

    @cached_property
    def lead_reps(self) -> pd.DataFrame | None:
        """Lead conversion per team and rep (:func:`lead_conversion`)."""
        leads = self.companions.leads
        if leads is None:
            return None
        return lead_conversion(
            leads, self.as_of, self.lead_settings, group_columns=("team", "owner")
        )

    @cached_property
    def payments_known(self) -> bool:
        """Whether the invoices export says what was paid (an amount paid, an amount still
        due or a payment status); without it no invoice can be told paid or unpaid, and the
        collection figures are None."""
        invoices = self.companions.invoices
        return invoices is not None and bool(invoices["paid_amount"].notna().any())

    @property
    def _paid_invoices(self) -> pd.DataFrame | None:
        return self.companions.invoices if self.payments_known else None

    @cached_property
    def collection_team(self) -> pd.DataFrame | None:
        """The collection rate per team (:func:`collection_rate`)."""
        invoices = self._paid_invoices
        if invoices is None:
            return None
        return collection_rate(invoices, self.as_of, self.collection_settings)

    @cached_property
    def collection_rep(self) -> pd.DataFrame | None:
        """The collection rate per team and rep (:func:`collection_rate` by rep)."""
        invoices = self._paid_invoices
        if invoices is None:
            return None
        return collection_rate(invoices, self.as_of, self.collection_settings, by="rep")

    @cached_property
    def overdue(self) -> pd.DataFrame | None:
        """The invoices owing money past the overdue limit (:func:`overdue_invoices`)."""
        invoices = self._paid_invoices
        if invoices is None:
            return None
        return overdue_invoices(invoices, self.as_of, self.collection_settings)

    @cached_property
    def dso(self) -> pd.DataFrame | None:
        """Days sales outstanding per team (:func:`days_sales_outstanding`)."""
        invoices = self._paid_invoices
        if invoices is None:
            return None
        return days_sales_outstanding(invoices, self.as_of, self.collection_settings)

    @cached_property
    def lifecycle(self) -> pd.DataFrame | None:
        """Each account's lifecycle stage (:func:`customer_lifecycle`): from the invoices
        when there are any, else from the history's won deals (None without either)."""
        invoices = self.companions.invoices
        if invoices is None and self.history is None:
            return None
        return customer_lifecycle(
            invoices, self.history, as_of=self.as_of, settings=self.lifecycle_settings
        )
