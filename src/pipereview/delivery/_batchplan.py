"""What a weekly batch plans and records: what it runs, checked before any work
(:class:`BatchPlan`), each team's folder name, what a team's report depends on (its
fingerprint), which of last run's teams a resumed run keeps, and the manifest and index
page the week's pack ends with.

>>> inputs_line({"rows": 12, "sources": [{}]})
'12 deals from 1 file(s)'
>>> "<td>North</td>" in index_html("2026-W47", [TeamRun("North", "North", "ok", 1.5, 1)])
True
"""

from __future__ import annotations

import datetime
import hashlib
import html
import json
import shutil
import urllib.parse
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from pipereview.config import Config, portable_config
from pipereview.core._errors import InputError
from pipereview.core._languages import check_language
from pipereview.core._names import check_folder_name
from pipereview.core._staging import team_folders
from pipereview.core._weeks import Week
from pipereview.delivery._teamrun import TeamRun, missing_outputs

__all__ = ["inputs_line", "safe_folder_name"]


def safe_folder_name(team: str) -> str:
    """``team`` as a folder name, refused (:class:`~pipereview.core._errors.InputError`) when it
    could reach outside the output folder or cannot be a folder on every system (the rule
    of :func:`pipereview.core._names.name_problem`, which ingest applies to every stored name).
    Chinese and spaces inside are kept."""
    return check_folder_name(team, "team")


@dataclass(frozen=True)
class BatchPlan:
    """What a batch runs, checked before any work: the ``teams`` of ``as_of`` in ``store``
    and their folders, the notebook, the targets, the language and the stage model, the
    configuration file and the ``settings`` every team shares, the cell and team limits."""

    store: Any
    as_of: Week
    teams: list[str]
    folders: dict[str, str]
    notebook: Path
    targets: Path | None
    lang: str
    stage_model: str | None
    config: Config | str | Path | None
    settings: dict[str, Any] | None
    timeout: int
    team_timeout: float | None
    period: str | None = None


def plan_batch(
    week: str | Week,
    store: str | Path | None,
    teams: Sequence[str] | None,
    notebook: Path,
    lang: str,
    targets: str | Path | None,
    stage_model: str | None,
    config: Config | str | Path | None,
    templates: Sequence[str | Path],
    timeout: int,
    team_timeout: float | None,
) -> BatchPlan:
    """What :func:`~pipereview.delivery.run_batch` is asked to run, each part checked
    before any work: the week, the language, the teams (every team of the week by default)
    and their folder names, the notebook, the team limit and the configuration."""
    from pipereview.history._store import SnapshotStore

    as_of = Week.parse(str(week))
    check_language(lang)
    snapshot_store = SnapshotStore(store)
    chosen = _chosen_teams(snapshot_store, as_of, teams)
    folders = team_folders(chosen, reserved=("_shared", "index.html", "manifest.json"))
    _check_limits(notebook, team_timeout)
    target_path = Path(targets).resolve() if targets else None
    settings = portable_config(config, templates)  # a wrong file is refused before any work
    return BatchPlan(
        snapshot_store,
        as_of,
        chosen,
        folders,
        notebook,
        target_path,
        lang,
        stage_model,
        config,
        settings,
        timeout,
        team_timeout,
    )


def _chosen_teams(store: Any, as_of: Week, teams: Sequence[str] | None) -> list[str]:
    """``teams`` (sorted, each once), or every team of the week; a team the week does not
    hold is refused by name."""
    stored = store.read(str(as_of))
    available = sorted(stored["team"].astype("str").unique())
    chosen = sorted(set(teams)) if teams else available
    missing = [t for t in chosen if t not in available]
    if missing:
        raise InputError(
            f"no team {', '.join(missing)} in {as_of}; teams: {', '.join(available)}",
            hint="give team names as the store has them",
        )
    return chosen


