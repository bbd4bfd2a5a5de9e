"""The review pack in a real browser: Debian's Chromium, headless, with every network
request refused, opens the index from disk, follows a team's link and draws its charts;
what a manager sees on the first screen of a 1280x720 laptop, the deals behind a count,
the links back to the CRM, the report printed on A4, and Chinese chart labels drawn with a
CJK font inside their charts. Screenshots and the printed PDF are kept in
``test-artifacts/reports/``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from conftest import CJK_FONTS
from pipereview.config import Config
from pipereview.delivery._batch import BatchResult, run_batch

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "reports"
CRM = "https://acme.lightning.force.com/lightning/r/Opportunity/{deal_id}/view"
#: The width of A4 paper inside the report's 12 mm margins, in CSS pixels (96 per inch).
A4_WIDTH = round((210 - 24) / 25.4 * 96)
A4_HEIGHT = round((297 - 24) / 25.4 * 96)

pytestmark = [
    # jupyter_client leaves kernel sockets for the garbage collector (third-party)
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


@pytest.fixture(scope="module")
def pack(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> BatchResult:
    return run_batch(
        "2026-W47",
        store=sample_store,
        teams=["North"],
        lang="zh",
        out_dir=tmp_path_factory.mktemp("reports"),
        targets=ROOT / "data" / "samples" / "targets.csv",
        config=Config(crm_url=CRM),
    )


def _offline_page(browser: Any, width: int, height: int) -> tuple[Any, list[str]]:
    """A page that may load files only; every other request is refused and listed."""
    page = browser.new_page(viewport={"width": width, "height": height})
    remote: list[str] = []

    def refuse(route: Any) -> None:
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            remote.append(url)
            route.abort()

    page.route("**/*", refuse)
    return page, remote


def _report(pack: BatchResult) -> str:
    return (pack.index.parent / "North" / "review.html").resolve().as_uri()


def _keep(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def test_the_first_screen_answers_the_four_questions(browser: Any, pack: BatchResult) -> None:
    page, remote = _offline_page(browser, 1280, 720)
    try:
        page.goto(_report(pack))
        questions = page.locator("table.glance th[scope=row]")
        assert questions.all_inner_texts() == [
            "发生了什么变化？",
            "漏斗卡在哪里？",
            "能否完成目标？",
            "辅导什么？",
        ]
        verdicts = page.locator("table.glance td.verdict").all_inner_texts()
        assert verdicts[0].startswith("2026-Q4 成交管道减少 ")
        assert verdicts[3].startswith("先辅导：")
        for row in page.locator("table.glance tr").all():  # every answer without scrolling
            box = row.bounding_box()
            assert box is not None and box["y"] + box["height"] <= 720, row.inner_text()
        _keep(page, "first-screen-zh-1280x720.png")
        assert remote == []
    finally:
        page.close()


def test_a_count_opens_its_deals_and_each_deal_links_to_the_crm(
    browser: Any, pack: BatchResult
) -> None:
    page, remote = _offline_page(browser, 1280, 900)
    try:
        page.goto(_report(pack))
        summary = page.locator("#changes details.category-deals > summary", has_text="输单")
        count = int(re.search(r"：(\d+)", summary.inner_text())[1])  # type: ignore[index]
        block = summary.locator("xpath=..")
        first_row = block.locator("tbody tr").first
        assert not first_row.is_visible()
        summary.click()
        assert first_row.is_visible()
        assert block.locator("tbody tr").count() == count  # every lost deal, none cut
        links = page.locator("#risks a[href^='https://acme.lightning.force.com/']")
        assert links.count() > 10  # the flagged deals shown and behind the click
        for link in links.all()[:5]:
            assert link.get_attribute("href") == CRM.format(deal_id=link.inner_text())
        _keep(page, "lost-deals-opened-zh.png")
        assert remote == []
    finally:
        page.close()


def test_the_report_prints_on_a4_without_cut_columns(browser: Any, pack: BatchResult) -> None:
    page, remote = _offline_page(browser, A4_WIDTH, 1000)
    try:
        page.goto(_report(pack))
        page.emulate_media(media="print")
        overflow = page.evaluate(
            """(limit) => [...document.querySelectorAll('table')]
                .filter(t => t.offsetParent !== null)
                .map(t => [t.getBoundingClientRect().right, t.scrollWidth, t.clientWidth,
                           t.innerText.slice(0, 40)])
                .filter(([right, scroll, client]) => right > limit + 1 || scroll > client + 1)""",
            A4_WIDTH,
        )
        assert overflow == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pdf = page.pdf(path=str(ARTIFACTS / "north-zh-a4.pdf"), format="A4")
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        # 20 before the four sections of the forecasts that learn (at most two pages, below);
        # 21, columns cut, when every list printed whole
        assert 1 <= pages <= 22, pages
        heights = dict(
            page.evaluate(
                """() => [...document.querySelectorAll('section[id]')]
                    .map(s => [s.id, s.getBoundingClientRect().height])"""
            )
        )
        # everything but the reps' coaching sheets (one per rep) on seven pages: the sections
        # the review had on five, the forecast's check of the stage probabilities and the
        # results compared with the team's accounts by value and potential (measured on North
        # in Chinese: forecast 1,423 px, results 1,616 px, 7,109 px in all, 20 pages)
        # why the pipeline changed (on paper: by reason and the category matrix, the deals
        # behind each reason left to the changes section), the forecast calls, pacing and
        # which forecast to trust: on two pages
        learning = ("reasons", "calls", "pacing", "forecast_check")
        assert sum(heights[name] for name in learning) <= 2 * A4_HEIGHT, heights
        review = sum(h for name, h in heights.items() if name not in ("coaching", *learning))
        assert review <= 7 * A4_HEIGHT, heights
        # each rep's sheet fits on the two sides of one A4 sheet, taken into the 1:1
        sheets = page.evaluate(
            """() => [...document.querySelectorAll('section.coaching-sheet')]
                .map(s => s.getBoundingClientRect().height)"""
        )
        assert len(sheets) == 7 and max(sheets) <= 2 * A4_HEIGHT, sheets
        assert remote == []
    finally:
        page.close()


def test_chinese_chart_labels_are_drawn_inside_their_charts(
    browser: Any, pack: BatchResult
) -> None:
    page, remote = _offline_page(browser, 1280, 900)
    try:
        page.goto(_report(pack))
        page.wait_for_selector("div.pipereview-chart svg")
        if (CJK_FONTS / "usr" / "share" / "fonts").is_dir():  # the glyphs the reader sees
            assert page.evaluate("document.fonts.check('12px \"Noto Sans CJK SC\"', '管道')")
        outside = page.evaluate(
            """() => [...document.querySelectorAll('div.pipereview-chart svg')].flatMap(svg => {
                const frame = svg.getBoundingClientRect();
                return [...svg.querySelectorAll('text')].filter(t => t.textContent.trim())
                  .map(t => [t.textContent, t.getBoundingClientRect()])
                  .filter(([, r]) => r.left < frame.left - 1 || r.top < frame.top - 1
                                  || r.right > frame.right + 1 || r.bottom > frame.bottom + 1)
                  .map(([text, r]) => [text, r.left - frame.left, frame.right - r.right]);
            })"""
        )
        assert outside == []
        charts = page.locator("div.pipereview-chart svg")
        assert charts.count() >= 3
        texts = " ".join(charts.nth(i).inner_html() for i in range(charts.count()))
        assert "…" not in texts  # no label shortened
        charts.first.scroll_into_view_if_needed()
        _keep(page, "charts-zh.png")
        assert remote == []
    finally:
        page.close()


def test_report_opens_offline_and_draws_its_charts(
    browser: object, pack: BatchResult, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    remote: list[str] = []

    def refuse(route: object) -> None:  # the network is closed: only files may load
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith("file://"):
            route.continue_()  # type: ignore[attr-defined]
        else:
            remote.append(url)
            route.abort()  # type: ignore[attr-defined]

    page.route("**/*", refuse)
    try:
        page.goto(pack.index.resolve().as_uri())
        assert "1 个团队中 1 个正常" in page.inner_text("body")  # the run's language (zh)
        page.click("text=North")
        page.wait_for_selector("svg", timeout=30_000)
        charts = page.locator("div.pipereview-chart svg")
        assert charts.count() >= 3  # waterfall, funnel, forecast
        box = charts.first.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 150
        text = page.inner_text("body")
        assert "核心数据" in text and "辅导单" in text  # the Chinese report
        assert "import " not in text  # no code in the report
        shot = tmp_path / "north.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 50_000  # a drawn page, not a blank one
        assert remote == []
    except Exception:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        raise
    finally:
        page.close()
