"""The ``qmlsec`` command. Each command or command group lives in its own module here.

:data:`COMMANDS` registers them; a command's module is imported when the command runs
(or when the help lists it), so a light command such as ``qmlsec threats export``
loads the knowledge base without torch or Qiskit and answers in about a second.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

#: Command name -> (module in ``qmlsec.cli``, attribute, ``command`` or ``group``).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "assess": ("assess", "assess_command", "command"),
    "train": ("train", "train_command", "command"),
    "evaluate": ("train", "evaluate_command", "command"),
    "predict": ("train", "predict_command", "command"),
    "devices": ("devices", "devices_command", "command"),
    "ledger": ("ledger", "ledger_command", "command"),
    "report": ("campaign", "report_command", "command"),
    "threats": ("threats", "app", "group"),
    "attack": ("attack", "app", "group"),
    "defend": ("defend", "app", "group"),
    "deployment": ("deployment", "app", "group"),
    "campaign": ("campaign", "app", "group"),
    "serve": ("serve", "app", "group"),
}


class LazyCommands(TyperGroup):
    """A Typer group that imports a command's module only when the command is asked for."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        module, attr, kind = COMMANDS[cmd_name]
        target: Any = getattr(importlib.import_module(f"qmlsec.cli.{module}"), attr)
        if kind == "command":
            single = typer.Typer()
            single.command(cmd_name)(target)
            target = single
        command = typer.main.get_command(target)
        command.name = cmd_name
        # shell completion is the top-level command's business (it has none)
        command.params = [p for p in command.params
                          if p.name not in ("install_completion", "show_completion")]  # fmt: skip
        return command


app = typer.Typer(
    name="qmlsec",
    help="Security testbed for Quantum Machine Learning as a Service.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=LazyCommands,
)


@app.callback()
def main() -> None:
    """Security testbed for Quantum Machine Learning as a Service."""
