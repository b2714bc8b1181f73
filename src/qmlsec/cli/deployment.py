"""``qmlsec deployment show`` and ``qmlsec deployment configure``.

``configure`` changes a recorded deployment without retraining: trust levels, device,
pool, shots, execution primitive, serving, transpiler host, tenant. The model and its digest stay; the
ledger keeps everything recorded so far.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from qmlsec.cli.output import console, emit_json, handle_errors
from qmlsec.cli.target import open_target

app = typer.Typer(help="Inspect and re-configure a deployment.", no_args_is_help=True)


@app.command("show")
def show_command(
    deployment: Path = typer.Argument(..., help="Deployment directory."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Show a deployment's clouds, trust, device, model and records."""
    data = handle_errors(lambda: open_target(deployment, None)[0].describe())()
    if json_out:
        emit_json(data)
        return
    _print(data)


def _print(data: dict[str, Any]) -> None:
    table = Table("setting", "value", title=f"deployment {data['path']}")
    q, c = data["quantum"], data["classical"]
    rows = [
        ("classical cloud trust", c["trust"]), ("quantum cloud trust", q["trust"]),
        ("device", q["device"]), ("pool", ", ".join(q["pool"]) or "-"),
        ("shots", str(q["shots"])), ("serving", data["serving"]),
        ("primitive", q.get("primitive", "builtin") + (f" ({q['execution']})" if q.get(
            "primitive", "builtin") != "builtin" else "")),
        ("transpiler host", data["transpiler_host"]), ("tenant", data["tenant"]),
        ("classical tail", "on" if q.get("classical_tail", True) else "off"),
        ("model", f"{data['model']['spec']['n_qubits']} qubits, "
                  f"{data['model']['spec']['layers']} layers, {data['model']['gradient']}"),
        ("ledger entries", str(data["ledger_entries"])),
        ("attacks recorded", ", ".join(data["attacks_recorded"]) or "-"),
    ]  # fmt: skip
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)


@app.command("configure")
def configure_command(
    deployment: Path = typer.Argument(..., help="Deployment directory."),
    classical_trust: str = typer.Option(None, help="trusted | honest-but-curious | malicious"),
    quantum_trust: str = typer.Option(None, help="trusted | honest-but-curious | malicious"),
    backend: str = typer.Option(None, help="The device the user's circuits run on."),
    pool: str = typer.Option(None, help="Further provider devices, comma-separated."),
    shots: int = typer.Option(None, min=0, help="Shots per circuit; 0 for exact expectations."),
    primitive: str = typer.Option(
        None, help="builtin | aer | ibm-runtime-local | ibm-runtime | braket-local"
    ),
    execution: str = typer.Option(None, help="IBM Runtime mode: job | session | batch."),
    serving: str = typer.Option(None, help="device | simulation"),
    transpiler_host: str = typer.Option(None, help="quantum_cloud | classical_cloud"),
    classical_tail: bool = typer.Option(
        None,
        "--classical-tail/--no-classical-tail",
        help="Apply a circuit's final CNOT/SWAP network to the measured bits (Z readouts; on by default).",
    ),
    tenant: str = typer.Option(None, help="The user's tenant name."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Change a deployment's settings (validated before anything is written)."""
    data = handle_errors(_configure)(**locals())
    if json_out:
        emit_json(data)
        return
    _print(data)


def _configure(**opts: Any) -> dict[str, Any]:
    d, _ = open_target(opts["deployment"], None)
    quantum: dict[str, Any] = {}
    for key, flag in (("trust", "quantum_trust"), ("device", "backend"),
                      ("primitive", "primitive"), ("execution", "execution")):  # fmt: skip
        if opts[flag] is not None:
            quantum[key] = opts[flag]
    if opts["pool"] is not None:
        quantum["pool"] = [p.strip() for p in opts["pool"].split(",") if p.strip()]
    if opts["shots"] is not None:
        quantum["shots"] = opts["shots"] or None
    if opts["classical_tail"] is not None:
        quantum["classical_tail"] = opts["classical_tail"]
    changes: dict[str, Any] = {"quantum": quantum}
    if opts["classical_trust"] is not None:
        changes["classical"] = {"trust": opts["classical_trust"]}
    for key in ("serving", "transpiler_host", "tenant"):
        if opts[key] is not None:
            changes[key] = opts[key]
    updated = d.reconfigure(**changes)
    updated.save(opts["deployment"])
    return updated.describe()
