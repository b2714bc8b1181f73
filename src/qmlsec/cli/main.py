"""The ``qmlsec`` command. Each command or command group lives in its own module here.

:data:`COMMANDS` registers them; a command's module is imported only when the command
runs (the top-level help lists :data:`HELP`'s one-liners), so ``qmlsec --help`` imports
no command module and a light command such as ``qmlsec threats export`` loads the
knowledge base without torch or Qiskit and answers in about a second.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

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
    "import": ("importer", "app", "group"),
}

#: Command name -> the one-line help the top-level ``--help`` shows (a test keeps each
#: equal to its command's own).
HELP: dict[str, str] = {
    "assess": "Train, threat-model, attack, defend and report on a QMLaaS deployment.",
    "train": "Train a hybrid QNN through the QMLaaS pipeline and save its deployment.",
    "evaluate": "Evaluate a saved model on its recorded test split or on a labelled file.",
    "predict": "Predict labels for the samples in a file.",
    "devices": "List the device catalog: qubits, basis, median errors, T1/T2.",
    "ledger": "Show the exposure ledger and cost account of a deployment.",
    "report": "Write report.json, report.md and index.html for a campaign's results.",
    "threats": "Quantum-aware kill chain: techniques, attack paths, exports.",
    "attack": "List and run attacks.",
    "defend": "List and evaluate defenses.",
    "deployment": "Inspect and re-configure a deployment.",
    "campaign": "Run campaigns (grids of attacks) locally or on Dask.",
    "serve": "Run the QMLaaS inference service (FastAPI + uvicorn) and manage its keys/models.",
    "import": "Import a PennyLane, Qiskit ML or OpenQASM 3 model into a deployment.",
}


class LazyCommands(TyperGroup):
    """A Typer group that imports a command's module only when the command is asked for."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True  # the command list needs names and one-liners only
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        if self._listing:
            return TyperCommand(cmd_name, help=HELP[cmd_name])
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


def run() -> None:
    """The ``qmlsec`` program (console script, ``python -m qmlsec``): :data:`app`, and
    after a command that asks for it (``assess``), an exit that skips tearing down
    the interpreter's heap.

    An assessment leaves about a million objects (circuits, pass managers, noise models,
    tensors) whose one-by-one teardown takes seconds after the report is written; the
    ``atexit`` handlers still run and the output is flushed, then the process ends.
    Tests call :data:`app` itself, which never ends the process.
    """
    import atexit
    import os

    from qmlsec.cli import output

    try:
        app()
        code = 0
    except SystemExit as exc:
        if not output.exit_fast:
            raise
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    if not output.exit_fast:
        return
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
