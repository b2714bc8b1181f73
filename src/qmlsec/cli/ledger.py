"""``qmlsec ledger``: what each party saw of a trained model, in which form."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from qmlsec.cli.output import console, emit_json, handle_errors
from qmlsec.cli.train import COST_FILE, LEDGER_FILE
from qmlsec.cloud.ledger import ExposureLedger
from qmlsec.exceptions import ArtifactError
from qmlsec.models.artifact import load_artifact


def ledger_command(
    model: Path = typer.Argument(..., help="Model artifact directory written by `qmlsec train`."),
    party: str = typer.Option(None, help="Only hand-offs received by this party."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Show the exposure ledger and cost account recorded while the model was trained."""
    data = handle_errors(_load)(model)
    entries = data["entries"]
    if party:
        entries = [e for e in entries if e["receiver"] == party]
    if json_out:
        emit_json({"model": str(model), "entries": entries, "cost": data["cost"]})
        return
    table = Table(title=f"Exposure ledger of {model}")
    for col in ("step", "asset", "form", "sender", "receiver", "receiver trust", "count"):
        table.add_column(col)
    for e in entries:
        table.add_row(e["step"], e["asset"], e["form"], e["sender"], e["receiver"],
                      e["receiver_trust"], str(e["count"]))  # fmt: skip
    console.print(table)


def _load(model: Path) -> dict:
    art = load_artifact(model)
    if LEDGER_FILE not in art.extra_files:
        raise ArtifactError(
            f"{model} carries no exposure ledger",
            hint="train it with `qmlsec train` (which records the ledger)",
        )
    ledger = ExposureLedger.from_json(art.extra_files[LEDGER_FILE].decode())
    cost = json.loads(art.extra_files.get(COST_FILE, b"{}").decode())
    return {"entries": ledger.entries(), "cost": cost}
