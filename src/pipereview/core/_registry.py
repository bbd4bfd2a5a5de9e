"""Registries: where pipereview looks up column maps, stage models, charts and prompt
template folders by name (coaching rules have theirs in :mod:`pipereview.coaching`).

Each registry holds the shipped entries, then what installed plug-ins declare under its
entry-point group (loaded on first use, never at import), then what code registers at run
time; a later entry of the same name replaces an earlier one only when asked
(``replace=True``) or when it comes from a user's folder (:func:`use_folder`), which is
how a team overrides a shipped model without forking the package.

>>> reg = Registry("greeting", group="pipereview.examples")
>>> @reg.register("hello")
... def hello() -> str:
...     return "hello"
>>> reg.get("hello")()
'hello'
>>> reg.names()
['hello']
>>> reg.get("bye")
Traceback (most recent call last):
...
pipereview.core._errors.ConfigError: unknown greeting 'bye'; known: hello
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, Generic, TypeVar, overload

from pipereview.core._errors import ConfigError

__all__ = ["DataRegistry", "Registry", "reads_user_folder", "use_folder"]

T = TypeVar("T")


def _entry_points(group: str) -> list[metadata.EntryPoint]:
    """The installed entry points of ``group``, sorted by name (a stable load order)."""
    return sorted(metadata.entry_points(group=group), key=lambda e: e.name)


class Registry(Generic[T]):
    """Named entries of one kind (``kind`` is how messages name them).

    ``coerce`` turns what a plug-in's entry point loads (or what :meth:`register` is
    given) into an entry, e.g. a YAML path into a stage model; ``builtins`` lists the
    shipped names and ``load_builtin`` reads one, both called only when needed.
    """

    #: Whether a plug-in's loaded callable is called for the entry (data registries: a
    #: factory returning a model) or is itself the entry (function registries: charts).
    _wants_call = False

    def __init__(
        self,
        kind: str,
        *,
        group: str,
        coerce: Callable[[Any, str], T] | None = None,
        builtins: Callable[[], list[str]] | None = None,
        load_builtin: Callable[[str], T] | None = None,
        setup: Callable[[], None] | None = None,
        hint: str = "",
    ) -> None:
        self.kind, self.group, self.hint = kind, group, hint
        self._coerce = coerce or (lambda item, _name: item)
        self._builtins = builtins or (list)
        self._load_builtin = load_builtin
        self._entries: dict[str, T] = {}
        self._sources: dict[str, str] = {}
        self._setup = setup
        self._plugins_loaded = False
        self._lock = threading.RLock()

    # -- registering -----------------------------------------------------------------
    @overload
    def register(
        self, name: str, item: None = None, *, replace: bool = False, source: str = "code"
    ) -> Callable[[T], T]: ...
    @overload
    def register(
        self, name: str, item: Any, *, replace: bool = False, source: str = "code"
    ) -> T: ...
    def register(
        self, name: str, item: Any = None, *, replace: bool = False, source: str = "code"
    ) -> T | Callable[[T], T]:
        """Register ``item`` under ``name`` (used as a decorator when ``item`` is omitted).

        A name already registered (or shipped) raises ``ConfigError`` unless
        ``replace=True``.
        """
        if item is None:

            def decorate(function: T) -> T:
                self.register(name, function, replace=replace, source=source)
                return function

            return decorate
        if not name or not isinstance(name, str):
            raise ConfigError(
                f"a {self.kind} needs a non-empty name, got {name!r}",
                hint="pass a name such as 'my_rule'",
            )
        with self._lock:
            self._load_plugins()
            if not replace and (name in self._entries or name in self._builtins()):
                raise ConfigError(
                    f"a {self.kind} named {name!r} is already registered; pass "
                    f"replace=True to override it (it comes from "
                    f"{self.source(name)})",
                    hint="choose another name, or pass replace=True to replace the registered one",
                )
            entry = self._coerce(item, name)
            self._entries[name] = entry
            self._sources[name] = source
            return entry

    def unregister(self, name: str) -> None:
        """Forget a registered entry (a shipped one of the same name shows again)."""
        with self._lock:
            self._entries.pop(name, None)
            self._sources.pop(name, None)

    # -- looking up ------------------------------------------------------------------
    def get(self, name: str) -> T:
        """The entry registered as ``name``, else the shipped one; ``ConfigError`` naming
        the known entries when there is neither."""
        with self._lock:
            self._load_plugins()
            if name in self._entries:
                return self._entries[name]
            if self._load_builtin is not None and name in self._builtins():
                return self._load_builtin(name)
        raise ConfigError(
            f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}", hint=self.hint
        )

    def names(self) -> list[str]:
        """Every name, shipped and registered, sorted."""
        with self._lock:
            self._load_plugins()
            return sorted(set(self._builtins()) | set(self._entries))

    def source(self, name: str) -> str:
        """Where ``name`` comes from: ``shipped``, ``plug-in <dist>``, ``folder <path>`` or
        ``code``."""
        if name in self._sources:
            return self._sources[name]
        return "shipped" if name in self._builtins() else "unknown"

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        with self._lock:
            self._load_plugins()
            return name in self._entries or name in self._builtins()

    # -- plug-ins --------------------------------------------------------------------
    def items(self) -> list[tuple[str, T]]:
        """The registered (not shipped) entries in the order they were registered."""
        with self._lock:
            self._load_plugins()
            return list(self._entries.items())

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True  # once per process, on first use, never at import
        if self._setup is not None:
            self._setup()
        for entry in _entry_points(self.group):
            try:
                loaded = entry.load()
                if isinstance(loaded, ModuleType):
                    continue  # a module that registers its entries when imported
                if callable(loaded) and not isinstance(loaded, type) and self._wants_call:
                    loaded = loaded()
                owner = entry.dist.name if entry.dist is not None else entry.value
                self.register(entry.name, loaded, replace=True, source=f"plug-in {owner}")
            except ConfigError:
                raise
            except Exception as error:
                raise ConfigError(
                    f"{self.kind} plug-in {entry.name!r} ({entry.value}) failed to load: "
                    f"{type(error).__name__}: {error}",
                    hint="fix or uninstall the plug-in package",
                ) from error


class DataRegistry(Registry[T]):
    """A registry of data (column maps, stage models): an entry point may name the
    object, a YAML file or a function returning either."""

    _wants_call = True


#: What a user's templates folder can hold, by kind (``column_maps``, ``stage_models``,
#: ``templates``): each registry that reads a part of it says how when it is created
#: (:func:`reads_user_folder`), so this module never imports the registries above it.
_FOLDER_READERS: dict[str, Callable[[Path], list[str]]] = {}


def reads_user_folder(kind: str, reader: Callable[[Path], list[str]]) -> None:
    """Let :func:`use_folder` hand a user's folder to ``reader``, which registers what it
    finds of ``kind`` and returns the names it registered."""
    _FOLDER_READERS[kind] = reader


def use_folder(folder: str | Path) -> dict[str, list[str]]:
    """Make a user's folder override the shipped templates for this process: its
    ``column_maps/*.yaml`` and ``stage_models/*.yaml`` are registered by file name
    (replacing shipped ones of the same name) and its ``coaching/`` (or the folder itself,
    when it holds ``en/`` or ``zh/``) is searched for prompt templates first. Returns what
    was registered, by registry.

    ``--templates DIR`` on the command line and ``templates:`` in a configuration file
    call this.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ConfigError(
            f"template folder {root} does not exist",
            file=str(root),
            hint="pass a folder holding column_maps/, stage_models/ and/or "
            "coaching/en, coaching/zh (see docs/start-analysts.md)",
        )
    done = {kind: read(root) for kind, read in sorted(_FOLDER_READERS.items())}
    if not any(done.values()):
        raise ConfigError(
            f"template folder {root} holds nothing pipereview reads",
            file=str(root),
            hint="expected column_maps/*.yaml, "
            "stage_models/*.yaml or coaching/en/*.j2, coaching/zh/*.j2",
        )
    return done
