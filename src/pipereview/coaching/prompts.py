"""Coaching prompts rendered from findings by Jinja2 templates, in English and Chinese.

Each rule has one template per language, ``<lang>/<rule>.j2`` in a template folder,
with three blocks: ``observation`` (the specific, numbered fact and its comparison),
``question`` (an open question to the rep) and ``action`` (a concrete next step); a risk's
template adds ``target``, the measurable target agreed for the follow-up day ``by`` (the
evidence's ``by``; "the follow-up" when a finding has none). The
shipped folder is ``templates/coaching``; folders passed in ``folders`` come first, so an
analyst overrides a shipped template or adds one for their own rule without editing the
package. Templates see every finding column, ``e`` (the evidence mapping), ``lang`` and
``deal_ref`` (the account and amount shown after a deal's name: "Acme, 5,482 EUR", or
the amount alone when the export has no account, the first mention); ``account`` is the
customer's short name after it ("上海恒通机械有限公司" → "恒通机械") and reads "the customer"
(客户) when the export names none, so a question never lacks its subject. An unknown
name is an error, never a blank.

Filters: ``money(currency)`` (``1,250,000 EUR``; Chinese: ``125万 EUR``, and yuan as
a Chinese reader writes them: ``453万元``), ``pct``
(``18%``), ``num`` (``1,234``), ``stage_label(model)``, ``field_labels(model)`` (evidence
fields as the stage model labels them, joined), ``quoted`` (a deal name in quotes).

>>> f = pd.DataFrame({"rule": ["stalled_deal"], "team": "North", "owner": "Ann",
...     "deal_name": "MES upgrade", "account": "Acme", "stage_model": "generic_4",
...     "stage": "solution_quote", "value": [45.0], "reference": [30.0],
...     "amount_at_stake": [1_250_000.0], "currency": "EUR",
...     "evidence": [{"days_since_activity": 45, "stalled_days": 30, "days_in_stage": 60}]})
>>> print(coaching_prompts(f, lang="en")["observation"].iloc[0])
“MES upgrade” (Acme, 1,250,000 EUR) has had no logged activity for 45 days, past the 30-day line; it has been at Solution & quote for 60 days.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from jinja2 import pass_context
from jinja2.runtime import Context

from pipereview.coaching._names import short_name
from pipereview.core._errors import ConfigError, InputError
from pipereview.core._languages import LANGUAGES, check_language
from pipereview.core._registry import DataRegistry, reads_user_folder
from pipereview.core._stages import load_stage_model
from pipereview.diagnostics._capabilities import currency_code
from pipereview.diagnostics._labels import criterion_label

__all__ = [
    "BLOCKS",
    "LANGUAGES",
    "NO_DATE",
    "PROMPT_COLUMNS",
    "TARGET_BLOCK",
    "PromptTemplates",
    "coaching_prompts",
    "deal_subject",
    "escape_markdown",
    "money_text",
    "template_folders",
]

#: The blocks of a prompt template, in the order a prompt reads.
BLOCKS: tuple[str, ...] = ("observation", "question", "action")
#: The optional block of a risk's template: the measurable target agreed in the 1:1, with
#: the date it is measured by (``e.by``, the follow-up day); ``""`` when a template has none.
TARGET_BLOCK = "target"
#: Columns :func:`coaching_prompts` adds to the findings.
PROMPT_COLUMNS: tuple[str, ...] = ("lang", *BLOCKS, TARGET_BLOCK, "prompt")


# Markdown punctuation, the angle brackets of HTML tags, and "&" where it would start an
# entity ("&amp;", "&#47;"): each escaped the Markdown way, with a backslash
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~<>]|&(?=#?\w+;))")


def escape_markdown(text: object) -> str:
    """``text`` safe inside Markdown, reading as typed both rendered and in a text editor:
    Markdown punctuation and the ``<`` and ``>`` of HTML tags are backslash-escaped (a
    viewer shows them, never runs them as HTML), and ``&`` stays ``&`` (no ``&amp;``: that
    escaping is HTML's) unless it would start an entity (filter ``md``).

    >>> print(escape_markdown("<script>alert(1)</script> *big* [link]"))
    \\<script\\>alert(1)\\</script\\> \\*big\\* \\[link\\]
    >>> print(escape_markdown("Smith & Sons, R&D, &amp;"))
    Smith & Sons, R&D, \\&amp;
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def _number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(
            f"expected a number, got {value!r}",
            expected="a number",
            hint="pass a number; in a prompt template, apply the money, pct and "
            "num filters to numeric columns or evidence only",
        ) from None
    return number


#: Currency codes a Chinese reader writes as 元 after the amount (453万元, not 453万 CNY).
_YUAN = frozenset({"CNY", "RMB"})


def money_text(value: Any, currency: object = "", lang: str = "en") -> str:
    """An amount as a reader sees it, with its currency code when the export has one
    (none: the amount alone, never "nan"); Chinese in 万 from 10,000, and yuan as 元.

    >>> money_text(5482.0, float("nan")), money_text(4_530_000, "CNY", "zh")
    ('5,482', '453万元')
    >>> money_text(5482.0, "CNY", "zh"), money_text(1_250_000, "EUR", "zh")
    ('5,482元', '125万 EUR')
    """
    check_language(lang)
    amount = _number(value)
    code = currency_code(currency)
    suffix = f" {code}" if code else ""
    if lang == "zh" and code in _YUAN:
        suffix = "元"
    if lang == "zh" and abs(amount) >= 10_000:
        wan = amount / 10_000
        text = f"{wan:,.0f}" if abs(wan) >= 100 else f"{wan:,.1f}".removesuffix(".0")
        return f"{text}万{suffix}"
    return f"{amount:,.0f}{suffix}"


@pass_context
def _money(context: Context, value: Any, currency: object = "") -> str:
    return money_text(value, currency, str(context.get("lang")))


#: What a target says for its date when a finding carries none (``by`` in its evidence,
#: set for every shipped rule's risk: :meth:`pipereview.coaching.Rule.run`).
NO_DATE = {"en": "the follow-up", "zh": "下次跟进之日"}
#: What a prompt calls the customer of a deal the export names no account for.
_NO_ACCOUNT = {"en": "the customer", "zh": "客户"}


def deal_subject(row: Mapping[str, Any], lang: str = "en") -> tuple[str, str]:
    """``(account, deal_ref)`` for a finding's prompt: the account's short name
    (:func:`short_name`: the full name is in ``deal_ref``, the first mention), or "the
    customer" (客户) when the export has none, so a question always has a subject; and
    what follows the deal's name in brackets: the account and the amount, or the amount
    alone.

    >>> deal_subject({"account": "Acme Inc.", "amount_at_stake": 5482.0, "currency": "EUR"})
    ('Acme', 'Acme Inc., 5,482 EUR')
    >>> deal_subject({"account": None, "amount_at_stake": 5482.0, "currency": None}, "zh")
    ('客户', '5,482')
    """
    check_language(lang)
    account = currency_code(row.get("account"))  # the same blank test: NaN, None, ""
    amount = row.get("amount_at_stake")
    shown = (
        "" if amount is None or pd.isna(amount) else money_text(amount, row.get("currency"), lang)
    )
    sep = "，" if lang == "zh" else ", "
    ref = sep.join(part for part in (account, shown) if part)
    return short_name(account) if account else _NO_ACCOUNT.get(lang, _NO_ACCOUNT["en"]), ref


def _pct(value: Any, digits: int = 0) -> str:
    """A share as a percentage, rounded half up (2.5% -> 3%), as people round."""
    number = _number(value)
    if math.isnan(number):
        return "n/a"
    step = Decimal(1).scaleb(-digits)
    return f"{Decimal(repr(number * 100)).quantize(step, rounding=ROUND_HALF_UP)}%"


def _num(value: Any, digits: int = 0) -> str:
    return f"{_number(value):,.{digits}f}"


@pass_context
def _stage_label(context: Context, key: str, model: str) -> str:
    try:
        return load_stage_model(model).stage(key).label_in(str(context.get("lang")))
    except Exception:
        return key


@pass_context
def _field_labels(context: Context, fields: Iterable[str], model: str) -> str:
    lang = str(context.get("lang"))
    labels = [criterion_label(f, lang, model or None) for f in fields]
    return ("、" if lang == "zh" else ", ").join(labels)


def _quoted(text: str) -> str:
    return f"“{text}”"


def _as_folder(item: object, name: str) -> Path:
    folder = Path(str(item))
    if not folder.is_dir():
        raise ConfigError(
            f"prompt template folder {name!r} ({folder}) does not exist",
            file=str(folder),
            hint="a template folder holds en/<rule>.j2 and zh/<rule>.j2",
        )
    return folder


#: Prompt template folders searched before the shipped ones: installed plug-ins'
#: (entry-point group ``pipereview.templates``: a folder, or a function returning one) and
#: user folders (:func:`pipereview.core._registry.use_folder`); the latest registered first.
template_folders: DataRegistry[Path] = DataRegistry(
    "prompt template folder", group="pipereview.templates", coerce=_as_folder
)


def _read_user_folder(root: Path) -> list[str]:
    """A user folder's ``coaching/`` (or the folder itself when it holds ``en/`` or
    ``zh/``), searched for prompt templates before the shipped ones."""
    coaching = root / "coaching"
    prompts = coaching if coaching.is_dir() else root
    if not ((prompts / "en").is_dir() or (prompts / "zh").is_dir()):
        return []
    template_folders.register(
        str(prompts.resolve()), prompts, replace=True, source=f"folder {root}"
    )
    return [str(prompts)]


reads_user_folder("templates", _read_user_folder)


@lru_cache(maxsize=32)
def _environment(folders: tuple[Path, ...]) -> jinja2.Environment:
    """The template environment of ``folders`` (then the shipped templates), one per
    folder list: its templates are compiled once, not once per sheet and rule (a team's
    coaching asks for them ~150 times). A template edited meanwhile is still read anew
    (jinja2 checks each file's time)."""
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader([str(f) for f in folders])]
    loaders.append(jinja2.PackageLoader("pipereview", "templates/coaching"))
    environment = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "html.j2"], default=False),
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        money=_money,
        pct=_pct,
        num=_num,
        stage_label=_stage_label,
        field_labels=_field_labels,
        quoted=_quoted,
        md=escape_markdown,
    )
    return environment


