"""The commands that list what the registries hold: ``maps`` (CRM column maps),
``models`` (stage models, or one model's stages) and ``registry`` (every registry, with
where each entry comes from).

>>> from typer.testing import CliRunner
>>> from pipereview.cli import app
>>> shown = CliRunner().invoke(app, ["models", "--show", "generic_4"]).output
>>> "initial_contact" in shown
True
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from pipereview.cli._base import friendly, state

__all__: list[str] = []  # the commands are reached through pipereview.cli.app


@friendly
def maps() -> None:
    """List the CRM column maps: shipped, from plug-ins and from --templates folders."""
    from pipereview.ingest._columnmaps import column_maps, load_column_map

    table = Table("name", "label", "stage model", "dates", "from", title="Column maps")
    for name in column_maps.names():
        cmap = load_column_map(name)
        table.add_row(
            name, cmap.label, cmap.stage_model, cmap.date_format, column_maps.source(name)
        )
    state.out.print(table)


@friendly
def models(
    show: Annotated[
        str | None, typer.Option(help="Show the stages of this model (name or YAML file).")
    ] = None,
) -> None:
    """List the stage models (shipped, from plug-ins and from --templates folders), or show
    one model's stages."""
    from pipereview.core._stages import load_stage_model, stage_models

    if show is None:
        table = Table("name", "label", "stages", "from", title="Stage models")
        for name in stage_models.names():
            model = load_stage_model(name)
            table.add_row(
                name,
                model.label.get("en", name),
                " → ".join(s.label_in("en") for s in model.stages),
                stage_models.source(name),
            )
        state.out.print(table)
        return
    model = load_stage_model(show)
    table = Table(
        "key",
        "zh",
        "en",
        "probability",
        "typical days",
        "exit criteria",
        title=model.label.get("en", model.name),
    )
    for stage in model.stages:
        table.add_row(
            stage.key,
            stage.label.get("zh", ""),
            stage.label.get("en", ""),
            f"{stage.probability:.0%}",
            str(stage.typical_days or ""),
            ", ".join(c.field for c in stage.exit_criteria),
        )
    state.out.print(table)


@friendly
def registry() -> None:
    """List what every registry holds (column maps, stage models, coaching rules, charts,
    prompt template folders) and where each entry comes from."""
    from pipereview.charts import charts
    from pipereview.coaching import coaching_rules, template_folders
    from pipereview.core._stages import stage_models
    from pipereview.ingest._columnmaps import column_maps

    table = Table("registry", "name", "from", title="Registries")
    for kind, reg in (
        ("column_maps", column_maps),
        ("stage_models", stage_models),
        ("rules", coaching_rules),
        ("charts", charts),
        ("templates", template_folders),
    ):
        for name in reg.names():
            table.add_row(f"{kind} ({reg.group})", name, reg.source(name))
    state.out.print(table)
