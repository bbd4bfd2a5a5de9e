"""Scheduled pulls from the CRMs' APIs (``pipereview pull salesforce|hubspot``): every
deal fetched, written as the export file the CRM would give, and stored through
:func:`~pipereview.history.ingest_week` with the shipped column map, so a pull meets every
check of an export; history files for backfill; the deals deleted or merged in the CRM.
The connectors need the extras ``pipereview[salesforce]`` and ``pipereview[hubspot]``.

>>> from pipereview.pull import HISTORY_COLUMNS
>>> ",".join(HISTORY_COLUMNS)
'deal_id,field,old_value,new_value,changed_at'
"""

from __future__ import annotations

from pipereview.pull._credentials import (
    HUBSPOT_VARIABLES,
    KEYRING_SERVICE,
    SALESFORCE_VARIABLES,
    credential,
    hubspot_token,
    salesforce_credentials,
)
from pipereview.pull._hubspot import hubspot_client, hubspot_retry, pull_hubspot
from pipereview.pull._hubspot_data import (
    DEAL_PROPERTIES,
    FORECAST_LABELS,
    HISTORY_FIELDS,
    Lookups,
    archivals,
    deal_row,
    history_rows,
    hubspot_time,
    merges,
    primary_company,
)
from pipereview.pull._result import (
    HISTORY_COLUMNS,
    REMOVED_COLUMNS,
    PullResult,
    removed_summary,
    store_pull,
    write_csv,
)
from pipereview.pull._retry import Retry, RetryPolicy, retry_after, with_retries
from pipereview.pull._salesforce import (
    FIELD_HISTORY_FIELDS,
    OPPORTUNITY_FIELDS,
    OPPORTUNITY_HISTORY_FIELDS,
    field_history_path,
    flatten,
    pull_salesforce,
    salesforce_client,
    salesforce_retry,
)

__all__ = [
    "DEAL_PROPERTIES",
    "FIELD_HISTORY_FIELDS",
    "FORECAST_LABELS",
    "HISTORY_COLUMNS",
    "HISTORY_FIELDS",
    "HUBSPOT_VARIABLES",
    "KEYRING_SERVICE",
    "OPPORTUNITY_FIELDS",
    "OPPORTUNITY_HISTORY_FIELDS",
    "REMOVED_COLUMNS",
    "SALESFORCE_VARIABLES",
    "Lookups",
    "PullResult",
    "Retry",
    "RetryPolicy",
    "archivals",
    "credential",
    "deal_row",
    "field_history_path",
    "flatten",
    "history_rows",
    "hubspot_client",
    "hubspot_retry",
    "hubspot_time",
    "hubspot_token",
    "merges",
    "primary_company",
    "pull_hubspot",
    "pull_salesforce",
    "removed_summary",
    "retry_after",
    "salesforce_client",
    "salesforce_credentials",
    "salesforce_retry",
    "store_pull",
    "with_retries",
    "write_csv",
]
