"""A lint of the text readers see: reports, coaching sheets, dashboard tabs and exports.

Every report section, sheet and export is data turned into sentences; when the data is
thin (no account, no currency, one week) the sentences are the first thing to break. The
lint finds the breakages a reader would notice, whatever produced the text:

* ``missing_value`` — ``nan``, ``NaN``, ``None``, ``inf``, ``NaT`` or ``<NA>`` printed as a word;
* ``empty_subject`` — a name left out: ``(, 5,482)``, ``“MES - ?”``, ``()``, ``（，``,
  ``“”``, "What has told you", two spaces where a name was;
* ``internal_key`` — a stage key of a shipped stage model, a coaching rule id, an evidence
  field or any other ``snake_case`` token instead of its label;
* ``html_entity`` — ``&amp;``, ``&lt;`` … in Markdown or plain text (escaped twice);
* ``english_in_zh`` — an English word in Chinese text, other than the names given, currency
  codes and the product terms of :data:`ALLOWED_TERMS`;
* ``no_risk_beside_risk`` — "no risk" (没有风险 …) in a text that lists risks;
* ``ahead_and_behind`` — "ahead"/"above target" and "behind"/"short of target" (领先/落后)
  for one subject: on one line, or anywhere in a text about one team and period;
* ``signed_gap`` — a gap printed with a minus sign ("Gap to target -2,605,725"), which
  reads as behind when it means ahead;
* ``day_count`` — days printed as decimals ("70.0 days") or negative ("-4 days").

Text is checked line by line; table cells are separated by tabs
(:mod:`pipereview.delivery._visibletext` turns HTML, Markdown, terminal output, data
frames, CSV and XLSX files into such text), so whole-cell checks (a cell that is just a stage
key) and whole-text checks (no risk beside a risk) both apply.

>>> [p.rule for p in lint_text("Amount: 5,482 nan (, Acme)", "en")]
['missing_value', 'empty_subject']
>>> lint_text("北区 本周新增 3 个商机，stalled_deal 2 个", "zh")[0].rule
'internal_key'
>>> lint_text("张伟：MES 升级 120,000 CNY", "zh", names=["张伟"])
[]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from pipereview.core._languages import check_language

__all__ = [
    "ALLOWED_TERMS",
    "CURRENCY_CODES",
    "LintContext",
    "LintProblem",
    "internal_keys",
    "lint_text",
]

#: Terms a Chinese sales text may keep in Latin letters (besides names and currency codes).
ALLOWED_TERMS: frozenset[str] = frozenset(
    {
        "ABC",  # ABC 分类: the method's classes of customers
        "BANT",
        "CRM",
        "ID",
        "KPI",
        "ERP",
        "MES",
        "SaaS",
        "PoC",
        "POC",
        "CSV",
        "XLSX",
        "Excel",
        "PDF",
        "ROI",
        "SLA",
        "API",
        "IT",
        "OEM",
        "B2B",
        "VP",
        "CEO",
        "CFO",
        "CTO",
        "CIO",
        "PM",
        "Q1",
        "Q2",
        "Q3",
        "Q4",
        "x",
    }
)
#: ISO 4217 codes a report prints beside amounts.
CURRENCY_CODES: frozenset[str] = frozenset(
    {
        "USD",
        "EUR",
        "CNY",
        "RMB",
        "GBP",
        "JPY",
        "HKD",
        "CHF",
        "SGD",
        "AUD",
        "CAD",
        "KRW",
        "TWD",
        "INR",
        "SEK",
        "NOK",
        "DKK",
        "PLN",
        "CZK",
        "BRL",
        "MXN",
        "ZAR",
        "NZD",
        "AED",
    }
)
#: Stage keys that are also ordinary words (a deal "won", "lost"): not flagged on their own.
_PLAIN_WORDS = frozenset({"won", "lost"})


@dataclass(frozen=True)
class LintProblem:
    """One problem: the ``rule`` broken, the ``line`` it is on and the ``excerpt`` (the
    offending text), with a ``message`` saying what a reader would see."""

    rule: str
    excerpt: str
    line: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.excerpt!r} in {self.line.strip()[:160]!r}"


@dataclass(frozen=True)
class LintContext:
    """What the lint knows besides the text.

    ``keys``: internal keys never shown to a reader (default :func:`internal_keys`: the
    stage keys of the registered stage models, the coaching rule ids, the evidence fields);
    ``one_subject``: the whole text is about one team (or rep) and one period, so "ahead"
    and "behind" anywhere in it contradict each other; ``risks_listed``: the number of risks
    the text lists when the caller knows it (None: found in the text itself).
    """

    keys: frozenset[str] | None = None
    one_subject: bool = False
    risks_listed: int | None = None
    allowed: frozenset[str] = field(default_factory=frozenset)


@cache
def _registered_keys() -> frozenset[str]:
    from pipereview.coaching import coaching_rules
    from pipereview.core._stages import EVIDENCE_FIELDS, load_stage_model, stage_models

    keys = set(coaching_rules.names()) | set(EVIDENCE_FIELDS)
    for name in stage_models.names():
        keys |= set(load_stage_model(name).keys)
    return frozenset(keys)


def internal_keys() -> frozenset[str]:
    """Stage keys of the shipped and registered stage models, coaching rule ids and the
    evidence fields: names of the code, never of the reader.

    >>> {"discover", "stalled_deal", "budget_confirmed"} <= internal_keys()
    True
    """
    return _registered_keys()


# --- the rules ---------------------------------------------------------------------------

_MISSING = re.compile(
    r"(?<![\w<])(nan|NaN|NAN|NaT|inf|Inf|-inf|None)(?![\w>])(?!\s+[a-z])"
    r"|<NA>|(?<![\w])(?:nan|NaN|inf|Inf)(?=[x%])"
)
_EMPTY = [
    (re.compile(r"[(（]\s*[,，、;；]|[,，、;；]\s*[)）]"), "a list in brackets with an empty item"),
    (re.compile(r"\(\s*\)|（\s*）"), "empty brackets"),
    (re.compile(r"“\s*”|‘\s*’|「\s*」|《\s*》|\"\s\"|(?<![\w\"])\"\"(?![\w\"])"), "empty quotes"),
    (re.compile(r"(?:(?<=\s)|(?<=[“\"(（]))\?(?=\s|$|[”\")）,，.])"), "a question mark for a name"),
    (
        re.compile(
            r"\b(?:What|Why|How|When|Where|Who)\s+(?:has|have|did|does|do|is|was|will|can)"
            r"\s+(?:told|said|shown|given|confirmed|agreed|committed|asked|decided|signed"
            r"|promised|mentioned)\b"
        ),
        "a question without its subject",
    ),
    (re.compile(r"\S {2,}\S"), "two spaces where a name was"),
    (re.compile(r"[:：]\s*[,，;；.。]"), "a colon with nothing after it"),
    (re.compile(r"(?:^|\s)['’]s\b"), "a possessive without its name"),
]
_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{1,6}|#x[0-9a-fA-F]{1,6});")
_SNAKE = re.compile(r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])")
_ENGLISH = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['’.-][A-Za-z\u00c0-\u024f]+)*")
# stripped before English words are counted: ISO weeks and quarters, multipliers, files
_NEUTRAL = re.compile(
    r"\d{4}-W\d{2}|\d{4}-Q[1-4]|(?<=\d)x\b"
    r"|\S+\.(?:csv|xlsx|md|html|json)\b|https?://\S+"
)
_NO_RISK = {
    "en": re.compile(
        r"\bno (?:open )?(?:deal is flagged|risks?\b[^.\n]*)|\bnothing (?:is )?at risk"
        r"|\bno deals? at risk",
        re.I,
    ),
    "zh": re.compile(r"没有(?:需要关注的|风险|[^。\n]{0,8}风险)|无风险|暂无风险|未发现风险"),
}
# "no risk beyond the deals below" (除下列商机外没有其他风险) says no risk *else*
_BEYOND = re.compile(
    r"\b(?:beyond|other than|besides|apart from|except|outside|other|else)\b"
    r"|除|以外|之外|其他|其它|另外",
    re.I,
)
_RISK = {  # how a listed risk reads (a heading such as "Deals at risk" lists none)
    "en": re.compile(
        r"\bstalled\b|\bpushed (?:repeatedly|\d+ times|three)|\boverdue\b"
        r"|close date (?:has )?passed|after its close date|no (?:recent|logged) activity"
        r"|past (?:the )?typical|\bseverity \d",
        re.I,
    ),
    "zh": re.compile(
        r"停滞|多次推迟|推迟了 ?\d+ ?次|成交日(?:期)?已过|近期无跟进|没有跟进记录"
        r"|超出阶段常规时长|逾期"
    ),
}
_AHEAD = {
    "en": re.compile(
        r"\bahead of (?:the )?(?:target|plan|pace)\b|\babove (?:the )?(?:target|plan)\b"
        r"|\bexceed(?:s|ed)? (?:the )?(?:target|plan)\b",
        re.I,
    ),
    "zh": re.compile(r"领先(?:于)?(?:目标|计划|进度)|超出目标|高于目标|高于计划|超额完成|超过目标"),
}
_BEHIND = {
    "en": re.compile(
        r"\bbehind (?:the )?(?:target|plan|pace)\b|\bshort of (?:the )?(?:target|plan)\b"
        r"|\bbelow (?:the )?(?:target|plan)\b",
        re.I,
    ),
    "zh": re.compile(r"落后|低于目标|低于计划|未达目标|距离目标还差"),
}
_SIGNED_GAP = re.compile(r"(?:\bgap\b|缺口|差距)[^\d\n\t]{0,40}[\t ]*[-−]\s?\d", re.I)
_DAYS = re.compile(r"(?:[-−]\d[\d,]*(?:\.\d+)?|\b\d[\d,]*\.\d+)\s?(?:days?\b|天|d\b)")


def _sentence(text: str, match: re.Match[str]) -> str:
    """The sentence (or line) of ``text`` that holds ``match``."""
    start = max(text.rfind(c, 0, match.start()) for c in ".。\n") + 1
    ends = [i for i in (text.find(c, match.end()) for c in ".。\n") if i >= 0]
    return text[start : min(ends, default=len(text))]


def _problem(rule: str, match: re.Match[str] | str, line: str, message: str) -> LintProblem:
    excerpt = match if isinstance(match, str) else match.group(0)
    return LintProblem(rule, excerpt, line, message)


_NAME = "‹›"  # where a given name stood: no word, no space, no bracket the rules look for


def _without(text: str, names: Sequence[str]) -> str:
    """``text`` with every given name blanked out (longest first), so that names never
    count as English words, keys or empty subjects."""
    for name in names:
        if name:
            text = text.replace(name, _NAME)
    return text


def _line_problems(
    line: str, lang: str, keys: frozenset[str], allowed: frozenset[str]
) -> list[LintProblem]:
    out: list[LintProblem] = []
    for m in _MISSING.finditer(line):
        out.append(_problem("missing_value", m, line, "a missing value printed as a word"))
    for cell in line.split("\t"):
        for pattern, what in _EMPTY:  # an empty cell is no missing name: cells one by one
            for m in pattern.finditer(cell):
                out.append(_problem("empty_subject", m, line, what))
        word = cell.strip()
        if word in keys and "_" not in word and word not in _PLAIN_WORDS:
            out.append(_problem("internal_key", word, line, "a stage key instead of its label"))
    for m in _SNAKE.finditer(line):
        if m.group(0) not in allowed:
            out.append(_problem("internal_key", m, line, "an internal key instead of its label"))
    for m in _ENTITY.finditer(line):
        out.append(_problem("html_entity", m, line, "an HTML entity in text (escaped twice)"))
    if lang == "zh":
        words = _ENTITY.sub(" ", _SNAKE.sub(" ", _NEUTRAL.sub(" ", line)))
        for m in _ENGLISH.finditer(words):  # a single letter is no word (plan B, model X)
            word = m.group(0)
            if (
                len(word) > 1
                and word not in allowed
                and word.upper() not in CURRENCY_CODES
                and not _SNAKE.fullmatch(word)
                and not _MISSING.fullmatch(word)
            ):
                out.append(_problem("english_in_zh", m, line, "an English word in Chinese text"))
    if _AHEAD[lang].search(line) and _BEHIND[lang].search(line):
        out.append(_problem("ahead_and_behind", line.strip(), line, "ahead and behind on one line"))
    for m in _SIGNED_GAP.finditer(line):
        out.append(_problem("signed_gap", m, line, "a gap with a minus sign reads as behind"))
    for m in _DAYS.finditer(line):
        out.append(_problem("day_count", m, line, "days as a decimal or negative number"))
    return out


def lint_text(
    text: str, lang: str, *, names: Iterable[str] = (), context: LintContext | None = None
) -> list[LintProblem]:
    """Every problem a reader would see in ``text`` (in ``lang``: ``en`` or ``zh``), in
    order. ``names`` are proper names taken from the data (teams, reps, accounts, deals,
    products): they may hold any word. ``context`` says what else is known
    (:class:`LintContext`). Lines are checked one by one, tab-separated cells one by one
    where that matters.

    >>> [str(p) for p in lint_text("Gap to target -2,605,725 USD", "en")]
    ["signed_gap: 'Gap to target -2' in 'Gap to target -2,605,725 USD'"]
    >>> lint_text("Days in stage: 70 days (≥ 77 days)", "en")
    []
    >>> [p.rule for p in lint_text("No risk in the numbers this week.\\nStalled: MES", "en")]
    ['no_risk_beside_risk']
    >>> [p.excerpt for p in lint_text("阶段\\tdiscover", "zh")]
    ['discover', 'discover']
    """
    check_language(lang)
    context = context or LintContext()
    keys = internal_keys() if context.keys is None else context.keys
    given = sorted({str(n) for n in names if str(n).strip()}, key=len, reverse=True)
    allowed = ALLOWED_TERMS | context.allowed
    plain = _without(text, given)
    problems: list[LintProblem] = []
    for line in plain.splitlines():
        if line.strip():
            problems += _line_problems(line, lang, keys, allowed)
    no_risk = [m for m in _NO_RISK[lang].finditer(plain) if not _BEYOND.search(_sentence(plain, m))]
    if no_risk:
        rest = _NO_RISK[lang].sub(" ", plain)
        listed = (
            context.risks_listed
            if context.risks_listed is not None
            else len(_RISK[lang].findall(rest))
        )
        if listed:
            problems.append(
                _problem(
                    "no_risk_beside_risk",
                    no_risk[0],
                    no_risk[0].group(0),
                    f"'no risk' beside {listed} listed risk(s)",
                )
            )
    if context.one_subject:
        ahead, behind = _AHEAD[lang].search(plain), _BEHIND[lang].search(plain)
        if ahead and behind and not any(p.rule == "ahead_and_behind" for p in problems):
            problems.append(
                _problem(
                    "ahead_and_behind",
                    f"{ahead.group(0)} … {behind.group(0)}",
                    "",
                    "ahead and behind for one team and period",
                )
            )
    return problems
