"""One typed, frozen configuration: language, stage model, template folders, sheet charts
and every threshold, read from a YAML file (``--config`` on the command line,
``config=`` in code). Nothing is global: a :class:`Config` is passed to what uses it, and
the defaults are the package's.

>>> config = Config.from_mapping({"lang": "zh", "risk": {"stalled_days": 21},
...                               "rules": {"repeated_pushes": {"push_limit": 3}}})
>>> config.lang, config.risk.stalled_days, config.risk.push_limit
('zh', 21, 2)
>>> config.rule_settings()["repeated_pushes"]
{'push_limit': 3}
>>> Config.from_mapping({"risk": {"stalled": 21}})
Traceback (most recent call last):
...
pipereview.core._errors.ConfigError: configuration: risk has no setting 'stalled'; its settings: min_durations, push_limit, stalled_days, use_team_p75
Hint: check the spelling; docs/start-analysts.md lists the risk settings
"""

from pipereview.config._checking import reads_rule_settings_with
from pipereview.config._files import as_config, load_config, portable_config, write_config
from pipereview.config._model import SECTIONS, Config

__all__ = [
    "SECTIONS",
    "Config",
    "as_config",
    "load_config",
    "portable_config",
    "reads_rule_settings_with",
    "write_config",
]
