"""The "Since last time" section over the whole sample, as a manager reads it: every rep's
sheet of 2026-W47 after the 1:1s of 2026-W46 were recorded and marked, in both languages.

Each line must be in words: no rule or metric key (``push_count``), no escaped
underscore, no figure with a trailing ``.0``, a figure then and now for every skill
item still open, and the target of a pattern item (one rule on several deals) counted
in deals, as the sheet that proposed it said."""

from __future__ import annotations

import re
import shutil
from itertools import cycle
from pathlib import Path

import pytest

from pipereview.coaching._log import PATTERN_METRIC, CoachingLog
from pipereview.coaching.pack import write_coaching_pack
from pipereview.diagnostics._targets import load_targets
from pipereview.history import SnapshotStore
from pipereview.history._trail import with_deal_keys
from pipereview.week import WeekDiagnostics

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ROOT / "data" / "samples" / "targets.csv"
SECTION = {"en": "## Since last time", "zh": "## 上次辅导约定"}
#: what no manager should read: a key with an underscore (escaped or not), a float's ".0"
RAW = re.compile(r"[a-z]+\\?_[a-z]+|\d\.0\b")


def _section(sheet: str, lang: str) -> list[str]:
    lines = sheet.splitlines()
    if SECTION[lang] not in "\n".join(lines):
        return []
    start = next(i for i, line in enumerate(lines) if line.startswith(SECTION[lang]))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("## "))
    return lines[start + 1 : end]


@pytest.fixture(scope="module")
def marked_sample(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample store whose log holds the 1:1s of 2026-W46, their items
    marked agreed, proposed, done and dropped in turn."""

    root = tmp_path_factory.mktemp("marked") / "store"
    shutil.copytree(sample_store, root)
    history = with_deal_keys(SnapshotStore(root).history())
    context = WeekDiagnostics(history, as_of="2026-W46", targets=load_targets(TARGETS))
    log = CoachingLog(root)
    write_coaching_pack(context, root.parent / "pack-W46", lang="en", log=log)
    entries = log.entries(week="2026-W46")
    statuses = cycle(["agreed", "proposed", "done", "dropped"])
    log.update(
        {
            (e["week"], e["team"], e["owner"], e["item"]): {"status": s, "note": "from the 1:1"}
            for e, s in zip(entries, statuses, strict=False)
        }
    )
    return root


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_since_line_of_the_sample_is_in_words(marked_sample: Path, lang: str) -> None:

    history = with_deal_keys(SnapshotStore(marked_sample).history())
    context = WeekDiagnostics(history, as_of="2026-W47", targets=load_targets(TARGETS))
    log = CoachingLog(marked_sample)
    entries = log.entries(week="2026-W46")
    patterns = [e for e in entries if e["metric"] == PATTERN_METRIC]
    assert patterns, "the sample has no pattern item: the check below would check nothing"
    out = marked_sample.parent / f"pack-W47-{lang}"
    write_coaching_pack(context, out, lang=lang, log=log)
    sheets = sorted(p for p in out.glob(f"*/*.{lang}.md") if p.name != f"team.{lang}.md")
    reps = {(e["team"], e["owner"]) for e in entries}
    opened = 0
    for path in sheets:
        section = _section(path.read_text(encoding="utf-8"), lang)
        if (path.parent.name, path.name.removesuffix(f".{lang}.md")) not in reps:
            assert not section, path
            continue
        assert section, f"{path}: no section although the rep's 1:1 of W46 is in the log"
        opened += 1
        for line in section:
            assert not RAW.search(line), f"{path}: {line}"
        items = [line for line in section if line.startswith("- **")]
        open_skill = [
            line
            for line in items
            if ("Skill coaching" in line or "技能辅导" in line)
            and not line.startswith(("- **Done", "- **Dropped", "- **已完成", "- **已放弃"))
        ]
        for line in open_skill:  # what happened since, in words
            assert re.search(r"(since then|：).+\d", line), f"{path}: {line}"
    assert opened == len(reps)


def test_a_pattern_item_records_its_deals_and_its_target(marked_sample: Path) -> None:
    entries = CoachingLog(marked_sample).entries(week="2026-W46")
    for entry in entries:
        if entry["metric"] != PATTERN_METRIC:
            continue
        assert entry["stage"] == "" and float(entry["value"]) >= 3, entry  # 3: the default
        assert entry["target"].startswith("Agree together"), entry
        assert f"Target by {entry['due']}: " in entry["target"], entry
        assert (
            f"of the {int(entry['value'])} deals" in entry["target"] or "all " in entry["target"]
        ), entry
