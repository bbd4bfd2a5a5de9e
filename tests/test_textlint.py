"""pipereview.delivery._textlint: each rule on a small text that breaks it and one that does not, in
English and Chinese; the visible text of HTML, Markdown, terminal tables, CSV and XLSX."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from pipereview.core._errors import ConfigError
from pipereview.core._exports import table_bytes
from pipereview.delivery._textlint import LintContext, internal_keys, lint_text
from pipereview.delivery._visibletext import (
    file_text,
    html_text,
    markdown_text,
    table_text,
    terminal_text,
    xlsx_text,
)


def rules(text: str, lang: str = "en", **kwargs: object) -> list[tuple[str, str]]:
    return [(p.rule, p.excerpt) for p in lint_text(text, lang, **kwargs)]  # type: ignore[arg-type]


# --- missing values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Open pipeline 5,482 nan", "nan"),
        ("Coverage NaNx", "NaN"),
        ("Owner: None", "None"),
        ("Coverage infx", "inf"),
        ("Closed on NaT", "NaT"),
        ("Account <NA>", "<NA>"),
        ("赢单率 nan%", "nan"),
    ],
)
def test_a_missing_value_printed_as_a_word_is_found(text: str, word: str) -> None:
    found = [e for r, e in rules(text, "zh" if "赢单" in text else "en") if r == "missing_value"]
    assert found == [word]


def test_words_that_merely_contain_or_resemble_a_missing_value_pass() -> None:
    assert rules("None of the 3 deals moved; Nanjing Infra won 2 deals; financial info") == []
    assert rules("南京 Nan 工程", "zh", names=["Nan"]) == []


# --- empty subjects ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("“MES rollout” (, 5,482 USD) has had no activity", "en"),
        ("“MES rollout - ?” is stalled", "en"),
        ("Ask () about the budget", "en"),
        ("Ask: What has told you about why the date keeps moving?", "en"),
        ("Talk to  about the next step", "en"),
        ("“”（，10.9万 CNY）已停滞", "zh"),
        ("问问（）预算情况", "zh"),
    ],
)
def test_an_empty_subject_is_found(text: str, lang: str) -> None:
    assert [r for r, _ in rules(text, lang)] and {r for r, _ in rules(text, lang)} == {
        "empty_subject"
    }


def test_a_full_subject_passes() -> None:
    text = (
        "“MES rollout” (Acme Corp., 5,482 USD) has had no activity for 40 days.\n"
        "Ask: What has Acme told you about why the date keeps moving?"
    )
    assert rules(text) == []
    assert (
        rules(
            "“恒通机械-MES系统升级”（上海恒通机械有限公司，10.9万 CNY）已停滞",
            "zh",
            names=["恒通机械-MES系统升级", "上海恒通机械有限公司"],
        )
        == []
    )


def test_an_empty_table_cell_is_no_empty_subject() -> None:
    assert rules("Rep\tDeal\tAccount\nAnn\t\tAcme", names=["Ann", "Acme"]) == []


# --- internal keys -----------------------------------------------------------------------


def test_internal_keys_hold_stage_keys_rule_ids_and_evidence_fields() -> None:
    keys = internal_keys()
    assert {
        "discover",
        "assess",
        "initial_contact",
        "id_decision_makers",
        "stalled_deal",
        "repeated_pushes",
        "budget_confirmed",
    } <= keys


@pytest.mark.parametrize(
    ("text", "lang", "key"),
    [
        ("Stage\tdiscover", "en", "discover"),
        ("Deal\tassess\tBudget confirmed", "en", "assess"),
        ("Issue: stalled_deal", "en", "stalled_deal"),
        ("The deal is at initial_contact", "en", "initial_contact"),
        ("规则\tstalled_deal", "zh", "stalled_deal"),
    ],
)
def test_an_internal_key_is_found(text: str, lang: str, key: str) -> None:
    assert ("internal_key", key) in rules(text, lang)


def test_labels_and_ordinary_words_pass() -> None:
    assert (
        rules(
            "Stage\tInitial contact\nWe discover needs before we assess the budget.\n"
            "Change\twon\nChange\tlost"
        )
        == []
    )
    assert rules("阶段\t客户关系与需求深挖", "zh") == []


def test_a_snake_case_name_given_as_a_name_passes() -> None:
    assert rules("Rep\tann_lee", names=["ann_lee"]) == []
    assert rules("Export\tactions_North_2026-W47.csv") == []


# --- HTML entities -----------------------------------------------------------------------


def test_an_html_entity_in_text_is_found() -> None:
    assert rules("Stage: Solution &amp; quote") == [("html_entity", "&amp;")]
    assert rules("客户 A&lt;B", "zh", names=["A"]) == [("html_entity", "&lt;")]
    assert rules("Stage: Solution & quote; 3 < 5") == []


# --- English in Chinese ------------------------------------------------------------------


def test_an_english_word_in_chinese_text_is_found() -> None:
    assert rules("本周 pipeline 增加了 3 个商机", "zh") == [("english_in_zh", "pipeline")]
    assert rules("Gap to target 120 万", "zh") == [
        ("english_in_zh", "Gap"),
        ("english_in_zh", "to"),
        ("english_in_zh", "target"),
    ]


def test_names_currency_codes_weeks_and_product_terms_pass_in_chinese() -> None:
    text = (
        "张伟（North 团队）在 2026-W47 的 BANT 检查：CRM 中 ID 为 0065 的商机 "
        "120,000 USD，覆盖率 1.50x，2026-Q4 目标。导出 actions_North_2026-W47.csv"
    )
    assert rules(text, "zh", names=["张伟", "North"]) == []


def test_an_allowed_term_can_be_added() -> None:
    context = LintContext(allowed=frozenset({"Voilà"}))
    assert rules("在 Voilà 中打开", "zh", context=context) == []


# --- no risk beside a risk ---------------------------------------------------------------


def test_no_risk_beside_a_listed_risk_is_found() -> None:
    sheet = "No risk in the numbers this week.\n- MES rollout: stalled for 40 days (severity 3)"
    assert [r for r, _ in rules(sheet)] == ["no_risk_beside_risk"]
    assert [r for r, _ in rules("没有需要关注的风险。\n- MES 升级：近期无跟进", "zh")] == [
        "no_risk_beside_risk"
    ]


def test_no_risk_alone_passes_and_a_known_count_decides() -> None:
    assert rules("No risk in the numbers this week.\nWell done on the MES rollout.") == []
    assert rules("No risk beyond the deals below this week.\n- MES rollout: stalled") == []
    assert rules("除以下商机外，本周没有发现风险。\n- MES 升级：近期无跟进", "zh") == []
    assert rules("没有发现其他风险。\n- MES 升级：近期无跟进", "zh") == []
    assert rules("本周没有风险。", "zh") == []
    assert [
        r for r, _ in rules("No open deal is flagged.", context=LintContext(risks_listed=2))
    ] == ["no_risk_beside_risk"]


# --- ahead and behind --------------------------------------------------------------------


def test_ahead_and_behind_for_one_subject_is_found() -> None:
    assert [r for r, _ in rules("DACH is ahead of target and 33% behind plan")] == [
        "ahead_and_behind"
    ]
    text = "Forecast above target by 1.3M EUR.\n\nYou are 33% behind plan."
    assert rules(text) == []  # two subjects may differ
    assert [r for r, _ in rules(text, context=LintContext(one_subject=True))] == [
        "ahead_and_behind"
    ]
    assert [r for r, _ in rules("华东领先目标，但落后 35%", "zh")] == ["ahead_and_behind"]


def test_one_verdict_passes() -> None:
    assert (
        rules(
            "Short of target by 1.3M EUR; 33% behind plan; 2 stages ahead of the evidence",
            context=LintContext(one_subject=True),
        )
        == []
    )
    assert rules("预测高于目标 120 万 CNY", "zh", context=LintContext(one_subject=True)) == []


def test_a_gap_with_a_minus_sign_is_found() -> None:
    assert [r for r, _ in rules("Gap to target\t-2,605,725 USD")] == ["signed_gap"]
    assert [r for r, _ in rules("目标缺口 -26,500,000 CNY", "zh")] == ["signed_gap"]
    assert rules("Gap to target\t2,605,725 USD (short)") == []


# --- day counts --------------------------------------------------------------------------


def test_days_as_decimals_or_negative_are_found() -> None:
    assert rules("In stage for 70.0 days") == [("day_count", "70.0 days")]
    assert rules("Days since activity: -4 days") == [("day_count", "-4 days")]
    assert rules("已停留 77.0 天", "zh") == [("day_count", "77.0 天")]


def test_whole_days_and_lower_bounds_pass() -> None:
    assert rules("In stage for ≥ 77 days; no activity for 70 days; 1.5x coverage") == []
    assert rules("已停留 ≥ 77 天", "zh") == []


# --- visible text ------------------------------------------------------------------------


def test_html_text_keeps_what_a_browser_shows() -> None:
    markup = (
        "<style>.x{color:red}</style><h2>Risks</h2>\n<p>Won &amp;\n   lost</p>"
        "<table><tr><th>Rep</th><th>Stage</th></tr><tr><td>Ann</td><td>discover</td>"
        "</tr></table><svg><text>Amount (USD)</text></svg>"
    )
    text = html_text(markup)
    assert text == "Risks\nWon & lost\nRep\tStage\nAnn\tdiscover\nAmount (USD)"
    assert ("internal_key", "discover") in rules(text, names=["Ann"])


def test_html_escaped_twice_shows_its_entity() -> None:
    assert rules(html_text("<p>Solution &amp;amp; quote</p>")) == [("html_entity", "&amp;")]


def test_markdown_text_undoes_escapes_and_reads_tables() -> None:
    md = "| Rep | Rule |\n|---|---|\n| Ann | stalled\\_deal |\n\nSolution &amp; quote"
    assert markdown_text(md) == "Rep\tRule\nAnn\tstalled_deal\n\nSolution &amp; quote"
    assert [r for r, _ in rules(markdown_text(md), names=["Ann"])] == [
        "internal_key",
        "html_entity",
    ]


def test_terminal_text_reads_drawn_tables() -> None:
    shown = (
        "┏━━━━━━━┳━━━━━━┓\n┃ team  ┃ cur. ┃\n┡━━━━━━━╇━━━━━━┩\n│ North │ nan  │\n└───────┴──────┘"
    )
    assert terminal_text(shown) == "team\tcur.\nNorth\tnan"
    assert rules(terminal_text(shown), names=["North"]) == [("missing_value", "nan")]


def test_every_cell_of_a_csv_and_an_xlsx_export_is_read(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"Rep": ["Ann", "Bob"], "Issue": ["stalled_deal", "Stalled"], "Amount": [5482.0, None]}
    )
    assert table_text(frame) == "Rep\tIssue\tAmount\nAnn\tstalled_deal\t5482.0\nBob\tStalled\t"
    for fmt in ("csv", "xlsx"):
        path = tmp_path / f"actions.{fmt}"
        path.write_bytes(table_bytes(frame, fmt))
        text = file_text(path)
        assert "stalled_deal" in text and "nan" not in text
        assert [r for r, _ in rules(text, names=["Ann", "Bob"])] == ["internal_key"]
    assert "Ann" in xlsx_text(table_bytes(frame, "xlsx"))


def test_a_csv_cell_holding_nan_as_text_is_found(tmp_path: Path) -> None:
    path = tmp_path / "findings.csv"
    path.write_text("deal,amount\nMES,5482 nan\n", encoding="utf-8")
    assert [r for r, _ in rules(file_text(path))] == ["missing_value"]
    assert pd.read_csv(io.StringIO("a\nnan"), keep_default_na=False)["a"].tolist() == ["nan"]


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown language 'de'; choose one of en, zh"):
        lint_text("text", "de")
