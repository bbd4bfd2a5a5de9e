"""Configuration files: read (:func:`load_config`, :func:`as_config`), handed to another
process with absolute template folders (:func:`portable_config`) and written whole
(:func:`write_config`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from pipereview.config._model import Config
from pipereview.core._errors import ConfigError
from pipereview.core._resources import parse_yaml_mapping

__all__ = ["as_config", "load_config", "portable_config", "read_mapping", "write_config"]


def as_config(config: Config | str | Path | None) -> Config:
    """What every ``config=`` of the package takes, as a :class:`Config`: a configuration
    itself, the path of a configuration file (:func:`load_config`), or None for the
    package defaults.

    >>> as_config(None) == Config()
    True
    >>> as_config(Config(lang="zh")).lang
    'zh'
    """
    if config is None:
        return Config()
    if isinstance(config, Config):
        return config
    if isinstance(config, str | Path):
        return load_config(config)
    raise ConfigError(
        f"config must be a Config, the path of a configuration file or None, "
        f"got {type(config).__name__}",
        hint="pass pipereview.load_config('pipereview.yaml') or the path itself",
    )


def load_config(path: str | Path) -> Config:
    """The configuration in a YAML file (see docs/start-analysts.md); template folders
    are relative to the file."""
    file = Path(path)
    return Config.from_mapping(read_mapping(file), source=str(file), base=file.parent)


def read_mapping(file: Path) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(
            f"cannot read configuration file {file}: {error}",
            file=str(file),
            hint="check the path; the file must be UTF-8 YAML",
        ) from None
    return parse_yaml_mapping(text, str(file), ConfigError, "configuration file")


def portable_config(
    config: Config | str | Path | None, templates: Sequence[str | Path] = ()
) -> dict[str, Any] | None:
    """The settings of ``config`` (a :class:`Config` or a configuration file, checked, so a
    wrong file is refused before any work) with its template folders and ``templates`` as
    absolute paths, as a mapping to write for another process (a batch team's kernel, the
    served dashboard's); None when neither is given.

    >>> portable_config(None) is None
    True
    >>> portable_config(Config(lang="zh"))
    {'lang': 'zh', 'templates': []}
    """
    if config is None and not templates:
        return None
    if isinstance(config, Config):
        data, checked = config.to_mapping(), config
    else:
        data = read_mapping(Path(config)) if config is not None else {}
        checked = (
            Config.from_mapping(data, source=str(config), base=Path(config).parent)
            if config is not None
            else Config()
        )
    folders = [str(Path(folder).resolve()) for folder in (*checked.templates, *templates)]
    for folder in folders:
        if not Path(folder).is_dir():
            raise ConfigError(
                f"templates folder {folder} does not exist",
                file=folder,
                hint="pass a folder holding column_maps/, stage_models/ or "
                "coaching/ (see docs/start-analysts.md)",
            )
    portable: dict[str, Any] = json.loads(json.dumps(data, default=str))  # dates as text
    portable["templates"] = list(dict.fromkeys(folders))
    return portable


def write_config(settings: dict[str, Any], path: str | Path) -> Path:
    """Write ``settings`` (see :func:`portable_config`) as a configuration file, whole or
    not at all; return its path."""
    from pipereview.history._store import atomic_write

    target = Path(path)
    with atomic_write(target, "w", encoding="utf-8") as handle:
        yaml.safe_dump(settings, handle, allow_unicode=True, sort_keys=True)
    return target