def _check_limits(notebook: Path, team_timeout: float | None) -> None:
    """Refuse a notebook that is not there and a team limit that is no time."""
    if not notebook.exists():
        raise InputError(
            f"notebook {notebook} not found",
            file=notebook,
            hint="give --notebook an existing .ipynb file, or leave it out to run "
            "the weekly review that ships with pipereview",
        )
    if team_timeout is not None and team_timeout <= 0:
        raise InputError(
            f"team_timeout must be a number of seconds > 0, got {team_timeout}",
            hint="e.g. --team-timeout 900, or leave it out for no limit per team",
        )


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(
    store: Any,
    week: Week,
    notebook: Path,
    targets: Path | None,
    lang: str,
    stage_model: str | None = None,
    settings: dict[str, Any] | None = None,
) -> str:
    """What a team's report depends on: every stored week up to ``week`` (its sources'
    SHA-256) and the activities, leads and invoices stored up to it, the notebook, the targets file, the language, the stage model and the
    configuration with every file of its templates folders."""
    from pipereview.history._companionstore import companion_records

    inputs = [store.info(w) for w in store.weeks() if w <= str(week)]
    folders = {
        folder: {
            str(p.relative_to(folder)): sha256_of(p)
            for p in sorted(Path(folder).rglob("*"))
            if p.is_file()
        }
        for folder in (settings or {}).get("templates", [])
    }
    payload = {
        "weeks": inputs,
        "companions": companion_records(store, week),
        "notebook": sha256_of(notebook),
        "lang": lang,
        "stage_model": stage_model or "",
        "targets": sha256_of(targets) if targets else None,
        "config": settings,
        "templates": folders,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def resumed_runs(
    previous: Path, staging: Path, teams: Sequence[str], fingerprint: str
) -> list[TeamRun]:
    """Last run's ok teams with the same fingerprint, their folders copied into staging.
    A team is kept only when its folder is the one its name gives, a real folder, and
    still holds every expected file; anything else runs again."""
    manifest = previous / "manifest.json"
    if not manifest.exists():
        return []
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8")).get("teams", [])
    except (OSError, ValueError, AttributeError):
        return []  # an unreadable manifest keeps nothing
    known = {f.name for f in fields(TeamRun)}
    runs = []
    for entry in entries:
        team = entry.get("team") if isinstance(entry, dict) else None
        if (
            team not in teams
            or entry.get("status") != "ok"
            or (entry.get("fingerprint") != fingerprint)
        ):
            continue
        folder = previous / safe_folder_name(str(team))
        if (
            entry.get("folder") != folder.name
            or folder.is_symlink()
            or not folder.is_dir()
            or missing_outputs(folder)
        ):
            continue
        shutil.copytree(folder, staging / folder.name, symlinks=True)
        runs.append(TeamRun(**{**{k: v for k, v in entry.items() if k in known}, "resumed": True}))
    return runs


def inputs_line(info: dict[str, Any], lang: str = "en") -> str:
    """One line on what the week's snapshot holds (``SnapshotStore.info``) and what its
    ingest set aside, in ``lang`` (en or zh).

    >>> inputs_line({"rows": 1035, "sources": [{}] * 4, "rows_rejected": 2, "rows_skipped": 3})
    '1,035 deals from 4 file(s); 2 rows rejected, 3 skipped (in the quarantine files)'
    >>> inputs_line({"rows": 1035, "sources": [{}] * 4}, "zh")
    '1,035 个商机，来自 4 个文件'
    """
    files = info.get("sources") or info.get("files") or []
    rows = int(info.get("rows", 0))
    rejected, skipped = int(info.get("rows_rejected", 0)), int(info.get("rows_skipped", 0))
    if lang == "zh":
        line = f"{rows:,} 个商机，来自 {len(files)} 个文件"
        if rejected or skipped:
            line += f"；{rejected:,} 行被拒收，{skipped:,} 行被跳过（见隔离文件）"
        return line
    line = f"{rows:,} deals from {len(files)} file(s)"
    if rejected or skipped:
        line += f"; {rejected:,} rows rejected, {skipped:,} skipped (in the quarantine files)"
    return line


#: The index page's own words (English, Chinese).
_INDEX_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Pipeline review {week}", "销售管道周报 {week}"),
    "summary": ("{ok} of {n} teams ok", "{n} 个团队中 {ok} 个正常"),
    "failed_count": (", {failed} failed", "，{failed} 个失败"),
    "inputs": ("Inputs: {line}", "本周数据：{line}"),
    "ok": ("ok", "正常"),
    "failed": ("failed: {error}", "失败：{error}"),
    "seconds": ("{s:.1f} s", "{s:.1f} 秒"),
    "team": ("Team", "团队"),
    "status": ("Status", "状态"),
    "duration": ("Duration", "用时"),
    "open_deals": ("Open deals", "进行中商机"),
    "open_pipeline": ("Open pipeline", "进行中金额"),
    "weighted": ("Weighted", "加权金额"),
    "won": ("Won this period", "本期赢单金额"),
    "target": ("Target", "目标"),
    "gap": ("Forecast against target", "预测与目标"),
    "outlook": ("Will we hit target?", "能否完成目标"),
}


def _gap_cell(headline: dict[str, Any], lang: str) -> str:
    """The gap to target worded by its sign (never a bare signed number), as every report."""
    from pipereview.diagnostics._figures import gap_text

    return html.escape(
        gap_text(headline.get("gap_to_target"), str(headline.get("currency") or ""), lang),
        quote=False,
    )


