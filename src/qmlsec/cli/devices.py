"""``qmlsec devices``: the device catalog (fake IBM devices and generic topologies).

Example:
    >>> from typer.testing import CliRunner
    >>> import typer
    >>> app = typer.Typer(); _ = app.command()(devices_command)
    >>> CliRunner().invoke(app, ["--min-qubits", "100", "--json"]).exit_code
    0
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from qmlsec.cli.output import emit_json, handle_errors
from qmlsec.cloud.devices import list_devices
from qmlsec.exceptions import ConfigError

TABLE_WIDTH = 110  # below this the names would be truncated


def _fmt(value: float | None, scale: float = 1.0, spec: str = ".1e") -> str:
    return "-" if value is None else format(value * scale, spec)


@handle_errors
def devices_command(
    min_qubits: Annotated[
        int, typer.Option("--min-qubits", help="Only devices with at least N qubits.")
    ] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
) -> None:
    """List the device catalog: qubits, basis, median errors, T1/T2."""
    if min_qubits < 0:
        raise ConfigError(
            f"--min-qubits must be >= 0, got {min_qubits}", hint="e.g. --min-qubits 8"
        )
    devices = list_devices(min_qubits=min_qubits)
    if as_json:
        emit_json({"devices": [d.to_dict() for d in devices], "count": len(devices)})
        return
    table = Table(title=f"Device catalog ({len(devices)} devices)")
    for column in (
        "name",
        "qubits",
        "basis",
        "1q err",
        "2q err",
        "readout err",
        "T1 (us)",
        "T2 (us)",
        "family",
    ):
        table.add_column(
            column, justify="left" if column in ("name", "basis", "family") else "right"
        )
    for d in devices:
        table.add_row(
            d.name,
            str(d.num_qubits),
            ",".join(g for g in d.basis_gates if g != "id"),
            _fmt(d.median_error_1q),
            _fmt(d.median_error_2q),
            _fmt(d.median_readout_error),
            _fmt(d.median_t1, 1e6, ".0f"),
            _fmt(d.median_t2, 1e6, ".0f"),
            d.processor_family,
        )
    console = Console()
    console.width = max(console.width, TABLE_WIDTH)
    console.print(table)
