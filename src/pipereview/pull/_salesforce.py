"""``pipereview pull salesforce``: every opportunity through the REST API (SOQL, every
page), written as a Data Loader extract (API names as headers, ``Account.Name``,
``Owner.Name``...) and stored as the week with the ``salesforce_dataloader`` column map.

With ``history_out``: ``OpportunityHistory`` as a CSV with its API field names as headers,
and ``OpportunityFieldHistory`` (owner and name changes) as a second CSV beside it, with
one more row per opportunity deleted since last week (``Field`` ``deleted``). Needs the
``salesforce`` extra (simple-salesforce).

>>> flatten({"attributes": {"type": "Opportunity"}, "Id": "0061", "Account": None,
...          "Owner": {"Name": "Dana", "UserRole": {"Name": "West"}}},
...         ["Id", "Account.Name", "Owner.UserRole.Name"])
['0061', None, 'West']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from pipereview.core._errors import PullError
from pipereview.core._weeks import Week
from pipereview.history._store import SnapshotStore
from pipereview.ingest._limits import ReadLimits
from pipereview.pull._credentials import salesforce_credentials
from pipereview.pull._result import (
    REMOVED_COLUMNS,
    ProgressFactory,
    PullResult,
    store_pull,
    write_csv,
)
from pipereview.pull._retry import Retry, RetryPolicy, with_retries

__all__ = [
    "FIELD_HISTORY_FIELDS",
    "OPPORTUNITY_FIELDS",
    "OPPORTUNITY_HISTORY_FIELDS",
    "field_history_path",
    "flatten",
    "pull_salesforce",
    "salesforce_client",
    "salesforce_retry",
]

#: The opportunity fields a pull writes, in the Data Loader's headers.
OPPORTUNITY_FIELDS = (
    "Id",
    "Name",
    "Account.Name",
    "Owner.Name",
    "Owner.UserRole.Name",
    "StageName",
    "Amount",
    "Probability",
    "ForecastCategoryName",
    "CloseDate",
    "CreatedDate",
    "LastActivityDate",
    "NextStep",
)
#: The fields of the ``OpportunityHistory`` file (stage, amount, close date changes).
OPPORTUNITY_HISTORY_FIELDS = (
    "Id",
    "OpportunityId",
    "CreatedDate",
    "StageName",
    "Amount",
    "CloseDate",
    "Probability",
    "ForecastCategory",
    "ExpectedRevenue",
    "IsDeleted",
)
#: The fields of the ``OpportunityFieldHistory`` file (owner and name changes).
FIELD_HISTORY_FIELDS = ("OpportunityId", "Field", "OldValue", "NewValue", "CreatedDate", "DataType")

_CRM = "Salesforce"
_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+0000")


def pull_salesforce(
    *,
    week: str | Week,
    store: str | Path | SnapshotStore | None = None,
    team: str | None = None,
    where: str | None = None,
    fields: Sequence[str] = (),
    history_out: str | Path | None = None,
    keep_files: str | Path | None = None,
    replace: bool = False,
    add: bool = False,
    client: Any = None,
    env: Mapping[str, str] | None = None,
    retry: RetryPolicy | None = None,
    progress: ProgressFactory | None = None,
    limits: ReadLimits | None = None,
) -> PullResult:
    """Fetch every opportunity (``where``: a SOQL condition; ``fields``: more API names,
    such as custom fields), then store them as ``week``; see the module docstring.

    Everything is fetched before anything is written: a pull that fails leaves the store
    and ``history_out`` as they were. ``client`` is a ``simple_salesforce.Salesforce``
    (made from the credentials in ``env``, see :func:`salesforce_credentials`, when None).
    """
    week = week if isinstance(week, Week) else Week.parse(week)
    target = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
    target.check_writable(week, replace=replace, add=add)  # refuse before fetching
    policy = retry or RetryPolicy()
    sf = client if client is not None else salesforce_client(env, retry=policy)
    columns = [*OPPORTUNITY_FIELDS, *[f for f in fields if f not in OPPORTUNITY_FIELDS]]
    soql = f"SELECT {', '.join(columns)} FROM Opportunity"
    records = _query(sf, soql + (f" WHERE {where}" if where else ""), policy, progress)
    since = (week - 1).monday.isoformat() + "T00:00:00Z"
    deleted = _query(
        sf,
        f"SELECT Id, SystemModstamp FROM Opportunity WHERE IsDeleted = true "
        f"AND SystemModstamp >= {since}",
        policy,
        progress,
        include_deleted=True,
    )
    removed = pd.DataFrame(
        [[r["Id"], "deleted", "", _text(r["SystemModstamp"])] for r in deleted],
        columns=list(REMOVED_COLUMNS),
    )
    pulled = {str(r["Id"]) for r in [*records, *deleted]}
    history = _history(sf, policy, progress, pulled) if history_out is not None else None
    stored, kept = store_pull(
        columns,
        [flatten(r, columns) for r in records],
        name=f"salesforce-opportunities-{week}.csv",
        week=week,
        column_map="salesforce_dataloader",
        store=target,
        team=team,
        keep_files=keep_files,
        replace=replace,
        add=add,
        progress=progress,
        limits=limits,
        removed=removed,
    )
    written: tuple[Path, ...] = ()
    if history is not None and history_out is not None:
        written = _write_history(Path(history_out), *history, removed)
    return PullResult(_CRM, stored, len(records), kept, written, removed, policy.retries)


def salesforce_client(
    env: Mapping[str, str] | None = None, *, retry: RetryPolicy | None = None
) -> Any:
    """A ``simple_salesforce.Salesforce`` session from the credentials (see
    :func:`~pipereview.pull.salesforce_credentials`); the login retried as the queries
    are (``retry``)."""
    try:
        from simple_salesforce.api import Salesforce
        from simple_salesforce.exceptions import SalesforceAuthenticationFailed
    except ImportError:
        raise PullError(
            "pipereview pull salesforce needs the salesforce extra",
            hint="pip install 'pipereview[salesforce]'",
        ) from None
    credentials = salesforce_credentials(env)

    def login() -> Any:
        if "session_id" in credentials:
            return Salesforce(
                instance_url=credentials["instance_url"], session_id=credentials["session_id"]
            )
        return Salesforce(
            username=credentials["username"],
            password=credentials["password"],
            security_token=credentials["security_token"],
            domain=credentials["domain"],
        )

    try:
        return with_retries(
            login, salesforce_retry, retry or RetryPolicy(), what="the login", crm=_CRM
        )
    except SalesforceAuthenticationFailed as exc:
        raise PullError(
            f"Salesforce refused the login of {credentials.get('username')}: {exc.code}: "
            f"{exc.auth_message}",
            hint="renew SALESFORCE_PASSWORD and SALESFORCE_SECURITY_TOKEN (a new security "
            "token comes by mail after a password change); SALESFORCE_DOMAIN=test for a "
            "sandbox",
        ) from exc


def flatten(record: Mapping[str, Any], columns: Sequence[str]) -> list[Any]:
    """The values of ``columns`` (``Owner.UserRole.Name`` follows the relationships) of a
    SOQL record; None where a relationship is empty; date-times as Data Loader writes them
    (``2026-09-14T16:42:07.000Z``)."""
    values = []
    for column in columns:
        value: Any = record
        for part in column.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        values.append(_text(value))
    return values


def _text(value: Any) -> Any:
    if isinstance(value, str) and _DATETIME.fullmatch(value):
        return value[: -len("+0000")] + "Z"
    return value


def field_history_path(history_out: str | Path) -> Path:
    """Where the ``OpportunityFieldHistory`` file goes beside the ``OpportunityHistory``
    file ``history_out``.

    >>> field_history_path("backfill/history.csv").as_posix()
    'backfill/history.field-history.csv'
    """
    path = Path(history_out)
    return path.with_name(f"{path.stem}.field-history{path.suffix or '.csv'}")


def _history(
    sf: Any, policy: RetryPolicy, progress: ProgressFactory | None, pulled: set[str]
) -> tuple[list[list[Any]], list[list[Any]]]:
    """The two history objects' rows of the opportunities ``pulled`` (those of
    ``--soql-where``, and the deleted ones)."""
    stages = _query(
        sf,
        f"SELECT {', '.join(OPPORTUNITY_HISTORY_FIELDS)} FROM OpportunityHistory",
        policy,
        progress,
    )
    fields = _query(
        sf,
        f"SELECT {', '.join(FIELD_HISTORY_FIELDS)} FROM OpportunityFieldHistory "
        "WHERE Field IN ('Owner', 'Name')",
        policy,
        progress,
    )
    return (
        [flatten(r, OPPORTUNITY_HISTORY_FIELDS) for r in stages if r["OpportunityId"] in pulled],
        [flatten(r, FIELD_HISTORY_FIELDS) for r in fields if r["OpportunityId"] in pulled],
    )


def _write_history(
    path: Path, stages: list[list[Any]], fields: list[list[Any]], removed: pd.DataFrame
) -> tuple[Path, ...]:
    deletions = [[r.deal_id, "deleted", "", "true", r.at, "Boolean"] for r in removed.itertuples()]
    return (
        write_csv(path, OPPORTUNITY_HISTORY_FIELDS, stages),
        write_csv(field_history_path(path), FIELD_HISTORY_FIELDS, [*fields, *deletions]),
    )


def _query(
    sf: Any,
    soql: str,
    policy: RetryPolicy,
    progress: ProgressFactory | None,
    *,
    include_deleted: bool = False,
) -> list[dict[str, Any]]:
    """Every record of ``soql``, page by page (``nextRecordsUrl`` until ``done``)."""
    what = soql.split(" FROM ")[1].split(" ")[0]

    def call(fetch: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        return with_retries(fetch, salesforce_retry, policy, what=f"{what} records", crm=_CRM)

    page = call(lambda: sf.query(soql, include_deleted=include_deleted))
    records = list(page["records"])
    with progress() if progress else nullcontext() as bar:
        task = bar.add_task(f"fetching {what}", total=page.get("totalSize")) if bar else None
        if bar:
            bar.advance(task, len(records))
        while not page.get("done", True):
            url = page["nextRecordsUrl"]
            page = call(
                partial(sf.query_more, url, identifier_is_url=True, include_deleted=include_deleted)
            )
            records += page["records"]
            if bar:
                bar.advance(task, len(page["records"]))
    return records


def salesforce_retry(exc: Exception) -> Retry | None:
    """A Salesforce API failure: a :class:`Retry` for the rate limit
    (``REQUEST_LIMIT_EXCEEDED``), HTTP 429 and 5xx, a dropped connection; a
    :class:`~pipereview.core.PullError` raised for an expired session, missing permissions
    and a refused query; None for anything else."""
    import requests

    passing = requests.ConnectionError | requests.Timeout | requests.exceptions.ChunkedEncodingError
    if isinstance(exc, passing):
        return Retry(f"connection failed ({type(exc).__name__})")
    if isinstance(exc, requests.RequestException):  # an invalid URL, too many redirects
        raise PullError(
            f"could not reach Salesforce: {type(exc).__name__}: {exc}",
            hint="check SALESFORCE_INSTANCE_URL (https://yourdomain.my.salesforce.com) or "
            "SALESFORCE_DOMAIN (login or test), and the network's proxy settings",
        )
    status = getattr(exc, "status", None)
    if not isinstance(status, int) or not type(exc).__module__.startswith("simple_salesforce"):
        return None
    if type(exc).__name__ == "SalesforceAuthenticationFailed":  # the login's: its caller says
        return None
    code, message = _error_code(getattr(exc, "content", None))
    if code == "REQUEST_LIMIT_EXCEEDED" or status == 429 or status >= 500:
        return Retry(f"HTTP {status} {code or ''}".strip() + (f": {message}" if message else ""))
    if status == 401:
        raise PullError(
            f"Salesforce refused the session: HTTP 401 {code or 'INVALID_SESSION_ID'}",
            hint="renew SALESFORCE_ACCESS_TOKEN (the OAuth session expired or was revoked), "
            "or unset it and SALESFORCE_INSTANCE_URL to log in with SALESFORCE_USERNAME, "
            "SALESFORCE_PASSWORD and SALESFORCE_SECURITY_TOKEN",
        )
    if status == 403:
        raise PullError(
            f"Salesforce refused the request: HTTP 403 {code}: {message}",
            hint="the user needs the API Enabled permission and read access to "
            "Opportunity (and its history) in an edition with API access",
        )
    raise PullError(
        f"Salesforce refused the query: HTTP {status} {code}: {message}",
        hint="check --soql-where and --field: every field must exist on Opportunity "
        "(API names, e.g. Budget_Confirmed__c) and the condition must be valid SOQL",
    )


def _error_code(content: Any) -> tuple[str, str]:
    """``(errorCode, message)`` of a REST API error body (a list of errors)."""
    first = content[0] if isinstance(content, list) and content else content
    if isinstance(first, Mapping):
        return str(first.get("errorCode", "")), str(first.get("message", ""))
    return "", str(content or "")