def _outlook_cell(headline: dict[str, Any], lang: str) -> str:
    from pipereview.diagnostics._figures import outlook_text

    value = headline.get("outlook")
    return "—" if not value else html.escape(outlook_text(str(value), lang), quote=False)


def index_html(
    week: str, runs: Sequence[TeamRun], inputs: dict[str, Any] | None = None, lang: str = "en"
) -> str:
    """The week's ``index.html``: every team's status, duration and headline figures (the
    gap worded by its sign), linked to its report, in ``lang``; what the week's snapshot
    holds (``inputs``) above them."""

    def t(key: str, **values: Any) -> str:
        en, zh = _INDEX_TEXT[key]
        return html.escape((zh if lang == "zh" else en).format(**values), quote=False)

    rows = []
    for run in runs:
        h = run.headline

        def figure(key: str, h: dict[str, Any] = h) -> str:
            value = h.get(key)
            return (
                "—"
                if value is None
                else (f"{value:,.0f}" if isinstance(value, float) else html.escape(str(value)))
            )

        # a relative, percent-encoded link: no team name can make it a URL scheme
        href = html.escape("./" + urllib.parse.quote(run.outputs.get("html", "")))
        link = (
            f'<a href="{href}">{html.escape(run.team)}</a>'
            if "html" in run.outputs
            else html.escape(run.team)
        )
        status = t("ok") if run.status == "ok" else t("failed", error=run.error[:300])
        rows.append(
            f'<tr class="{run.status}"><td>{link}</td><td>{status}</td>'
            f"<td>{t('seconds', s=run.duration_s)}</td><td>{figure('open_deals')}</td>"
            f"<td>{figure('open_amount')} {html.escape(str(h.get('currency', '')))}</td>"
            f"<td>{figure('weighted_pipeline')}</td><td>{figure('won_amount')}</td>"
            f"<td>{figure('target')}</td><td>{_gap_cell(h, lang)}</td>"
            f'<td class="outlook {html.escape(str(h.get("outlook") or "none"))}">'
            f"{_outlook_cell(h, lang)}</td></tr>"
        )
    failed = sum(r.status != "ok" for r in runs)
    summary = t("summary", ok=len(runs) - failed, n=len(runs)) + (
        t("failed_count", failed=failed) if failed else ""
    )
    heads = "".join(
        f"<th>{t(key)}</th>"
        for key in (
            "team",
            "status",
            "duration",
            "open_deals",
            "open_pipeline",
            "weighted",
            "won",
            "target",
            "gap",
            "outlook",
        )
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh" if lang == "zh" else "en"}"><head>'
        f'<meta charset="utf-8"><title>{t("title", week=week)}</title>'
        '<style>body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",'
        "system-ui,sans-serif}td,th{padding:4px 8px;text-align:left}"
        "tr.failed{background:#fde8e8}td.outlook.met,td.outlook.on_track{background:#e3f4e1}"
        "td.outlook.at_risk{background:#fff3cd}td.outlook.off_track{background:#fde8e8}"
        "</style></head><body>"
        f"<h1>{t('title', week=week)}</h1><p>{summary}</p>"
        + (f'<p class="inputs">{t("inputs", line=inputs_line(inputs, lang))}</p>' if inputs else "")
        + f"<table><thead><tr>{heads}</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>\n"
    )


def batch_manifest(
    week: Week,
    lang: str,
    notebook: Path,
    inputs: dict[str, Any],
    targets: Path | None,
    config: Config | str | Path | None,
    settings: dict[str, Any] | None,
    timeout: int,
    team_timeout: float | None,
    runs: Sequence[TeamRun],
) -> dict[str, Any]:
    """The week's ``manifest.json``: what ran (the notebook, the language, the limits), on
    which inputs (the week's snapshot, the targets, the configuration), with what result
    (every team's run; ``complete`` when every team is ok)."""
    return {
        "week": str(week),
        "lang": lang,
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "notebook": {"path": str(notebook), "sha256": sha256_of(notebook)},
        "inputs": inputs,
        "targets": ({"path": str(targets), "sha256": sha256_of(targets)} if targets else None),
        "config": (
            {
                "path": str(config) if isinstance(config, str | Path) and config else None,
                "templates": settings.get("templates", []),
            }
            if settings is not None
            else None
        ),
        "limits": {"cell_timeout_s": timeout, "team_timeout_s": team_timeout},
        "complete": all(r.status == "ok" for r in runs),
        "teams": [asdict(r) for r in runs],
    }
