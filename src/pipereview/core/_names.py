"""Team and rep names: the one rule for a name that becomes a folder or file name, and the
look-alike key that finds two spellings of one name.

A team's name becomes a folder of the review pack and of the coaching pack, a rep's name a
file name of the coaching pack; both appear in links and chart expressions. Ingest checks
every name against :func:`name_problem` once, so that nothing stored can later stop the
weekly run, and :func:`lookalike_key` finds names that differ only in width, case or
spacing (``Ｎｏｒｔｈ`` and ``north``), which a person reads as one team.

>>> name_problem("华东"), name_problem("North America")
(None, None)
>>> name_problem("A/B")
"holds '/'"
>>> lookalike_key("Ｎｏｒｔｈ  Team") == lookalike_key("north team")
True
"""

from __future__ import annotations

import re
import unicodedata

from pipereview.core._errors import InputError

__all__ = ["MAX_NAME_BYTES", "NAME_RULE", "check_folder_name", "lookalike_key", "name_problem"]

#: The longest name in UTF-8 bytes: a folder or file name is at most 255 bytes on common
#: file systems, and the pack adds suffixes such as ``.zh.html`` to a rep's name.
MAX_NAME_BYTES = 200
#: What a valid name is, in words (for messages and docs).
NAME_RULE = (
    'a name without / \\ : * ? " < > | { } or control characters, not starting with a '
    f"dot nor ending with a dot or space, at most {MAX_NAME_BYTES} bytes, and not a "
    "Windows device name such as CON or NUL"
)

# separators, control characters (C0, DEL, C1, Unicode line and paragraph separators),
# ':' (a drive-relative path on Windows, a URL scheme in a link), characters Windows
# refuses in file names, and braces (papermill formats its paths with the parameters)
_UNSAFE = re.compile(r'[\\/:*?"<>|{}\x00-\x1f\x7f-\x9f\u2028\u2029]')
_DEVICES = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def name_problem(name: str) -> str | None:
    """What makes ``name`` unusable as a folder or file name, or ``None`` when it is fine.

    >>> name_problem("CON"), name_problem(" x "), name_problem("..")
    ('is a Windows device name', 'ends with a dot or space', 'starts with a dot')
    """
    if not name.strip():
        return "is blank"
    found = _UNSAFE.search(name)
    if found:
        char = found.group()
        return (
            f"holds {char!r}"
            if char.isprintable()
            else f"holds the control character U+{ord(char):04X}"
        )
    if name.startswith("."):
        return "starts with a dot"
    if name.endswith((".", " ")):
        return "ends with a dot or space"
    if _DEVICES.match(name):
        return "is a Windows device name"
    size = len(name.encode("utf-8"))
    if size > MAX_NAME_BYTES:
        return f"is {size} bytes long (at most {MAX_NAME_BYTES})"
    return None


def check_folder_name(name: str, what: str = "team") -> str:
    """``name`` unchanged when :func:`name_problem` finds nothing wrong with it, else an
    :class:`~pipereview.core._errors.InputError` naming the problem.

    >>> check_folder_name("华东")
    '华东'
    """
    problem = name_problem(str(name))
    if problem is not None:
        raise InputError(
            f"{what} name {name!r} cannot be used as a folder name: it {problem}",
            expected=NAME_RULE,
            hint=f"rename the {what} in the export or the column map's values",
        )
    return str(name)


def lookalike_key(name: str) -> str:
    """The form two names share when a person would read them as one: Unicode compatibility
    forms folded (full-width letters, ligatures), case folded, runs of spaces made one,
    leading and trailing spaces dropped.

    >>> lookalike_key(" Ｎｏｒｔｈ  Ｔｅａｍ ")
    'north team'
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    return _SPACES.sub(" ", folded).strip()
