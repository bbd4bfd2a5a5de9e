"""``pipereview pull hubspot`` offline: hubspot-api-client pointed at a loopback HTTP
server that answers with the CRM API v3's documented shapes (``results``,
``paging.next.after``, ``propertiesWithHistory``, ``associations``, ``archivedAt``; errors
as ``{"status": "error", "message", "category"}``, 429 with ``policyName`` and the
``X-HubSpot-RateLimit-*`` headers)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipereview.core import PullError
from pipereview.history import SnapshotStore
from pipereview.pull import RetryPolicy, hubspot_client, pull_hubspot

hubspot = pytest.importorskip("hubspot")

PIPELINES = {
    "results": [
        {
            "id": "default",
            "label": "Sales Pipeline",
            "displayOrder": 0,
            "stages": [
                {
                    "id": "appointmentscheduled",
                    "label": "Appointment Scheduled",
                    "displayOrder": 0,
                    "metadata": {"probability": "0.2"},
                },
                {
                    "id": "presentationscheduled",
                    "label": "Presentation Scheduled",
                    "displayOrder": 2,
                    "metadata": {"probability": "0.6"},
                },
            ],
        }
    ]
}
OWNERS = {
    "results": [
        {
            "id": "41629779",
            "email": "jordan@example.com",
            "firstName": "Jordan",
            "lastName": "Ellis",
            "archived": False,
            "teams": [{"id": "101", "name": "Mid-Market East", "primary": True}],
        },
        {
            "id": "41629780",
            "email": "mei@example.com",
            "firstName": "Mei",
            "lastName": "Tanaka",
            "archived": False,
            "teams": [{"id": "102", "name": "Mid-Market West", "primary": True}],
        },
    ]
}

ARCHIVED_OWNERS = {
    "results": [
        {
            "id": "41620001",
            "email": "sam@example.com",
            "firstName": "Sam",
            "lastName": "Gone",
            "archived": True,
            "teams": [],
        },
    ]
}


def _deal(
    id_: str,
    name: str,
    stage: str,
    owner: str,
    amount: str,
    company: str | None,
    history: dict[str, list[dict[str, str]]],
) -> dict[str, Any]:
    deal: dict[str, Any] = {
        "id": id_,
        "properties": {
            "dealname": name,
            "dealstage": stage,
            "pipeline": "default",
            "hubspot_owner_id": owner,
            "amount": amount,
            "deal_currency_code": "USD",
            "hs_deal_stage_probability": "0.6" if stage == "presentationscheduled" else "0.2",
            "hs_forecast_category": "BEST_CASE",
            "closedate": "2026-12-15T17:00:00Z",
            "createdate": "2026-10-02T09:41:12.345Z",
            "hs_object_id": id_,
        },
        "propertiesWithHistory": history,
        "createdAt": "2026-10-02T09:41:12.345Z",
        "updatedAt": "2026-12-01T09:00:00Z",
        "archived": False,
    }
    if company:
        deal["associations"] = {
            "companies": {"results": [{"id": company, "type": "deal_to_company"}]}
        }
    return deal


DEALS = [
    _deal(
        "18273645012",
        "Tailspin - Scanners",
        "presentationscheduled",
        "41629779",
        "36000",
        "9876543210",
        {
            "dealstage": [  # newest first, as the API returns the history
                {
                    "value": "presentationscheduled",
                    "timestamp": "2026-11-20T14:03:11.123Z",
                    "sourceType": "CRM_UI",
                },
                {
                    "value": "appointmentscheduled",
                    "timestamp": "2026-10-02T09:41:12.345Z",
                    "sourceType": "CRM_UI",
                },
            ],
            "amount": [
                {"value": "36000", "timestamp": "2026-10-02T09:41:12.345Z", "sourceType": "CRM_UI"}
            ],
            "hs_merged_object_ids": [
                {"value": "18273645999", "timestamp": "2026-12-01T09:00:00Z", "sourceType": "MERGE"}
            ],
        },
    ),
    _deal(
        "18273645077",
        "Adatum - Telematics",
        "appointmentscheduled",
        "41629780",
        "15500",
        None,
        {
            "hubspot_owner_id": [
                {"value": "41629780", "timestamp": "2026-11-25T08:00:00Z", "sourceType": "CRM_UI"},
                {"value": "41620001", "timestamp": "2026-11-03T14:12:00Z", "sourceType": "CRM_UI"},
            ],
        },
    ),
]
ARCHIVED = {
    "results": [
        {
            "id": "18273645999",
            "properties": {"dealname": "Tailspin (dup)"},
            "archived": True,
            "archivedAt": "2026-12-01T09:00:00Z",
        },
        {
            "id": "18273645555",
            "properties": {"dealname": "Lost test"},
            "archived": True,
            "archivedAt": "2026-12-02T11:30:00Z",
        },
        {
            "id": "18273640001",
            "properties": {"dealname": "Old"},
            "archived": True,
            "archivedAt": "2026-10-01T11:30:00Z",
        },
    ]
}
COMPANIES = {
    "status": "COMPLETE",
    "results": [{"id": "9876543210", "properties": {"name": "Tailspin Toys"}, "archived": False}],
}


class Portal:
    """The HubSpot account behind the loopback server: its answers, the requests it got,
    and failures to answer first (``(status, headers, body)``, used up in order; the last
    one forever when ``forever``)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.failures: list[tuple[int, dict[str, str], dict[str, Any]]] = []
        self.forever = False
        self.fail_only = ""  # fail only the requests whose URL holds this

    def answer(self, method: str, url: str) -> tuple[int, dict[str, str], dict[str, Any]]:
        self.requests.append((method, url))
        if self.failures and self.fail_only in url:
            return self.failures[0] if self.forever else self.failures.pop(0)
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        if parts.path.startswith("/crm/v3/pipelines/deals"):
            return 200, {}, PIPELINES
        if parts.path.startswith("/crm/v3/owners"):
            return 200, {}, ARCHIVED_OWNERS if query.get("archived") == ["true"] else OWNERS
        if parts.path.endswith("/companies/batch/read"):
            return 200, {}, COMPANIES
        if query.get("archived") == ["true"]:
            return 200, {}, ARCHIVED
        if query.get("after") == ["NTI1Cg%3D%3D"] or query.get("after") == ["NTI1Cg=="]:
            return 200, {}, {"results": DEALS[1:]}
        return (
            200,
            {},
            {
                "results": DEALS[:1],
                "paging": {
                    "next": {
                        "after": "NTI1Cg==",
                        "link": "https://api.hubapi.com/crm/v3/objects/deals?after=NTI1Cg%3D%3D",
                    }
                },
            },
        )


