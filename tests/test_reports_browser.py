"""The review pack in a real browser: Debian's Chromium, headless, with every network
request refused, opens the index from disk, follows a team's link and draws its charts."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipereview.delivery._batch import BatchResult, run_batch

ROOT = Path(__file__).resolve().parents[1]

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
    )


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