class PromptTemplates:
    """The template folders searched, in order: ``folders`` (a user's), then the
    registered ones (:data:`template_folders`, latest first), then the shipped
    ``templates/coaching``.

    >>> PromptTemplates().has("stalled_deal", "zh")
    True
    """

    def __init__(self, folders: Sequence[str | Path] = ()) -> None:
        registered = [folder for _, folder in reversed(template_folders.items())]
        self.folders = tuple(dict.fromkeys([*(Path(f) for f in folders), *registered]))
        for folder in self.folders:
            if not folder.is_dir():
                raise ConfigError(
                    f"prompt template folder {folder} does not exist",
                    file=str(folder),
                    hint="pass a folder holding en/<rule>.j2 and zh/<rule>.j2",
                )
        self.environment = _environment(self.folders)

    def has(self, rule: str, lang: str) -> bool:
        """Whether a template for ``rule`` in ``lang`` exists in any folder."""
        check_language(lang)
        try:
            self.environment.get_template(f"{lang}/{rule}.j2")
        except jinja2.TemplateNotFound:
            return False
        return True

    def template(self, name: str) -> jinja2.Template:
        """A template by its name within a folder (e.g. ``en/stalled_deal.j2``)."""
        try:
            return self.environment.get_template(name)
        except jinja2.TemplateNotFound:
            searched = [str(f) for f in self.folders] + ["templates/coaching (shipped)"]
            raise ConfigError(
                f"no prompt template {name}; searched {', '.join(searched)}",
                hint=f"add {name} to a template folder with the blocks "
                f"{', '.join(BLOCKS)} (see docs/coaching.md)",
            ) from None

    def render(self, rule: str, lang: str, values: Mapping[str, Any]) -> dict[str, str]:
        """The blocks of ``rule``'s template in ``lang``, rendered with ``values``, and its
        ``target`` (``""`` when the template has no such block)."""
        check_language(lang)
        template = self.template(f"{lang}/{rule}.j2")
        context = template.new_context({**values, "lang": lang})
        out = {}
        for block in BLOCKS:
            if block not in template.blocks:
                raise ConfigError(
                    f"prompt template {lang}/{rule}.j2 has no block {block!r}",
                    hint=f"every prompt template defines {', '.join(BLOCKS)}",
                )
            try:
                text = "".join(template.blocks[block](context))
            except jinja2.UndefinedError as error:
                raise ConfigError(
                    f"prompt template {lang}/{rule}.j2, block {block!r}: {error.message}",
                    hint="the finding's columns and its evidence (e.<name>) are available",
                ) from None
            out[block] = " ".join(text.split())
        out[TARGET_BLOCK] = ""
        if TARGET_BLOCK in template.blocks:
            try:
                text = "".join(template.blocks[TARGET_BLOCK](context))
            except jinja2.UndefinedError as error:
                raise ConfigError(
                    f"prompt template {lang}/{rule}.j2, block {TARGET_BLOCK!r}: {error.message}",
                    hint="the finding's columns, its evidence (e.<name>) and by (the "
                    "follow-up day) are available",
                ) from None
            out[TARGET_BLOCK] = " ".join(text.split())
        return out


