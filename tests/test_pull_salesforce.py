"""``pipereview pull salesforce`` offline: the REST API answered by ``responses`` with the
documented shapes (SOQL ``totalSize``/``done``/``nextRecordsUrl``/``records`` with
``attributes``; errors as ``[{"message", "errorCode"}]``), the pull stored through the same
checks as an export, its history files, the deleted opportunities, retries and errors."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
import responses
from typer.testing import CliRunner

from pipereview.cli import app
from pipereview.core import PullError
from pipereview.history import SnapshotStore
from pipereview.pull import RetryPolicy, field_history_path, pull_salesforce

pytest.importorskip("simple_salesforce")

INSTANCE = "https://acme.my.salesforce.com"
ENV = {"SALESFORCE_INSTANCE_URL": INSTANCE, "SALESFORCE_ACCESS_TOKEN": "00Dxx0000001gPL!AR8AQ"}
QUERY = re.compile(re.escape(INSTANCE) + r"/services/data/v[\d.]+/(query|queryAll)/.*")
NEXT = "/services/data/v59.0/query/01gRO0000016PIAYA2-2000"


def _opportunity(
    id_: str,
    name: str,
    account: str | None,
    owner: str,
    role: str | None,
    stage: str,
    amount: float,
) -> dict[str, Any]:
    return {
        "attributes": {
            "type": "Opportunity",
            "url": f"/services/data/v59.0/sobjects/Opportunity/{id_}",
        },
        "Id": id_,
        "Name": name,
        "Account": None
        if account is None
        else {"attributes": {"type": "Account"}, "Name": account},
        "Owner": {
            "attributes": {"type": "User"},
            "Name": owner,
            "UserRole": None
            if role is None
            else {"attributes": {"type": "UserRole"}, "Name": role},
        },
        "StageName": stage,
        "Amount": amount,
        "Probability": 20.0 if stage == "Needs Analysis" else 75.0,
        "ForecastCategoryName": "Pipeline" if stage == "Needs Analysis" else "Best Case",
        "CloseDate": "2026-12-18",
        "CreatedDate": "2026-09-14T16:42:07.000+0000",
        "LastActivityDate": "2026-11-30",
        "NextStep": None,
    }


PAGE_1 = [
    _opportunity(
        "0065g00000XyZ1aAAF",
        "Northwind - Packaging Line",
        "Northwind Traders",
        "Dana Whitfield",
        "West Enterprise",
        "Needs Analysis",
        12000.0,
    ),
    _opportunity(
        "0065g00000XyZ2bAAF",
        "Contoso - Cold Chain",
        "Contoso Pharmaceuticals",
        "Priya Raman",
        "East Mid-Market",
        "Proposal/Price Quote",
        48500.0,
    ),
]
PAGE_2 = [
    _opportunity(
        "0065g00000XyZ3cAAF",
        "Fabrikam - Sensors",
        None,
        "Dana Whitfield",
        "West Enterprise",
        "Needs Analysis",
        9000.0,
    ),
]
STAGE_HISTORY = [
    {
        "attributes": {"type": "OpportunityHistory"},
        "Id": "008RO00000AbCdEYAV",
        "OpportunityId": "0065g00000XyZ2bAAF",
        "CreatedDate": "2026-11-02T10:15:00.000+0000",
        "StageName": "Needs Analysis",
        "Amount": 40000.0,
        "CloseDate": "2026-12-31",
        "Probability": 20.0,
        "ForecastCategory": "Pipeline",
        "ExpectedRevenue": 8000.0,
        "IsDeleted": False,
    },
    {
        "attributes": {"type": "OpportunityHistory"},
        "Id": "008RO00000AbCdFYAV",
        "OpportunityId": "0065g00000XyZ2bAAF",
        "CreatedDate": "2026-11-24T08:00:00.000+0000",
        "StageName": "Proposal/Price Quote",
        "Amount": 48500.0,
        "CloseDate": "2026-12-18",
        "Probability": 75.0,
        "ForecastCategory": "BestCase",
        "ExpectedRevenue": 36375.0,
        "IsDeleted": False,
    },
]
FIELD_HISTORY = [
    {
        "attributes": {"type": "OpportunityFieldHistory"},
        "OpportunityId": "0065g00000XyZ1aAAF",
        "Field": "Owner",
        "OldValue": "Priya Raman",
        "NewValue": "Dana Whitfield",
        "CreatedDate": "2026-11-25T09:30:00.000+0000",
        "DataType": "Text",
    },
]
DELETED = [
    {
        "attributes": {"type": "Opportunity"},
        "Id": "0065g00000XyZ9zAAF",
        "SystemModstamp": "2026-12-01T16:05:44.000+0000",
    },
]


def _page(
    records: list[dict[str, Any]], *, total: int, next_url: str | None = None
) -> dict[str, Any]:
    page: dict[str, Any] = {"totalSize": total, "done": next_url is None, "records": records}
    if next_url:
        page["nextRecordsUrl"] = next_url
    return page


def _api(request: Any) -> tuple[int, dict[str, str], str]:
    """The org: answers each SOQL query of a pull as the REST API documents it."""
    url = request.url
    if url.endswith("-2000"):
        return 200, {}, json.dumps(_page(PAGE_2, total=3))
    soql = re.search(r"q=([^&]*)", url)
    query = requests_unquote(soql.group(1) if soql else "")
    if "FROM OpportunityHistory" in query:
        return 200, {}, json.dumps(_page(STAGE_HISTORY, total=2))
    if "FROM OpportunityFieldHistory" in query:
        return 200, {}, json.dumps(_page(FIELD_HISTORY, total=1))
    if "IsDeleted = true" in query:
        assert "/queryAll/" in url  # the recycle bin is read through queryAll
        return 200, {}, json.dumps(_page(DELETED, total=1))
    return 200, {}, json.dumps(_page(PAGE_1, total=3, next_url=NEXT))


def requests_unquote(text: str) -> str:
    from urllib.parse import unquote_plus

    return unquote_plus(text)


@pytest.fixture
def org() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, QUERY, callback=_api)
        yield mock


def _pull(store: Path, **kwargs: Any) -> Any:
    return pull_salesforce(
        week="2026-W49",
        store=store,
        env=ENV,
        retry=kwargs.pop("retry", RetryPolicy(sleep=lambda s: None)),
        **kwargs,
    )


def test_every_page_is_stored_as_the_week(org: Any, tmp_path: Path) -> None:
    result = _pull(tmp_path / "store")
    assert result.deals == 3
    stored = SnapshotStore(tmp_path / "store").read("2026-W49")
    rows = stored.sort_values("deal_id")[["deal_id", "account", "owner", "team", "amount"]]
    assert rows.fillna("").astype(str).values.tolist() == [
        ["0065g00000XyZ1aAAF", "Northwind Traders", "Dana Whitfield", "West Enterprise", "12000.0"],
        [
            "0065g00000XyZ2bAAF",
            "Contoso Pharmaceuticals",
            "Priya Raman",
            "East Mid-Market",
            "48500.0",
        ],
        ["0065g00000XyZ3cAAF", "", "Dana Whitfield", "West Enterprise", "9000.0"],
    ]
    assert sorted(stored["stage"].unique()) == ["needs_analysis", "proposal"]
    assert result.stored.teams == ("East Mid-Market", "West Enterprise")


def test_the_export_file_is_a_data_loader_extract(org: Any, tmp_path: Path) -> None:
    result = _pull(tmp_path / "store", keep_files=tmp_path / "kept")
    assert result.export_file == tmp_path / "kept" / "salesforce-opportunities-2026-W49.csv"
    with result.export_file.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:5] == ["Id", "Name", "Account.Name", "Owner.Name", "Owner.UserRole.Name"]
    assert rows[1][rows[0].index("CreatedDate")] == "2026-09-14T16:42:07.000Z"
    assert rows[3][rows[0].index("Account.Name")] == ""


def test_history_files_carry_the_api_field_names(org: Any, tmp_path: Path) -> None:
    out = tmp_path / "backfill" / "history.csv"
    result = _pull(tmp_path / "store", history_out=out)
    assert result.history_files == (out, tmp_path / "backfill" / "history.field-history.csv")
    assert out.read_text(encoding="utf-8").splitlines() == [
        "Id,OpportunityId,CreatedDate,StageName,Amount,CloseDate,Probability,ForecastCategory,"
        "ExpectedRevenue,IsDeleted",
        "008RO00000AbCdEYAV,0065g00000XyZ2bAAF,2026-11-02T10:15:00.000Z,Needs Analysis,40000.0,"
        "2026-12-31,20.0,Pipeline,8000.0,false",
        "008RO00000AbCdFYAV,0065g00000XyZ2bAAF,2026-11-24T08:00:00.000Z,Proposal/Price Quote,"
        "48500.0,2026-12-18,75.0,BestCase,36375.0,false",
    ]
    assert field_history_path(out).read_text(encoding="utf-8").splitlines() == [
        "OpportunityId,Field,OldValue,NewValue,CreatedDate,DataType",
        "0065g00000XyZ1aAAF,Owner,Priya Raman,Dana Whitfield,2026-11-25T09:30:00.000Z,Text",
        "0065g00000XyZ9zAAF,deleted,,true,2026-12-01T16:05:44.000Z,Boolean",
    ]


def test_deleted_opportunities_are_reported(org: Any, tmp_path: Path) -> None:
    result = _pull(tmp_path / "store")
    assert result.removed.values.tolist() == [
        ["0065g00000XyZ9zAAF", "deleted", "", "2026-12-01T16:05:44.000Z"]
    ]
    assert result.summary() == "1 deal deleted in Salesforce since last week"
    # recorded with the stored week, and named apart from the deals to chase
    from pipereview.cli._changes import removed_lines
    from pipereview.history import SnapshotStore, removed_deals

    store = SnapshotStore(tmp_path / "store")
    week = store.weeks()[-1]
    assert removed_deals(store, week).values.tolist() == [
        ["0065g00000XyZ9zAAF", "deleted", None, "2026-12-01T16:05:44.000Z"]
    ]
    assert removed_lines(store, week) == [
        "deleted in the CRM (1; not deals to chase): 0065g00000XyZ9zAAF"
    ]
    deleted_query = next(c.request.url for c in org.calls if "queryAll" in c.request.url)
    assert "SystemModstamp+%3E%3D+2026-11-23T00%3A00%3A00Z" in deleted_query


def _refusing(status: int, body: list[dict[str, str]], times: int | None) -> Any:
    """The org refusing the first ``times`` requests (every one when None)."""
    calls = {"n": 0}

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        calls["n"] += 1
        if times is None or calls["n"] <= times:
            return status, {}, json.dumps(body)
        return _api(request)

    return answer


LIMIT = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]


def test_the_rate_limit_is_retried_with_backoff(tmp_path: Path) -> None:
    waits: list[float] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, QUERY, callback=_refusing(403, LIMIT, times=2))
        result = _pull(tmp_path / "store", retry=RetryPolicy(sleep=waits.append))
    assert result.retries == 2
    assert waits == [1.0, 2.0]
    assert result.stored.rows == 3


def test_a_limit_that_stays_leaves_the_store_untouched(tmp_path: Path) -> None:
    store = tmp_path / "store"
    _pull_once(store)  # the week stored before
    before = {
        p: p.read_bytes() for p in sorted(store.rglob("*")) if p.is_file() and "lock" not in p.name
    }
    waits: list[float] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, QUERY, callback=_refusing(503, [], times=None))
        with pytest.raises(PullError) as caught:
            _pull(store, replace=True, retry=RetryPolicy(attempts=3, sleep=waits.append))
    assert caught.value.message.startswith(
        "Salesforce kept refusing while fetching Opportunity records: HTTP 503"
    )
    assert "(3 attempts); nothing was stored" in caught.value.message
    assert waits == [1.0, 2.0]
    after = {
        p: p.read_bytes() for p in sorted(store.rglob("*")) if p.is_file() and "lock" not in p.name
    }
    assert after == before


def _pull_once(store: Path) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, QUERY, callback=_api)
        _pull(store)


def test_an_expired_session_is_not_retried(tmp_path: Path) -> None:
    expired = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    waits: list[float] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, QUERY, callback=_refusing(401, expired, times=None))
        with pytest.raises(PullError) as caught:
            _pull(tmp_path / "store", retry=RetryPolicy(sleep=waits.append))
        assert len(mock.calls) == 1
    assert caught.value.message == "Salesforce refused the session: HTTP 401 INVALID_SESSION_ID"
    assert caught.value.hint.startswith("renew SALESFORCE_ACCESS_TOKEN")
    assert waits == []
    assert not (tmp_path / "store").exists() or SnapshotStore(tmp_path / "store").weeks() == []


def test_a_bad_condition_names_the_options(tmp_path: Path) -> None:
    bad = [{"message": "unexpected token: 'Stage'", "errorCode": "MALFORMED_QUERY"}]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, QUERY, callback=_refusing(400, bad, times=None))
        with pytest.raises(PullError) as caught:
            _pull(tmp_path / "store", where="Stage = 'x'")
    assert caught.value.message == (
        "Salesforce refused the query: HTTP 400 MALFORMED_QUERY: unexpected token: 'Stage'"
    )
    assert "--soql-where" in caught.value.hint


def test_missing_credentials_name_the_variables(tmp_path: Path) -> None:
    with pytest.raises(PullError) as caught:
        pull_salesforce(week="2026-W49", store=tmp_path, env={"SALESFORCE_USERNAME": "a@b.c"})
    assert caught.value.message == (
        "no Salesforce credentials: SALESFORCE_PASSWORD, SALESFORCE_SECURITY_TOKEN not set"
    )
    assert "SALESFORCE_INSTANCE_URL and SALESFORCE_ACCESS_TOKEN" in caught.value.hint


def test_without_the_extra_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    for name in ("simple_salesforce", "simple_salesforce.api"):
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed
    with pytest.raises(PullError) as caught:
        pull_salesforce(week="2026-W49", store=tmp_path, env=ENV)
    assert caught.value.message == "pipereview pull salesforce needs the salesforce extra"
    assert caught.value.hint == "pip install 'pipereview[salesforce]'"


def test_the_command_prints_the_summary(
    org: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(
        app, ["pull", "salesforce", "--week", "2026-W49", "--store", str(tmp_path / "s")]
    )
    assert result.exit_code == 0, result.output
    assert "1 deal deleted in Salesforce since last week" in result.output
    assert "stored 2026-W49: 3 deals in 2 team(s)" in result.output


def test_the_command_without_credentials_is_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    for name in ("SALESFORCE_USERNAME", "SALESFORCE_PASSWORD", "SALESFORCE_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(
        app, ["pull", "salesforce", "--week", "2026-W49", "--store", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert result.output.startswith(
        "error: no Salesforce credentials: SALESFORCE_USERNAME, SALESFORCE_PASSWORD, "
        "SALESFORCE_SECURITY_TOKEN not set"
    )


def test_a_stored_week_is_refused_before_anything_is_fetched(org: Any, tmp_path: Path) -> None:
    from pipereview.core import WeekExistsError

    _pull(tmp_path / "store")
    calls = len(org.calls)
    with pytest.raises(WeekExistsError):
        _pull(tmp_path / "store")
    assert len(org.calls) == calls


def test_rows_the_checks_reject_leave_the_store_and_history_untouched(tmp_path: Path) -> None:
    from pipereview.core import SchemaError

    store = tmp_path / "store"
    _pull_once(store)
    before = SnapshotStore(store).read("2026-W49")
    credit = dict(PAGE_2[0], Amount=-500.0)

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        if request.url.endswith("-2000"):
            return 200, {}, json.dumps(_page([credit], total=3))
        return _api(request)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, QUERY, callback=answer)
        with pytest.raises(SchemaError) as caught:
            _pull(store, replace=True, history_out=tmp_path / "history.csv")
    assert caught.value.message.startswith("week 2026-W49 was not stored: 1 row(s) rejected.")
    assert SnapshotStore(store).read("2026-W49").equals(before)
    assert not (tmp_path / "history.csv").exists()


def test_a_dropped_connection_is_retried(tmp_path: Path) -> None:
    import requests

    waits: list[float] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, QUERY, body=requests.ConnectionError("Connection reset by peer"))
        mock.add_callback(responses.GET, QUERY, callback=_api)
        result = _pull(tmp_path / "store", retry=RetryPolicy(sleep=waits.append))
    assert (result.retries, waits, result.deals) == (1, [1.0], 3)


def test_credentials_come_from_the_keyring_when_the_environment_lacks_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys
    import types

    from pipereview.pull import salesforce_credentials

    secrets = {"SALESFORCE_INSTANCE_URL": INSTANCE, "SALESFORCE_ACCESS_TOKEN": "00D!from-keyring"}
    asked: list[tuple[str, str]] = []

    def get_password(service: str, name: str) -> str | None:
        asked.append((service, name))
        return secrets.get(name)

    monkeypatch.setitem(sys.modules, "keyring", types.SimpleNamespace(get_password=get_password))
    assert salesforce_credentials({"SALESFORCE_ACCESS_TOKEN": "00D!from-env"}) == {
        "instance_url": INSTANCE,
        "session_id": "00D!from-env",  # the environment wins
    }
    assert ("pipereview", "SALESFORCE_INSTANCE_URL") in asked
    assert ("pipereview", "SALESFORCE_ACCESS_TOKEN") not in asked


def test_a_retry_policy_without_attempts_is_refused() -> None:
    from pipereview.core import InputError

    with pytest.raises(InputError) as caught:
        RetryPolicy(attempts=0)
    assert caught.value.message == (
        "retry policy with attempts=0, base=1.0, cap=120.0 "
        "(expected at least 1 attempt and 0 <= base <= cap)"
    )


def test_the_history_keeps_the_opportunities_of_the_condition(tmp_path: Path) -> None:
    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        if "IsClosed" in requests_unquote(request.url):  # the org applies the condition
            return 200, {}, json.dumps(_page(PAGE_2, total=1))
        return _api(request)

    out = tmp_path / "history.csv"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, QUERY, callback=answer)
        result = _pull(tmp_path / "store", where="IsClosed = false", history_out=out)
    assert result.deals == 1
    assert out.read_text(encoding="utf-8").splitlines()[1:] == []  # 0065...2b is not pulled
    assert field_history_path(out).read_text(encoding="utf-8").splitlines()[1:] == [
        "0065g00000XyZ9zAAF,deleted,,true,2026-12-01T16:05:44.000Z,Boolean"
    ]


LOGIN = re.compile(r"https://test\.salesforce\.com/services/Soap/u/[\d.]+")
LOGIN_ENV = {
    "SALESFORCE_USERNAME": "ops@acme.example",
    "SALESFORCE_PASSWORD": "s3cret",
    "SALESFORCE_SECURITY_TOKEN": "AbCdEf123",
    "SALESFORCE_DOMAIN": "test",
}
LOGIN_OK = f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns="urn:partner.soap.sforce.com"><soapenv:Body><loginResponse><result>
<metadataServerUrl>{INSTANCE}/services/Soap/m/59.0/00DRO000000abcd</metadataServerUrl>
<passwordExpired>false</passwordExpired><sandbox>true</sandbox>
<serverUrl>{INSTANCE}/services/Soap/u/59.0/00DRO000000abcd</serverUrl>
<sessionId>00DRO000000abcd!AQ4AQFromLogin</sessionId><userId>005RO000001xyzAAA</userId>
</result></loginResponse></soapenv:Body></soapenv:Envelope>"""
LOGIN_REFUSED = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault>
<faultcode>sf:INVALID_LOGIN</faultcode>
<faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring>
<detail><sf:LoginFault><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>
<sf:exceptionMessage>Invalid username, password, security token; or user locked out.</sf:exceptionMessage>
</sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"""


def test_a_login_to_a_sandbox_then_the_pull(tmp_path: Path) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, LOGIN, body=LOGIN_OK, status=200)
        mock.add_callback(responses.GET, QUERY, callback=_api)
        result = pull_salesforce(week="2026-W49", store=tmp_path, env=LOGIN_ENV)
        login = mock.calls[0].request
        queries = [c.request for c in mock.calls[1:]]
    assert "<n1:username>ops@acme.example</n1:username>" in login.body
    assert "<n1:password>s3cretAbCdEf123</n1:password>" in login.body  # password + token
    assert queries[0].headers["Authorization"] == "Bearer 00DRO000000abcd!AQ4AQFromLogin"
    assert result.deals == 3


def test_a_refused_login_says_what_to_renew(tmp_path: Path) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, LOGIN, body=LOGIN_REFUSED, status=500)
        with pytest.raises(PullError) as caught:
            pull_salesforce(week="2026-W49", store=tmp_path, env=LOGIN_ENV)
        assert len(mock.calls) == 1
    assert caught.value.message == (
        "Salesforce refused the login of ops@acme.example: INVALID_LOGIN: Invalid username, "
        "password, security token; or user locked out."
    )
    assert caught.value.hint.startswith("renew SALESFORCE_PASSWORD and SALESFORCE_SECURITY_TOKEN")


def test_an_instance_url_that_is_no_url_is_refused_before_any_request(tmp_path: Path) -> None:
    env = dict(ENV, SALESFORCE_INSTANCE_URL="acme.my.salesforce.com")  # no https://
    with responses.RequestsMock() as mock, pytest.raises(PullError) as caught:
        pull_salesforce(week="2026-W49", store=tmp_path, env=env)
    assert len(mock.calls) == 0
    assert caught.value.message == (
        "SALESFORCE_INSTANCE_URL is 'acme.my.salesforce.com' "
        "(expected an https:// address such as https://acme.my.salesforce.com)"
    )