@pytest.fixture
def portal() -> Iterator[tuple[Portal, Any]]:
    account = Portal()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            status, headers, body = account.answer(self.command, self.path)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _reply

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client = hubspot_client(
        {"HUBSPOT_ACCESS_TOKEN": "pat-na1-test"}, host=f"http://127.0.0.1:{server.server_port}"
    )
    try:
        yield account, client
    finally:
        server.shutdown()
        server.server_close()


def _pull(client: Any, store: Path, **kwargs: Any) -> Any:
    retry = kwargs.pop("retry", RetryPolicy(sleep=lambda s: None))
    return pull_hubspot(week="2026-W49", store=store, client=client, retry=retry, **kwargs)


def test_every_page_is_stored_with_labels_owners_and_companies(portal: Any, tmp_path: Path) -> None:
    account, client = portal
    result = _pull(client, tmp_path / "store", keep_files=tmp_path / "kept")
    assert result.deals == 2
    stored = SnapshotStore(tmp_path / "store").read("2026-W49").sort_values("deal_id")
    assert stored[["deal_id", "deal_name", "owner", "team", "stage"]].values.tolist() == [
        [
            "18273645012",
            "Tailspin - Scanners",
            "Jordan Ellis",
            "Mid-Market East",
            "presentation_scheduled",
        ],
        [
            "18273645077",
            "Adatum - Telematics",
            "Mei Tanaka",
            "Mid-Market West",
            "appointment_scheduled",
        ],
    ]
    assert stored["amount"].tolist() == [36000.0, 15500.0]
    assert stored["account"].fillna("").tolist() == ["Tailspin Toys", ""]
    lines = (tmp_path / "kept" / "hubspot-deals-2026-W49.csv").read_text().splitlines()
    assert lines[0].startswith("Record ID,Deal Name,Deal Stage,Pipeline,Deal owner,Amount")
    assert lines[1].startswith(
        "18273645012,Tailspin - Scanners,Presentation Scheduled,Sales Pipeline,Jordan Ellis,36000"
    )
    deal_pages = [u for m, u in account.requests if "/objects/deals" in u and "archived=false" in u]
    assert len(deal_pages) == 2 and "after=NTI1Cg" in deal_pages[1]


