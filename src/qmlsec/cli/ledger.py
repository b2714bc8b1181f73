"""``qmlsec ledger``: what each party saw of a deployment, in which form, and who acted.

Rows recorded while an attack acted on the deployment carry the attack's name as
``actor``; ``--actor NAME`` shows one attack's footprint, ``--workflow`` only the
deployment's own training and inference hand-offs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from qmlsec.cli.output import console, emit_json, handle_errors
from qmlsec.cloud.deployment import Deployment, is_deployment
from qmlsec.exceptions import ArtifactError


def ledger_command(
    deployment: Path = typer.Argument(..., help="Deployment directory written by `qmlsec train`."),
    party: str = typer.Option(None, help="Only hand-offs received by this party."),
    actor: str = typer.Option(None, help="Only what this attack did (its footprint)."),
    workflow: bool = typer.Option(False, help="Only the deployment's own workflow."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Show the exposure ledger and cost account of a deployment."""
    data = handle_errors(_load)(deployment, party, actor, workflow)
    if json_out:
        emit_json(data)
        return
    table = Table(title=f"Exposure ledger of {deployment}")
    for col in ("step", "asset", "form", "sender", "receiver", "receiver trust", "actor", "count"):
        table.add_column(col)
    for e in data["entries"]:
        table.add_row(e["step"], e["asset"], e["form"], e["sender"], e["receiver"],
                      e["receiver_trust"], e["actor"] or "-", str(e["count"]))  # fmt: skip
    console.print(table)


def _load(path: Path, party: str | None, actor: str | None, workflow: bool) -> dict[str, Any]:
    if not is_deployment(path):
        raise ArtifactError(
            f"{path} is not a deployment directory (no deployment.json)",
            hint="`qmlsec train --out DIR` writes one; a bare model artifact has no ledger",
        )
    d = Deployment.load(path)
    entries = d.ledger.entries()
    if party:
        entries = [e for e in entries if e["receiver"] == party]
    if actor:
        entries = [e for e in entries if e["actor"] == actor]
    if workflow:
        entries = [e for e in entries if not e["actor"]]
    return {"deployment": str(path), "entries": entries, "actors": d.ledger.actors(),
            "steps": d.ledger.steps(), "cost": d.cost.summary()}  # fmt: skip
