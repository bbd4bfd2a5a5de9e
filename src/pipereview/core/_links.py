"""Links from a deal in a report back to its record in the CRM.

A CRM record's address is the CRM's own (an organisation's Salesforce domain, a HubSpot
portal number), so the configuration carries it as a template with one placeholder,
``{deal_id}``: the deal's CRM ID, percent-encoded, so an ID can never end the link or
start another address. Only ``https://`` and ``http://`` addresses are accepted.

>>> template = check_record_url("https://acme.lightning.force.com/lightning/r/Opportunity/{deal_id}/view")
>>> record_url(template, "006Hs00001 A/B")
'https://acme.lightning.force.com/lightning/r/Opportunity/006Hs00001%20A%2FB/view'
>>> record_url(template, "") is None  # a deal without a CRM ID has no record to open
True
"""

from __future__ import annotations

import string
from urllib.parse import quote, urlsplit

from pipereview.core._errors import ConfigError

__all__ = ["RECORD_URL_EXAMPLES", "check_record_url", "record_url"]

#: Record address templates of the shipped CRMs: replace the part in angle brackets with
#: your organisation's own (docs/start-analysts.md, "Links back to the CRM").
RECORD_URL_EXAMPLES: dict[str, str] = {
    "salesforce": "https://<your-domain>.lightning.force.com/lightning/r/Opportunity/{deal_id}/view",
    "hubspot": "https://app.hubspot.com/contacts/<portal-id>/record/0-3/{deal_id}",
    "odoo": "https://<your-odoo>/odoo/crm/{deal_id}",
    "dynamics": "https://<your-org>.crm.dynamics.com/main.aspx?pagetype=entityrecord&etn=opportunity&id={deal_id}",
}


def check_record_url(template: str, *, key: str = "crm_url") -> str:
    """``template`` when it is an ``http(s)`` address with exactly the placeholder
    ``{deal_id}``; else a :class:`ConfigError` naming the setting, what is wrong and an example.

    >>> try:
    ...     check_record_url("javascript:alert(1)//{deal_id}")
    ... except ConfigError as error:
    ...     print(error.message)
    configuration: crm_url must start with https:// or http://, got 'javascript:alert(1)//{deal_id}' (expected an address with {deal_id})
    """
    example = RECORD_URL_EXAMPLES["salesforce"]
    if not isinstance(template, str):
        raise ConfigError(
            f"configuration: {key} must be a text, got {template!r}",
            expected="an address with {deal_id}",
            hint=f"e.g. {key}: {example}",
        )
    parts = urlsplit(template)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ConfigError(
            f"configuration: {key} must start with https:// or http://, got {template!r}",
            expected="an address with {deal_id}",
            hint=f"e.g. {key}: {example}",
        )
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as error:
        raise ConfigError(
            f"configuration: {key} has an unmatched brace ({error}): {template!r}",
            expected="an address with {deal_id}",
            hint=f"e.g. {key}: {example} (the deal's place written {{deal_id}})",
        ) from None
    if names != ["deal_id"]:
        other = sorted(set(names) - {"deal_id"})
        found = f"it has {', '.join('{' + n + '}' for n in other)}" if other else "it has none"
        raise ConfigError(
            f"configuration: {key} must hold the placeholder {{deal_id}} exactly once; "
            f"{found}: {template!r}",
            expected="an address with {deal_id}",
            hint=f"e.g. {key}: {example}",
        )
    return template


def record_url(template: str | None, deal_id: object) -> str | None:
    """The CRM address of the deal ``deal_id`` from a checked ``template``; None without a
    template or without an ID (blank, missing). The ID is percent-encoded whole."""
    if not template or deal_id is None or not isinstance(deal_id, str | int):
        return None
    text = str(deal_id).strip()
    if not text:
        return None
    return template.format(deal_id=quote(text, safe=""))
