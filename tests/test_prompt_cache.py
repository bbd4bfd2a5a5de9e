"""Coaching prompt templates are compiled once per folder list, not once per sheet: a
team's coaching renders ~150 prompts through ~17 PromptTemplates, and compiling each
template anew cost a second. An edited template is still read anew."""

from __future__ import annotations

import os
from pathlib import Path

from pipereview.coaching.prompts import PromptTemplates

_TEMPLATE = (
    "{% block observation %}{{ text }}{% endblock %}"
    "{% block question %}Why?{% endblock %}{% block action %}Call.{% endblock %}"
)


def test_two_template_sets_of_the_same_folders_share_the_compiled_templates() -> None:
    one, other = PromptTemplates(), PromptTemplates()
    assert one.template("en/stalled_deal.j2") is other.template("en/stalled_deal.j2")


def test_an_edited_user_template_is_read_anew_and_other_folders_are_apart(
    tmp_path: Path,
) -> None:
    (tmp_path / "en").mkdir()
    path = tmp_path / "en" / "custom_rule.j2"
    path.write_text(_TEMPLATE.replace("{{ text }}", "First."), encoding="utf-8")
    first = PromptTemplates([tmp_path]).render("custom_rule", "en", {})
    assert first["observation"] == "First."
    path.write_text(_TEMPLATE.replace("{{ text }}", "Second."), encoding="utf-8")
    later = path.stat().st_mtime + 5  # a later edit, whatever the clock's resolution
    os.utime(path, (later, later))
    again = PromptTemplates([tmp_path]).render("custom_rule", "en", {})
    assert again["observation"] == "Second."
    assert not PromptTemplates().has("custom_rule", "en")  # the shipped set lacks it
