"""Deterministic sample CRM exports: four teams, twelve weekly exports, from one seed.

The sample set under ``data/samples/`` is what the demo, the notebooks and the tests run
on. It is simulated, not hand-written: every team's pipeline evolves week by week (new
deals enter at the first stages, deals advance, stay, stall, are won or lost, close dates
are pushed, amounts change) and each week's Friday export is written the way that team's
CRM writes it (headers from the column map, its date, amount and flag conventions, its
text encoding). Patterns that the diagnostics must find are planted on purpose:

* ``north`` (Salesforce report CSV): rep **Jordan Blake** has a bottleneck at stage
  ``id_decision_makers``: his deals pile up there and rarely move on.
* ``west`` (HubSpot CSV): a thin funnel top: few new deals enter each week.
* ``huadong`` (华东, Chinese CRM CSV in GB18030): a CRM migration in the fifth-last week
  (2026-W43 by default) gives a few open deals new IDs; the deals themselves are unchanged.
* every team: stage inflation (passed stages without exit-criteria evidence), stalled
  deals, deals pushed three times or more, open deals with close dates in the past.

``write_companion_exports`` adds each team's activities, leads and invoices for the last
week (``companions/<week>/``), with planted problems of their own:

* ``north``: the rep with the most activities in the last four weeks (at least 1.5 x the
  team's median rep) logged none of them on a deal that advanced a stage;
* ``west``: leads from "Trade Show" convert at 12% (3 of 25 decided), the other sources
  at 30% or more;
* ``huadong``: an invoice 45 days overdue at the last Friday export, money still owed;
* every team: every other invoice is paid or less than 30 days overdue.

Same seed, same bytes (CSV and XLSX alike); another seed, other deals.

``generate_samples(..., years=2)`` (``pipereview sample --years 2``) writes two years of
weekly history instead (104 weeks): seasons (淡旺季), year-over-year growth, a product
line and the account's potential in every export, existing customers, reps' capacity,
targets for both years and planted cases (a long-standing weak stage, a rep in ramp-up,
a shrinking product line, a team below last year's quarter, few new customers in one
team, small customers of top potential), each listed in the sample's README.

The package: ``_teams`` (the teams, their names and the planted patterns), ``_dates``
(calendar helpers), ``_process`` (stage models as weekly rates), ``_deal`` (a deal and
a week's frame of the deals), ``_simulate`` (the weekly simulation), ``_history``,
``_history_out`` and ``_readme_history`` (the two-year sample, what it writes and its
README section), ``_ids`` and ``_formats`` (how each CRM writes ids and values),
``_writers`` (its CSV and XLSX files), ``_changehistory`` (each team's change history in
its CRM's shape, for ``pipereview backfill``), ``_companionsample`` (each team's
activities, leads and invoices in its CRM's shape; ``_companionworld`` the deals they are
made from, the activities and leads, ``_companioninvoices`` the invoices and payments,
``_companionreadme`` their README section), ``_generate`` (the sample set), ``_readme`` (its
README), ``_large`` (one large export for benchmarks), ``_org`` and ``_org_teams`` (a
generated organisation of many teams and weeks, written straight into a snapshot store,
for scale benchmarks).

>>> import tempfile
>>> from pathlib import Path
>>> summary = generate_samples(Path(tempfile.mkdtemp()), n_weeks=2, scale=0.2)
>>> summary.teams, summary.weeks
(('North', 'West', '华东', 'DACH'), ('2026-W46', '2026-W47'))
>>> path = generate_large_export(Path(tempfile.mkdtemp()) / "big.csv", rows=1000)
>>> len(path.read_text(encoding="utf-8").splitlines())  # header + rows
1001
"""

from __future__ import annotations

from pipereview.sample._callsample import (
    CALL_BIASES,
    CALLS_FOLDER,
    calls_readme,
    write_forecast_calls,
)
from pipereview.sample._changehistory import HISTORY_FOLDER, write_change_histories
from pipereview.sample._companionsample import COMPANION_FOLDER, write_companion_exports
from pipereview.sample._generate import generate_samples
from pipereview.sample._large import generate_large_export
from pipereview.sample._org import OrgSummary, generate_organisation, organisation_weeks
from pipereview.sample._summary import DealCount, PlantedPatterns, SampleSummary
from pipereview.sample._teams import TEAMS, TeamSpec

__all__ = [
    "CALLS_FOLDER",
    "CALL_BIASES",
    "COMPANION_FOLDER",
    "HISTORY_FOLDER",
    "TEAMS",
    "DealCount",
    "OrgSummary",
    "PlantedPatterns",
    "SampleSummary",
    "TeamSpec",
    "calls_readme",
    "generate_large_export",
    "generate_organisation",
    "generate_samples",
    "organisation_weeks",
    "write_change_histories",
    "write_companion_exports",
    "write_forecast_calls",
]
