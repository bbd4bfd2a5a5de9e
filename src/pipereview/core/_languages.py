"""The languages pipereview writes in, and the one check every ``lang=`` goes through.

>>> check_language("zh")
'zh'
>>> phrase({"won": ("{n} won", "赢单 {n} 个")}, "won", "zh", n=3)
'赢单 3 个'
>>> check_language("fr")
Traceback (most recent call last):
...
pipereview.core._errors.ConfigError: unknown language 'fr'; choose one of en, zh
Hint: pass lang='en' or lang='zh' (--lang en|zh on the command line, lang: en|zh in a configuration file)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pipereview.core._errors import ConfigError

__all__ = ["LANGUAGES", "Lang", "check_language", "phrase"]

#: The languages of every report, prompt, sheet, chart and dashboard text.
LANGUAGES: tuple[str, ...] = ("en", "zh")
#: A checked language code.
Lang = Literal["en", "zh"]


def check_language(lang: object, *, source: str | None = None) -> Lang:
    """``lang`` when pipereview speaks it (``en`` or ``zh``); otherwise a
    :class:`~pipereview.core._errors.ConfigError` (also a ``ValueError``) naming it and the
    languages there are. ``source`` (a configuration file) is named first when given."""
    if lang == "en":
        return "en"
    if lang == "zh":
        return "zh"
    prefix = f"{source}: " if source else ""
    raise ConfigError(
        f"{prefix}unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}",
        file=source,
        hint="pass lang='en' or lang='zh' (--lang en|zh on the command line, "
        "lang: en|zh in a configuration file)",
    )


def phrase(texts: Mapping[str, tuple[str, str]], key: str, lang: str, **values: object) -> str:
    """The text ``key`` of a table of fixed texts (key -> (en, zh)) in ``lang``, with
    ``values`` filled in (a text without them is returned as written); a language
    pipereview does not write is refused as by :func:`check_language`."""
    en, zh = texts[key]
    text = zh if check_language(lang) == "zh" else en
    return text.format(**values) if values else text