def test_the_history_file_is_the_generic_long_format(portal: Any, tmp_path: Path) -> None:
    _, client = portal
    out = tmp_path / "history.csv"
    _pull(client, tmp_path / "store", history_out=out)
    assert out.read_text(encoding="utf-8").splitlines() == [
        "deal_id,field,old_value,new_value,changed_at",
        "18273645012,stage,,Appointment Scheduled,2026-10-02T09:41:12.345Z",
        "18273645012,amount,,36000,2026-10-02T09:41:12.345Z",
        "18273645012,stage,Appointment Scheduled,Presentation Scheduled,2026-11-20T14:03:11.123Z",
        "18273645077,owner,,Sam Gone,2026-11-03T14:12:00Z",  # a deactivated user
        "18273645077,owner,Sam Gone,Mei Tanaka,2026-11-25T08:00:00Z",
        "18273645555,deleted,,true,2026-12-02T11:30:00Z",
        "18273645999,merged_into,,18273645012,2026-12-01T09:00:00Z",
    ]


def test_archived_and_merged_deals_are_reported(portal: Any, tmp_path: Path) -> None:
    _, client = portal
    result = _pull(client, tmp_path / "store")
    assert result.removed.values.tolist() == [
        ["18273645555", "deleted", "", "2026-12-02T11:30:00Z"],
        ["18273645999", "merged", "18273645012", "2026-12-01T09:00:00Z"],
    ]
    assert result.summary() == "1 deal deleted in HubSpot since last week; 1 merged into another"
    from pipereview.cli._changes import removed_lines
    from pipereview.history import SnapshotStore

    store = SnapshotStore(tmp_path / "store")
    assert removed_lines(store, store.weeks()[-1]) == [
        "deleted in the CRM (1; not deals to chase): 18273645555",
        "merged into another deal in the CRM (1): 18273645999 into 18273645012",
    ]


SECONDLY = (
    429,
    {
        "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        "X-HubSpot-RateLimit-Max": "100",
        "X-HubSpot-RateLimit-Remaining": "0",
    },
    {
        "status": "error",
        "message": "You have reached your ten_secondly_rolling limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": "c033cdaa-2c40-4a64-ae48-b4cec88dad24",
        "policyName": "TEN_SECONDLY_ROLLING",
    },
)


def test_429_then_success_waits_the_window(portal: Any, tmp_path: Path) -> None:
    account, client = portal
    account.failures = [SECONDLY, SECONDLY]
    waits: list[float] = []
    result = _pull(client, tmp_path / "store", retry=RetryPolicy(sleep=waits.append))
    assert result.retries == 2
    assert waits == [10.0, 10.0]  # the window of X-HubSpot-RateLimit-Interval-Milliseconds
    assert result.stored.rows == 2


def test_429_forever_leaves_the_store_untouched(portal: Any, tmp_path: Path) -> None:
    account, client = portal
    store = tmp_path / "store"
    _pull(client, store)
    before = SnapshotStore(store).read("2026-W49")
    files = {p: p.read_bytes() for p in store.rglob("*.parquet")}
    account.failures, account.forever = [(429, {"Retry-After": "3"}, SECONDLY[2])], True
    waits: list[float] = []
    with pytest.raises(PullError) as caught:
        _pull(client, store, replace=True, retry=RetryPolicy(attempts=4, sleep=waits.append))
    assert caught.value.message.startswith(
        "HubSpot kept refusing while fetching the deal pipelines"
    )
    assert waits == [3.0, 3.0, 4.0]  # Retry-After, until the backoff is longer
    assert {p: p.read_bytes() for p in store.rglob("*.parquet")} == files
    assert SnapshotStore(store).read("2026-W49").equals(before)


