"""The review's first screen and the deals behind its counts: the four answers, every
count followed by every one of its deals (largest first, none cut), the waterfall's scope
in words that agree with its figures, deal IDs linked to the CRM, and the contents."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pipereview.config import Config
from pipereview.core import check_record_url, record_url
from pipereview.core._errors import ConfigError
from pipereview.delivery._dealtables import deal_list_html
from pipereview.delivery._review import WeeklyReview
from pipereview.delivery._reviewglance import answers

Q4 = pd.Timestamp("2026-12-18")
Q1 = pd.Timestamp("2027-02-10")
CRM = "https://acme.lightning.force.com/lightning/r/Opportunity/{deal_id}/view"


def _row(
    week: str, deal: str, stage: str, amount: float, close: pd.Timestamp, **extra: object
) -> dict[str, object]:
    return {
        "snapshot_week": week,
        "team": "North",
        "deal_id": deal,
        "deal_name": f"Deal {deal}",
        "account": f"Account {deal}",
        "owner": extra.pop("owner", "Ann"),
        "stage": stage,
        "stage_model": "generic_4",
        "amount": amount,
        "currency": extra.pop("currency", "EUR"),
        "close_date": close,
        "probability": float("nan"),
        "forecast_category": extra.pop("forecast_category", "commit"),
        "next_step": extra.pop("next_step", f"Call {deal}"),
        **extra,
    }


def _history(lost: int = 0) -> pd.DataFrame:
    """W46 -> W47 by hand, every amount in EUR:

    - K1 10,000 in Q4, unchanged; K2 5,000 in Q4 -> pushed to Q1; K3 2,000 in Q4 -> won;
    - K4 3,000 in Q1 both weeks (outside the Q4 waterfall); N1 new 1,500 in Q4;
    - L01..Lnn (``lost``) 100 * n in Q4 -> lost.

    Q4 pipeline: opening 17,000 + lost; closing 11,500. All open now: 11,500 + 5,000 + 3,000.
    """
    rows = [
        _row("2026-W46", "K1", "needs_confirmed", 10_000.0, Q4),
        _row("2026-W46", "K2", "negotiation", 5_000.0, Q4),
        _row("2026-W46", "K3", "negotiation", 2_000.0, Q4),
        _row("2026-W46", "K4", "initial_contact", 3_000.0, Q1),
        _row("2026-W47", "K1", "needs_confirmed", 10_000.0, Q4),
        _row("2026-W47", "K2", "negotiation", 5_000.0, Q1),
        _row("2026-W47", "K3", "won", 2_000.0, Q4),
        _row("2026-W47", "K4", "initial_contact", 3_000.0, Q1),
        _row("2026-W47", "N1", "initial_contact", 1_500.0, Q4, next_step="Send <b>quote</b>"),
    ]
    for n in range(1, lost + 1):
        deal = f"L{n:02d}"
        rows.append(_row("2026-W46", deal, "initial_contact", 100.0 * n, Q4))
        rows.append(_row("2026-W47", deal, "lost", 100.0 * n, Q4))
    return pd.DataFrame(rows)


def _review(lang: str = "en", lost: int = 0, **config: object) -> WeeklyReview:
    return WeeklyReview(
        _history(lost), team="North", week="2026-W47", lang=lang, config=Config(**config)
    )


def _text(markup: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)).strip()


def _details(markup: str, summary_start: str) -> str:
    """The ``<details>`` block whose summary starts with ``summary_start``."""
    for block in re.findall(r"<details[^>]*>.*?</details>", markup, flags=re.S):
        if re.search(rf"<summary>{re.escape(summary_start)}", block):
            return block
    raise AssertionError(f"no details block for {summary_start!r}")


# --- deal lists ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "shown", "caption", "visible"),
    [
        (1, 10, "1 deal.", 1),
        (10, 10, "All 10 deals, largest first.", 10),
        (11, 10, "The 10 largest of 11 deals; the other 1 are below.", 10),
        (25, 3, "The 3 largest of 25 deals; the other 22 are below.", 3),
    ],
)
def test_a_deal_list_shows_its_first_rows_and_keeps_every_other(
    rows: int, shown: int, caption: str, visible: int
) -> None:
    deals = pd.DataFrame({"Deal ID": [f"D{i:02d}" for i in range(rows)], "Deal": "x"})
    page = deal_list_html(deals, lang="en", shown=shown)
    assert f'<p class="list-caption">{caption}</p>' in page
    before, _, behind = page.partition("<details")
    assert before.count("<td>D") == visible
    assert behind.count("<td>D") == rows - visible
    assert re.findall(r"<td>(D\d\d)</td>", page) == list(deals["Deal ID"])  # order kept


def test_a_deal_list_escapes_its_cells_and_links() -> None:
    deals = pd.DataFrame({"Deal ID": ['A"><script>'], "Deal": ["<img src=x onerror=1>"]})
    url = record_url(CRM, 'A"><script>')
    page = deal_list_html(deals, lang="zh", links=[url])
    assert "<script>" not in page and "<img" not in page
    assert f'<a href="{url}" rel="noreferrer">A&quot;&gt;&lt;script&gt;</a>' in page
    assert url == CRM.format(deal_id="A%22%3E%3Cscript%3E")
    assert "1 个商机。" in page


@pytest.mark.parametrize(
    ("deal_id", "url"),
    [
        ("006A", "https://acme.lightning.force.com/lightning/r/Opportunity/006A/view"),
        (" 006A ", "https://acme.lightning.force.com/lightning/r/Opportunity/006A/view"),
        ("a/b?c#d", "https://acme.lightning.force.com/lightning/r/Opportunity/a%2Fb%3Fc%23d/view"),
        (
            "商机1",
            "https://acme.lightning.force.com/lightning/r/Opportunity/%E5%95%86%E6%9C%BA1/view",
        ),
        ("", None),
        ("   ", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_a_record_url_holds_the_whole_id_encoded(deal_id: object, url: str | None) -> None:
    assert record_url(CRM, deal_id) == url
    assert record_url(None, "006A") is None


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ("javascript:alert(1)//{deal_id}", "must start with https:// or http://"),
        ("//crm.example/{deal_id}", "must start with https:// or http://"),
        ("https:///{deal_id}", "must start with https:// or http://"),
        ("https://crm.example/opportunity", "it has none"),
        ("https://crm.example/{deal_id}/{deal_id}", "exactly once"),
        ("https://crm.example/{owner}", "it has {owner}"),
        ("https://crm.example/{deal_id", "unmatched brace"),
    ],
)
def test_a_crm_url_that_cannot_link_a_deal_is_refused(template: str, says: str) -> None:
    with pytest.raises(ConfigError) as info:
        check_record_url(template)
    assert says in info.value.message and "crm_url" in info.value.message
    assert info.value.hint.startswith("e.g. crm_url: https://")
    with pytest.raises(ConfigError):
        Config(crm_url=template)


# --- what changed -----------------------------------------------------------------------


def test_the_waterfall_scope_agrees_with_its_figures_and_the_open_pipeline() -> None:
    page = _review().changes_section().body
    scope = _text(re.search(r'<p class="scope">(.*?)</p>', page, flags=re.S)[1])
    assert scope == (
        "The chart covers the open deals expected to close in 2026-Q4: 17,000 EUR last week, "
        "11,500 EUR this week (down 5,500 EUR). All 4 open deals come to 19,500 EUR; "
        "8,000 EUR of it is expected to close outside 2026-Q4 and is not in the chart."
    )
    zh = _text(re.search(r'<p class="scope">(.*?)</p>', _review("zh").changes_section().body)[1])
    assert "上周 17,000 EUR，本周 11,500 EUR（减少 5,500 EUR）" in zh
    assert "全部在跟商机 4 个，共 19,500 EUR，其中 8,000 EUR 预计在 2026-Q4 之外成交" in zh


def test_each_waterfall_step_lists_its_deals_with_what_moved() -> None:
    page = _review(crm_url=CRM).changes_section().body
    pushed = _details(page, "pushed out of the period: 1")
    assert "removes 5,000 EUR" in pushed
    assert "<td>2026-12-18 → 2027-02-10</td>" in pushed  # previous close date and the new one
    assert "<td>+54</td>" in pushed  # days moved
    assert f'<a href="{CRM.format(deal_id="K2")}"' in pushed
    assert "<td>commit</td>" in pushed and "<td>Call K2</td>" in pushed
    won = _details(page, "won: 1")
    assert "Deal K3" in won and "<td>Negotiation &amp; signing → Closed won</td>" in won
    new = _details(page, "new: 1")
    assert "adds 1,500 EUR" in new and "Send &lt;b&gt;quote&lt;/b&gt;" in new
    steps = re.search(r"<h3>Each step.*?</table>", page, flags=re.S)[0]
    assert _text(steps).endswith(
        "Step Deals Effect on the pipeline last week's pipeline 3 17,000 EUR "
        "new 1 adds 1,500 EUR pushed out of the period 1 removes 5,000 EUR "
        "won 1 removes 2,000 EUR this week's pipeline 2 11,500 EUR"
    )


def test_no_deal_behind_a_count_is_left_out() -> None:
    """25 lost deals: the 10 largest shown, the other 15 one click away, each once."""
    page = _review(lost=25).changes_section().body
    lost = _details(page, "lost: 25")
    ids = re.findall(r"<td>(L\d\d)</td>", lost)
    assert ids == [f"L{n:02d}" for n in range(25, 0, -1)]  # largest first, every one
    assert "The 10 largest of 25 deals; the other 15 are below." in lost
    category = _details(page.split("Every deal that changed")[1], "lost: 25")
    assert sorted(re.findall(r"<td>(L\d\d)</td>", category)) == sorted(ids)


def test_every_moved_category_is_counted_and_listed() -> None:
    page = _review().changes_section().body
    table = re.search(r"<h3>Every deal that changed.*?</table>", page, flags=re.S)[0]
    assert _text(table).endswith(
        "Change Deals won 1 new in the export, open 1 close date pushed out 1 unchanged 2"
    )
    for summary, deal in [
        ("won: 1", "K3"),
        ("new in the export, open: 1", "N1"),
        ("close date pushed out: 1", "K2"),
    ]:
        part = page.split("Every deal that changed")[1]
        assert re.findall(r"<td>([KN]\d)</td>", _details(part, summary)) == [deal]


# --- risks ------------------------------------------------------------------------------


def test_every_flagged_deal_is_listed_with_what_a_manager_asks() -> None:
    history = _history()
    late = pd.Timestamp("2026-10-01")  # close date passed: flagged
    rows = [
        _row(w, f"R{n:02d}", "negotiation", 1_000.0 * n, late, push_count=0)
        for w in ("2026-W46", "2026-W47")
        for n in range(1, 18)
    ]
    history = pd.concat([history, pd.DataFrame(rows)], ignore_index=True)
    review = WeeklyReview(history, team="North", week="2026-W47", config=Config(crm_url=CRM))
    page = review.risks_section().body
    ids = re.findall(r'/Opportunity/(R\d\d)/view"', page)
    assert ids == [f"R{n:02d}" for n in range(17, 0, -1)]  # all 17, largest first
    assert "The 10 largest of 17 deals; the other 7 are below." in page
    head = re.search(r"<thead>(.*?)</thead>", page)[1]
    assert _text(head) == (
        "Deal ID Deal Account Rep Stage Amount Close date Days in stage Pushes "
        "Forecast category Next step Risks"
    )
    first = re.search(r"<tr><td><a[^>]*>R17</a>.*?</tr>", page)[0]
    assert _text(first) == (
        "R17 Deal R17 Account R17 Ann Negotiation &amp; signing 17,000 EUR 2026-10-01 7 0 commit "
        "Call R17 close date passed"
    )


# --- the first screen ---------------------------------------------------------------------


def _targets(amount: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "team": ["North"],
            "owner": [""],
            "period": ["2026-Q4"],
            "amount": [amount],
            "currency": ["EUR"],
        }
    )


def test_the_four_answers_on_a_hand_checked_week() -> None:
    review = WeeklyReview(
        _history(), team="North", week="2026-W47", lang="en", targets=_targets(1_000_000.0)
    )
    got = {a.key: a for a in answers(review)}
    assert list(got) == ["changed", "stuck", "target", "coach"]
    assert got["changed"].verdict == (
        "The 2026-Q4 pipeline is down 5,500 EUR (17,000 EUR → 11,500 EUR)"
    )
    assert got["changed"].behind == (
        "Largest steps: pushed out of the period 1 (removes 5,000 EUR); won 1 "
        "(removes 2,000 EUR); new 1 (adds 1,500 EUR). 1 new deal(s) this week, "
        "whatever their close date."
    )
    assert got["target"].verdict == "not on track to hit target"
    assert got["target"].behind.startswith("Short of target by ")
    assert all(a.checked for k, a in got.items() if k != "stuck")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_answers_that_cannot_be_checked_say_so(lang: str) -> None:
    first_week = _history()
    first_week = first_week[first_week["snapshot_week"] == "2026-W47"]
    review = WeeklyReview(first_week, team="North", week="2026-W47", lang=lang)
    got = {a.key: a for a in answers(review)}
    word = "未检查" if lang == "zh" else "not checked"
    assert got["changed"].verdict.startswith(word) and not got["changed"].checked
    assert got["target"].verdict.startswith(word) and not got["target"].checked
    mixed = _history()
    mixed.loc[mixed["deal_id"] == "K4", "currency"] = "USD"
    review = WeeklyReview(mixed, team="North", week="2026-W47", lang=lang, targets=_targets(1.0))
    got = {a.key: a for a in answers(review)}
    for key in ("changed", "target", "coach"):
        assert got[key].verdict.startswith(word), key
        assert "USD" in got[key].behind


def test_the_first_screen_links_each_answer_to_its_section() -> None:
    review = _review()
    page = review.glance_section()._repr_html_()
    assert page.startswith('<section id="glance"><h2>At a glance</h2>')
    anchors = re.findall(r'<a href="#(\w+)">', page)
    assert anchors == ["changes", "funnel", "forecast", "coaching"]
    ids = {
        getattr(review, name)().anchor
        for name in ("changes_section", "funnel_section", "forecast_section", "coaching_section")
    }
    assert set(anchors) <= ids


def test_the_title_holds_the_contents_the_style_and_the_way_back() -> None:
    review = _review("zh")
    title = review.title(index="../index.html").body
    contents = re.findall(r'<li><a href="#(\w+)">', title)
    assert contents == [
        "glance",
        "headline",
        "changes",
        "reasons",
        "funnel",
        "forecast",
        "calls",
        "pacing",
        "forecast_check",
        "results",
        "risks",
        "activities",
        "collections",
        "coaching",
    ]
    sections = [
        review.glance_section(),
        review.headline_section(),
        review.changes_section(),
        review.reasons_section(),
        review.funnel_section(),
        review.forecast_section(),
        review.calls_section(),
        review.pacing_section(),
        review.forecast_check_section(),
        review.results_section(),
        review.risks_section(),
        review.activities_section(),
        review.collections_section(),
        review.coaching_section(),
    ]
    assert [s.anchor for s in sections] == contents
    assert '<p class="back"><a href="../index.html">← 全部团队</a></p>' in title
    assert "@page{size:A4" in title and "Noto Sans CJK SC" in title
    assert "http" not in re.sub(r'href="\.\./index\.html"', "", title)  # nothing fetched
    assert 'class="back"' not in review.title().body
