"""The CLI reference (docs/cli.md), generated from the command line itself.

``python -m pipereview.cli_reference > docs/cli.md`` rewrites it; a test fails when the
page and the commands drift apart.

>>> "## pipereview serve" in cli_reference()
True
"""

from __future__ import annotations

__all__ = ["cli_reference"]

_WIDTH = "100"


def cli_reference() -> str:
    """Every command's ``--help`` (100 columns, plain text) as one Markdown page."""
    import typer
    from typer.testing import CliRunner

    from pipereview.cli import app

    runner = CliRunner()
    env = {"COLUMNS": _WIDTH, "NO_COLOR": "1", "TERM": "dumb"}
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    names = [
        part
        for name, command in commands.items()
        for part in [name, *(f"{name} {sub}" for sub in getattr(command, "commands", {}))]
    ]
    parts = [
        "# Command-line reference",
        "",
        "Generated from the commands themselves (`python -m pipereview.cli_reference > "
        "docs/cli.md`); a test checks it is current. Every command also takes "
        "`--help`; `pipereview --debug COMMAND` shows the traceback of an error.",
        "",
    ]
    for name in [None, *names]:
        args = ["--help"] if name is None else [*name.split(), "--help"]
        result = runner.invoke(app, args, env=env, prog_name="pipereview")
        parts += [
            f"## pipereview{'' if name is None else ' ' + name}",
            "",
            "```text",
            result.output.rstrip(),
            "```",
            "",
        ]
    return "\n".join(parts)


if __name__ == "__main__":
    print(cli_reference(), end="")
