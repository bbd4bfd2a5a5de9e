"""``pipereview pull hubspot``: every deal through the CRM API v3 (every page, by
``paging.next.after``), written as the deals export prints them (property labels as
headers, stage and owner names, the primary company) and stored as the week with the
``hubspot`` column map.

With ``history_out``: the history of stage, amount, close date, probability, forecast
category, owner and deal name (``propertiesWithHistory``) in the generic long format
``deal_id,field,old_value,new_value,changed_at``, with a row per deal archived
(``deleted``) or merged into another (``merged_into``) since last week. Needs the
``hubspot`` extra (hubspot-api-client).

>>> hubspot_retry(ValueError("not an API error")) is None
True
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from pipereview.core._errors import PullError
from pipereview.core._weeks import Week
from pipereview.history._store import SnapshotStore
from pipereview.ingest._limits import ReadLimits
from pipereview.pull._credentials import hubspot_token
from pipereview.pull._hubspot_data import (
    DEAL_PROPERTIES,
    HISTORY_FIELDS,
    Lookups,
    archivals,
    deal_row,
    history_rows,
    merges,
    primary_company,
)
from pipereview.pull._result import (
    HISTORY_COLUMNS,
    REMOVED_COLUMNS,
    ProgressFactory,
    PullResult,
    store_pull,
    write_csv,
)
from pipereview.pull._retry import Retry, RetryPolicy, retry_after, with_retries

__all__ = ["hubspot_client", "hubspot_retry", "pull_hubspot"]

_CRM = "HubSpot"
_FIELD_NAMES = {"deleted": "deleted", "merged": "merged_into"}


def pull_hubspot(
    *,
    week: str | Week,
    store: str | Path | SnapshotStore | None = None,
    team: str | None = None,
    pipeline: str | None = None,
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
    """Fetch every deal (of ``pipeline``, its ID or label, when given), then store them as
    ``week``; see the module docstring. Everything is fetched before anything is written:
    a pull that fails leaves the store and ``history_out`` as they were. ``client`` is a
    ``hubspot.HubSpot`` (made from ``HUBSPOT_ACCESS_TOKEN`` in ``env`` when None)."""
    week = week if isinstance(week, Week) else Week.parse(week)
    target = store if isinstance(store, SnapshotStore) else SnapshotStore(store)
    target.check_writable(week, replace=replace, add=add)  # refuse before fetching
    policy = retry or RetryPolicy()
    hub = client if client is not None else hubspot_client(env)

    def call(fetch: Callable[[], Any], what: str) -> Any:
        response = with_retries(fetch, hubspot_retry, policy, what=what, crm=_CRM)
        return json.loads(response.data or b"{}")

    lookups = _lookups(hub, call)
    deals = _deals(hub, call, progress, archived=False)
    if pipeline is not None:
        deals = [d for d in deals if _in_pipeline(d, pipeline, lookups)]
    archived = _deals(hub, call, progress, archived=True)
    since = (week - 1).monday.isoformat() + "T00:00:00Z"
    merged = merges(deals, since)
    removed_rows = [*archivals(archived, since, {m[0] for m in merged}), *merged]
    removed = pd.DataFrame(removed_rows, columns=list(REMOVED_COLUMNS))
    lookups.companies = _companies(hub, call, deals)
    stored, kept = store_pull(
        ["Record ID", *DEAL_PROPERTIES.values(), "Associated Company"],
        [deal_row(d, lookups) for d in deals],
        name=f"hubspot-deals-{week}.csv",
        week=week,
        column_map="hubspot",
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
    if history_out is not None:
        rows = [row for d in deals for row in history_rows(d, lookups)]
        rows += [
            [d, _FIELD_NAMES[how], None, "true" if how == "deleted" else into, at]
            for d, how, into, at in removed_rows
        ]
        written = (write_csv(Path(history_out), HISTORY_COLUMNS, rows),)
    return PullResult(_CRM, stored, len(deals), kept, written, removed, policy.retries)


def hubspot_client(env: Mapping[str, str] | None = None, *, host: str | None = None) -> Any:
    """A ``hubspot.HubSpot`` client with the access token (``HUBSPOT_ACCESS_TOKEN``), at
    ``host`` (the API's, https://api.hubapi.com, when None). Its HTTP layer does not retry:
    the pull's :class:`~pipereview.pull.RetryPolicy` does, counting and bounding the tries."""
    try:
        from hubspot import HubSpot
        from urllib3.util.retry import Retry as HttpRetry
    except ImportError:
        raise PullError(
            "pipereview pull hubspot needs the hubspot extra",
            hint="pip install 'pipereview[hubspot]'",
        ) from None
    token = hubspot_token(env)
    no_retry = HttpRetry(total=0, respect_retry_after_header=False, raise_on_status=False)
    settings: dict[str, Any] = {"host": host} if host else {}
    return HubSpot(access_token=token, retry=no_retry, **settings)


def _lookups(hub: Any, call: Callable[[Callable[[], Any], str], Any]) -> Lookups:
    """Pipelines and their stages, owners (active and deactivated) and their teams."""
    lookups = Lookups()
    pipelines = call(
        lambda: hub.crm.pipelines.pipelines_api.get_all(
            object_type="deals", _preload_content=False
        ),
        "the deal pipelines",
    )
    for line in pipelines.get("results", []):
        lookups.pipelines[str(line["id"])] = line["label"]
        lookups.stages.update({str(s["id"]): s["label"] for s in line.get("stages", [])})
    for archived in ("false", "true"):  # deactivated users still own deals and history
        _owners(hub, call, lookups, archived=archived)
    return lookups


def _owners(
    hub: Any, call: Callable[[Callable[[], Any], str], Any], lookups: Lookups, *, archived: str
) -> None:
    """Every owner's name and teams into ``lookups``, page by page."""
    after: str | None = None
    while True:
        page = call(
            partial(
                hub.crm.owners.owners_api.get_page,
                limit=500,
                after=after,
                archived=archived,
                _preload_content=False,
            ),
            "the owners",
        )
        for owner in page.get("results", []):
            name = " ".join(p for p in (owner.get("firstName"), owner.get("lastName")) if p)
            lookups.owners.setdefault(
                str(owner["id"]), name or str(owner.get("email") or owner["id"])
            )
            for team in owner.get("teams") or []:
                lookups.teams[str(team["id"])] = team["name"]
                if team.get("primary"):
                    lookups.owner_teams.setdefault(str(owner["id"]), team["name"])
        after = ((page.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            return


def _deals(
    hub: Any,
    call: Callable[[Callable[[], Any], str], Any],
    progress: ProgressFactory | None,
    *,
    archived: bool,
) -> list[dict[str, Any]]:
    """Every deal (or every archived deal), page by page; live deals with the history of
    the properties the history file and the merges need (at most 50 a page then)."""
    history = [*HISTORY_FIELDS, "hs_merged_object_ids"]
    what = "the archived deals" if archived else "the deals"
    deals: list[dict[str, Any]] = []
    after: str | None = None
    with progress() if progress else nullcontext() as bar:
        task = bar.add_task(f"fetching {what}", total=None) if bar else None
        while True:
            page = call(
                partial(
                    hub.crm.deals.basic_api.get_page,
                    limit=100 if archived else 50,
                    after=after,
                    properties=["dealname"] if archived else [*DEAL_PROPERTIES],
                    properties_with_history=None if archived else history,
                    associations=None if archived else ["companies"],
                    archived="true" if archived else "false",  # as the API documents it
                    _preload_content=False,
                ),
                what,
            )
            deals += page.get("results", [])
            if bar:
                bar.advance(task, len(page.get("results", [])))
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return deals


def _companies(
    hub: Any, call: Callable[[Callable[[], Any], str], Any], deals: list[dict[str, Any]]
) -> dict[str, str]:
    """The names of the deals' primary companies, read 100 at a time."""
    ids = sorted({c for c in (primary_company(d) for d in deals) if c})
    names: dict[str, str] = {}
    for start in range(0, len(ids), 100):
        body = {"inputs": [{"id": i} for i in ids[start : start + 100]], "properties": ["name"]}
        batch = call(
            partial(
                hub.crm.companies.batch_api.read,
                batch_read_input_simple_public_object_id=body,
                _preload_content=False,
            ),
            "the companies",
        )
        for company in batch.get("results", []):
            names[str(company["id"])] = (company.get("properties") or {}).get("name") or ""
    return names


def _in_pipeline(deal: Mapping[str, Any], pipeline: str, lookups: Lookups) -> bool:
    value = str((deal.get("properties") or {}).get("pipeline") or "")
    return pipeline in (value, lookups.pipelines.get(value))


def hubspot_retry(exc: Exception) -> Retry | None:
    """A HubSpot API failure: a :class:`Retry` for HTTP 429 (the secondly and
    ten-secondly limits; after ``Retry-After`` or the ``X-HubSpot-RateLimit-Interval-
    Milliseconds`` window), 5xx and a dropped connection; a
    :class:`~pipereview.core.PullError` raised for a refused token (401), missing scopes
    (403), the daily limit and any other refusal; None for anything else."""
    import urllib3

    if isinstance(exc, urllib3.exceptions.HTTPError):
        return Retry(f"connection failed ({type(exc).__name__})")
    status = getattr(exc, "status", None)
    if not isinstance(status, int) or not type(exc).__module__.startswith("hubspot"):
        return None
    body = _body(getattr(exc, "body", None))
    message = str(body.get("message", "")) or str(getattr(exc, "reason", ""))
    headers = getattr(exc, "headers", None) or {}
    if status == 429 and body.get("policyName") != "DAILY":
        window = retry_after(headers.get("X-HubSpot-RateLimit-Interval-Milliseconds"))
        wait = retry_after(headers.get("Retry-After"))
        return Retry(f"HTTP 429: {message}", wait if wait is not None else _ms(window))
    if status >= 500 or status == 0:
        return Retry(f"HTTP {status}: {message}")
    raise PullError(f"HubSpot refused the request: HTTP {status}: {message}", hint=_hint(status))


def _hint(status: int) -> str:
    if status == 401:
        return (
            "renew HUBSPOT_ACCESS_TOKEN: the token expired, was rotated or deleted "
            "(HubSpot > Development > Legacy apps, or your service key)"
        )
    if status == 403:
        return (
            "give the private app or service key the scopes crm.objects.deals.read, "
            "crm.objects.companies.read and crm.objects.owners.read, then renew "
            "HUBSPOT_ACCESS_TOKEN"
        )
    if status == 429:
        return "the account's daily API limit is used up: run the pull after midnight (the account's time zone)"
    return "check --pipeline and the deal properties; run with --debug for the request"


def _ms(value: float | None) -> float | None:
    return value / 1000 if value is not None else None


def _body(raw: Any) -> dict[str, Any]:
    try:
        parsed = json.loads(raw) if isinstance(raw, bytes | str) else raw
    except ValueError:
        return {"message": str(raw)[:200]}
    return parsed if isinstance(parsed, dict) else {}