def coaching_prompts(
    findings: pd.DataFrame, *, lang: str = "en", templates: PromptTemplates | None = None
) -> pd.DataFrame:
    """A copy of ``findings`` with :data:`PROMPT_COLUMNS`: each finding's observation,
    question and action in ``lang`` and the three joined as ``prompt``."""
    templates = templates or PromptTemplates()
    check_language(lang)
    rendered = []
    for row in findings.to_dict("records"):  # one template call per finding
        found = row.get("evidence")
        evidence: dict[str, Any] = found if isinstance(found, dict) else {}
        values = {str(key): value for key, value in row.items()}
        values["account"], values["deal_ref"] = deal_subject(values, lang)
        values["by"] = str(evidence.get("by") or NO_DATE[lang])
        rendered.append(templates.render(str(row["rule"]), lang, {**values, "e": evidence}))
    out = findings.copy()
    out["lang"] = lang
    out.attrs["lang"] = lang  # a sheet of no finding at all is still in this language
    for block in (*BLOCKS, TARGET_BLOCK):
        out[block] = [r[block] for r in rendered]
    sep = "" if lang == "zh" else " "
    out["prompt"] = [sep.join(r[b] for b in (*BLOCKS, TARGET_BLOCK) if r[b]) for r in rendered]
    return out
