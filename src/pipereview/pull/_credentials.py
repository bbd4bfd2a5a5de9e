"""Credentials of the pulls: from environment variables, or from the system keyring when
the ``keyring`` package is installed (service ``pipereview``, the variable's name as the
user name). Never from the command line or a file of the repository.

>>> env = {"HUBSPOT_ACCESS_TOKEN": "pat-eu1-0000"}
>>> hubspot_token(env, keyring=False)
'pat-eu1-0000'
>>> salesforce_credentials({"SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com",
...                         "SALESFORCE_ACCESS_TOKEN": "00D!AQ0"}, keyring=False)
{'instance_url': 'https://acme.my.salesforce.com', 'session_id': '00D!AQ0'}
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pipereview.core._errors import PullError

__all__ = [
    "HUBSPOT_VARIABLES",
    "KEYRING_SERVICE",
    "SALESFORCE_VARIABLES",
    "credential",
    "hubspot_token",
    "salesforce_credentials",
]

#: The keyring service the pulls look their secrets up under.
KEYRING_SERVICE = "pipereview"
#: The variables of a Salesforce pull: a user's login, or an OAuth session.
SALESFORCE_VARIABLES = (
    "SALESFORCE_USERNAME",
    "SALESFORCE_PASSWORD",
    "SALESFORCE_SECURITY_TOKEN",
    "SALESFORCE_DOMAIN",
    "SALESFORCE_INSTANCE_URL",
    "SALESFORCE_ACCESS_TOKEN",
)
#: The variable of a HubSpot pull: the access token of a private (legacy) app or of a
#: service key, sent as ``Authorization: Bearer``.
HUBSPOT_VARIABLES = ("HUBSPOT_ACCESS_TOKEN",)


def credential(
    name: str, env: Mapping[str, str] | None = None, *, keyring: bool = True
) -> str | None:
    """The value of ``name``: the environment first, then the keyring (when installed and
    ``keyring``); None when neither has it.

    >>> credential("PIPEREVIEW_NO_SUCH_SECRET", {}, keyring=False) is None
    True
    """
    value = (os.environ if env is None else env).get(name, "").strip()
    if value:
        return value
    if not keyring:
        return None
    try:
        import keyring as system_keyring
    except ImportError:
        return None
    try:
        stored = system_keyring.get_password(KEYRING_SERVICE, name)
    except Exception:  # a keyring without a backend (a server without a desktop session)
        return None
    return (stored.strip() or None) if stored else None


def salesforce_credentials(
    env: Mapping[str, str] | None = None, *, keyring: bool = True
) -> dict[str, str]:
    """The keyword arguments of ``simple_salesforce.Salesforce``: an OAuth session
    (``SALESFORCE_INSTANCE_URL`` and ``SALESFORCE_ACCESS_TOKEN``) when both are set, else a
    login (``SALESFORCE_USERNAME``, ``SALESFORCE_PASSWORD``, ``SALESFORCE_SECURITY_TOKEN``,
    ``SALESFORCE_DOMAIN`` login or test, login by default)."""
    values = {name: credential(name, env, keyring=keyring) for name in SALESFORCE_VARIABLES}
    url = values["SALESFORCE_INSTANCE_URL"]
    if url and values["SALESFORCE_ACCESS_TOKEN"]:
        if not url.startswith("https://"):
            raise PullError(
                f"SALESFORCE_INSTANCE_URL is {url!r} (expected an https:// address such as "
                "https://acme.my.salesforce.com)",
                hint="set SALESFORCE_INSTANCE_URL to the instance_url of your OAuth session, "
                "https:// included",
            )
        return {
            "instance_url": url,
            "session_id": values["SALESFORCE_ACCESS_TOKEN"],
        }
    login = ("SALESFORCE_USERNAME", "SALESFORCE_PASSWORD", "SALESFORCE_SECURITY_TOKEN")
    missing = [name for name in login if not values[name]]
    if missing:
        raise PullError(
            f"no Salesforce credentials: {', '.join(missing)} not set",
            hint="set SALESFORCE_USERNAME, SALESFORCE_PASSWORD and SALESFORCE_SECURITY_TOKEN "
            "(and SALESFORCE_DOMAIN=test for a sandbox), or SALESFORCE_INSTANCE_URL and "
            "SALESFORCE_ACCESS_TOKEN for an OAuth session, in the environment or in the "
            "keyring (service 'pipereview'); see docs/pull.md",
        )
    domain = values["SALESFORCE_DOMAIN"] or "login"
    return {
        "username": str(values["SALESFORCE_USERNAME"]),
        "password": str(values["SALESFORCE_PASSWORD"]),
        "security_token": str(values["SALESFORCE_SECURITY_TOKEN"]),
        "domain": domain,
    }


def hubspot_token(env: Mapping[str, str] | None = None, *, keyring: bool = True) -> str:
    """The HubSpot access token (``HUBSPOT_ACCESS_TOKEN``)."""
    token = credential("HUBSPOT_ACCESS_TOKEN", env, keyring=keyring)
    if not token:
        raise PullError(
            "no HubSpot credentials: HUBSPOT_ACCESS_TOKEN not set",
            hint="set HUBSPOT_ACCESS_TOKEN to the access token of a private app or a "
            "service key with the scopes crm.objects.deals.read, crm.objects.companies.read "
            "and crm.objects.owners.read, in the environment or in the keyring (service "
            "'pipereview'); see docs/pull.md",
        )
    return token
