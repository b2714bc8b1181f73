"""``qmlsec defend list`` and ``qmlsec defend eval``: measure any defense against an attack.

``eval`` loads the deployment (``--deployment DIR``, verified; or a bare ``--model DIR``
with an assumed deployment), recreates its train/test split, runs the attack on the
deployment without and with the defense
(same seed) and prints the attack's headline metric both ways, whether the defense
helped (the 95 % interval of the reduction above zero), made it worse (below zero) or
is inconclusive, and its cost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from qmlsec.cli.attack import parse_params
from qmlsec.cli.output import console, emit_json, handle_errors
from qmlsec.cli.target import open_target
from qmlsec.defenses.evaluate import evaluate_defense
from qmlsec.defenses.registry import available_defenses, get_defense
from qmlsec.exceptions import ConfigError

app = typer.Typer(help="List and evaluate defenses.", no_args_is_help=True)


@app.command("list")
def list_command(
    role: str = typer.Option("", help="Only this role, e.g. detector."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """List the registered defenses with their mitigation, role and the attacks they counter."""
    rows = handle_errors(_list)(role)
    if json_out:
        emit_json({"defenses": rows})
        return
    table = Table("name", "mitigation", "role", "counters", title="registered defenses")
    for row in rows:
        table.add_row(row["name"], row["mitigation_id"], row["role"], ", ".join(row["counters"]))
    console.print(table)


def _list(role: str) -> list[dict[str, Any]]:
    roles = sorted({cls.role for cls in available_defenses().values()})
    if role and role not in roles:
        raise ConfigError(f"no defense role {role!r}", hint=f"one of {', '.join(roles)}")
    rows = []
    for name, cls in available_defenses().items():
        if role and cls.role != role:
            continue
        doc = (cls.__doc__ or "").strip().splitlines()
        rows.append({
            "name": name, "mitigation_id": cls.mitigation_id, "role": cls.role,
            "counters": list(cls.counters), "params": sorted(cls.Params.model_fields),
            "summary": doc[0] if doc else "",
        })  # fmt: skip
    return rows


@app.command("eval")
def eval_command(
    name: str = typer.Argument(..., help="Registered defense, e.g. detector.prada."),
    against: str = typer.Option(..., "--against", help="Registered attack it is measured against."),
    deployment: Path = typer.Option(None, help="Deployment directory (from `qmlsec train`)."),
    model: Path = typer.Option(None, help="A bare model artifact (an assumed deployment)."),
    param: list[str] = typer.Option([], "--param", help="Defense parameter k=v (repeatable)."),
    attack_param: list[str] = typer.Option([], "--attack-param", help="Attack parameter k=v."),
    seed: int = typer.Option(0, help="The run seed of both runs."),
    samples: int = typer.Option(0, min=0, help="Use only the first N test samples (0: all)."),
    shots: int = typer.Option(0, min=0, help="Shots per query; 0: the deployment's."),
    budget: int = typer.Option(0, min=0, help="Query budget in samples (black-box); 0: none."),
    output: str = typer.Option(
        "", help="Endpoint output for black-box attacks (labels | probabilities)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Run an attack without and with a defense and print the comparison."""
    ev = handle_errors(_eval)(**locals())
    if json_out:
        emit_json(ev)
        return
    table = Table("", "without", "with", title=f"{name} ({ev['mitigation_id']}) vs {against}")
    table.add_row(ev["metric"], f"{ev['without']:.4g}", f"{ev['with']:.4g}")
    console.print(table)
    drop = ev.get("reduction_estimate") or {}
    ci = drop.get("ci")
    interval = f", 95% CI [{ci[0]:+.3g}, {ci[1]:+.3g}], n={drop['n']}" if ci else ", no interval"
    console.print(f"verdict: {ev['verdict']} (attack success reduced by {ev['reduction']:+.4g}"
                  f"{interval})")  # fmt: skip
    cost = Table("cost", "value", title="defense cost")
    for key, value in ev["cost"].items():
        cost.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    console.print(cost)


def _eval(**opts: Any) -> dict[str, Any]:
    defense = get_defense(opts["name"])(parse_params(None, opts["param"], ""), seed=opts["seed"])
    params = parse_params(None, opts["attack_param"], "")
    deployment, described = open_target(opts["deployment"], opts["model"])
    train, test = deployment.split()
    n = opts["samples"] or test.n_samples
    split = (train.X, train.y, test.X[:n], test.y[:n])
    ev = evaluate_defense(defense, opts["against"], deployment, split, params=params,
                          seed=opts["seed"], shots=opts["shots"] or "deployment",
                          budget=opts["budget"] or None, output=opts["output"] or None)  # fmt: skip
    if deployment.path is not None:
        deployment.save_records()
    payload = ev.to_dict()
    payload["deployment"] = described
    return payload
