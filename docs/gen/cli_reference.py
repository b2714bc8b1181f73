"""Write the command-line reference from the ``qmlsec`` Typer app itself.

Run by the ``gen-files`` plugin at build time (see ``mkdocs.yml``): Typer's own
Markdown generator (the one behind ``typer qmlsec.cli.main utils docs``) walks every
command and sub-command of :data:`qmlsec.cli.main.app`, so the page always matches
``qmlsec ... --help``; there is no hand-written copy.
"""

from __future__ import annotations

import mkdocs_gen_files
import typer
import typer.main
from typer.cli import get_docs_for_click

from qmlsec.cli.main import app

INTRO = """# Command-line reference

Generated at build time from the `qmlsec` command itself (Typer's Markdown generator
walking every command and sub-command), so it matches `qmlsec COMMAND --help`. Every
command takes `--json` and then prints one JSON object on stdout; errors exit with the
code of their class in `qmlsec.exceptions` and a one-line message with a hint.

"""


def cli_markdown() -> str:
    """The reference of every command, headings one level below the page title."""
    command = typer.main.get_command(app)
    ctx = typer.Context(command, info_name="qmlsec")
    body = get_docs_for_click(obj=command, ctx=ctx, indent=1, name="qmlsec")
    return INTRO + body.strip() + "\n"


with mkdocs_gen_files.open("reference/cli.md", "w") as fd:
    fd.write(cli_markdown())
mkdocs_gen_files.set_edit_path("reference/cli.md", "../src/qmlsec/cli/main.py")
