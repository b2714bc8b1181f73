"""The top-level command: help from one-liners without importing command modules."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest
import typer

from qmlsec.cli.main import COMMANDS, HELP


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_one_liner_is_the_commands_own_help(name):
    module, attr, kind = COMMANDS[name]
    target = getattr(importlib.import_module(f"qmlsec.cli.{module}"), attr)
    if kind == "command":
        single = typer.Typer()
        single.command(name)(target)
        target = single
    command = typer.main.get_command(target)
    assert (command.help or "").strip().splitlines()[0] == HELP[name]


def test_help_lists_every_command_without_importing_them():
    code = (
        "import sys; from typer.testing import CliRunner; from qmlsec.cli.main import app; "
        "out = CliRunner().invoke(app, ['--help'], terminal_width=200).output; "
        "print(sorted(m for m in sys.modules if m.startswith('qmlsec.cli.') and m != 'qmlsec.cli.main')); "
        "print(out)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded, _, text = out.stdout.partition("\n")
    assert loaded == "[]"
    for name, line in HELP.items():
        assert name in text and line[:40] in text


def _run(argv: list[str], fast: bool, tmp_path) -> subprocess.CompletedProcess:
    marker = tmp_path / "atexit-ran"
    code = (
        "import atexit, pathlib, sys; from qmlsec.cli import main, output; "
        f"atexit.register(lambda: pathlib.Path({str(marker)!r}).write_text('yes')); "
        f"output.exit_fast = {fast}; sys.argv = ['qmlsec', *{argv!r}]; main.run(); "
        "print('returned')"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


@pytest.mark.parametrize("fast", [False, True])
def test_program_entry_exits_with_the_commands_code_and_runs_atexit(fast, tmp_path):
    """``run`` is the console script: a fast exit still flushes output, runs the atexit
    handlers and keeps the command's exit status; otherwise it exits as ``app`` does."""
    ok = _run(["threats", "list", "--json"], fast, tmp_path)
    assert ok.returncode == 0 and '"id"' in ok.stdout
    assert (tmp_path / "atexit-ran").read_text() == "yes"
    assert "returned" not in ok.stdout  # both ways end the process at the command's end
    bad = _run(["threats", "show", "NO.SUCH"], fast, tmp_path)
    assert bad.returncode != 0 and "error" in bad.stderr