def test_an_invalid_token_says_which_variable_to_renew(portal: Any, tmp_path: Path) -> None:
    account, client = portal
    account.failures = [
        (
            401,
            {},
            {
                "status": "error",
                "message": "Authentication credentials not found.",
                "correlationId": "4e2f4f6c",
                "category": "INVALID_AUTHENTICATION",
            },
        )
    ]
    with pytest.raises(PullError) as caught:
        _pull(client, tmp_path / "store")
    assert caught.value.message == (
        "HubSpot refused the request: HTTP 401: Authentication credentials not found."
    )
    assert caught.value.hint.startswith("renew HUBSPOT_ACCESS_TOKEN")
    assert len(account.requests) == 1


def test_the_daily_limit_is_not_retried(portal: Any, tmp_path: Path) -> None:
    account, client = portal
    daily = dict(SECONDLY[2], policyName="DAILY", message="You have reached your daily limit.")
    account.failures = [(429, {}, daily)]
    with pytest.raises(PullError) as caught:
        _pull(client, tmp_path / "store")
    assert (
        caught.value.message
        == "HubSpot refused the request: HTTP 429: You have reached your daily limit."
    )
    assert "daily API limit" in caught.value.hint


def test_missing_token_and_missing_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PullError) as caught:
        pull_hubspot(week="2026-W49", store=tmp_path, env={})
    assert caught.value.message == "no HubSpot credentials: HUBSPOT_ACCESS_TOKEN not set"
    import sys

    monkeypatch.setitem(sys.modules, "hubspot", None)
    with pytest.raises(PullError) as caught:
        pull_hubspot(week="2026-W49", store=tmp_path, env={"HUBSPOT_ACCESS_TOKEN": "x"})
    assert caught.value.message == "pipereview pull hubspot needs the hubspot extra"
    assert caught.value.hint == "pip install 'pipereview[hubspot]'"


def test_the_command_prints_the_removed_deals(
    portal: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from pipereview.cli import app

    _, client = portal
    monkeypatch.setattr("pipereview.pull._hubspot.hubspot_client", lambda env: client)
    result = CliRunner().invoke(
        app,
        [
            "pull",
            "hubspot",
            "--week",
            "2026-W49",
            "--store",
            str(tmp_path / "s"),
            "--history-out",
            str(tmp_path / "h.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "1 deal deleted in HubSpot since last week; 1 merged into another" in result.output
    assert f"wrote {tmp_path / 'h.csv'}" in result.output.replace("\n", "")
    assert "stored 2026-W49: 2 deals in 2 team(s)" in result.output


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["appointmentscheduled", "presentationscheduled", "closedwon"]),
            st.integers(min_value=0, max_value=10**9),
        ),
        min_size=1,
        max_size=8,
        unique_by=lambda t: t[1],
    )
)
def test_each_history_row_starts_where_the_one_before_ended(
    changes: list[tuple[str, int]],
) -> None:
    from pipereview.pull import Lookups, history_rows

    entries = [{"value": v, "timestamp": f"2026-11-{1 + t % 28:02d}T{t:012d}Z"} for v, t in changes]
    deal = {"id": "1", "propertiesWithHistory": {"dealstage": entries[::-1]}}
    rows = history_rows(deal, Lookups(stages={"closedwon": "Closed Won"}))
    assert len(rows) == len(changes)
    assert rows[0][2] is None
    assert [r[2] for r in rows[1:]] == [r[3] for r in rows[:-1]]
    assert [r[4] for r in rows] == sorted(e["timestamp"] for e in entries)


def test_a_failure_on_the_second_page_stores_nothing(portal: Any, tmp_path: Path) -> None:
    account, client = portal
    account.failures, account.forever = (
        [(502, {}, {"status": "error", "message": "Bad Gateway"})],
        True,
    )
    account.fail_only = "after=NTI1Cg"
    with pytest.raises(PullError) as caught:
        _pull(
            client,
            tmp_path / "store",
            history_out=tmp_path / "h.csv",
            retry=RetryPolicy(attempts=2, sleep=lambda s: None),
        )
    assert caught.value.message == (
        "HubSpot kept refusing while fetching the deals: HTTP 502: Bad Gateway (2 attempts); "
        "nothing was stored"
    )
    assert SnapshotStore(tmp_path / "store").weeks() == []
    assert not (tmp_path / "h.csv").exists()
