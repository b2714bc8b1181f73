"""``qmlsec attack list`` and ``qmlsec attack run``: any registered attack on a saved model.

``run`` loads the model artifact (hash-verified), recreates its train/test split from
the dataset recorded in the model's metadata, builds the target the attack's
requirements ask for (white-box model, counted black-box endpoint, training-data
access) and runs it. Parameters come from ``--params file.yaml`` and ``--param k=v``
flags (flags win), ``--eps`` sets ``eps`` for evasion attacks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
import yaml
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qmlsec.attacks.harness import context_for, needs_endpoint, target_for
from qmlsec.attacks.local_endpoint import LocalEndpoint
from qmlsec.attacks.registry import available_attacks, get_attack
from qmlsec.attacks.result import AttackResult
from qmlsec.cli.output import console, emit_json, handle_errors
from qmlsec.cli.train import load_split
from qmlsec.exceptions import ConfigError, DataError
from qmlsec.models.classifier import QNNClassifier
from qmlsec.models.persist import load_classifier

app = typer.Typer(help="List and run attacks.", no_args_is_help=True)


@app.command("list")
def list_command(
    family: str = typer.Option("", help="Only this family, e.g. evasion."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """List the registered attacks with their technique, requirements and positions."""
    rows = handle_errors(_list)(family)
    if json_out:
        emit_json({"attacks": rows})
        return
    table = Table("name", "technique", "requires", "positions", title="registered attacks")
    for row in rows:
        table.add_row(row["name"], row["technique_id"], ", ".join(row["requires"]),
                      ", ".join(row["positions"]))  # fmt: skip
    console.print(table)


def _list(family: str) -> list[dict[str, Any]]:
    rows = []
    for name, cls in available_attacks().items():
        if family and cls.family != family:
            continue
        doc = (cls.__doc__ or "").strip().splitlines()
        rows.append(
            {
                "name": name,
                "family": cls.family,
                "technique_id": cls.technique_id,
                "requires": sorted(c.value for c in cls.requires),
                "positions": sorted(p.value for p in cls.positions),
                "params": sorted(cls.Params.model_fields),
                "summary": doc[0] if doc else "",
            }
        )
    return rows


@app.command("run")
def run_command(
    name: str = typer.Argument(..., help="Registered attack, e.g. evasion.pgd."),
    model: Path = typer.Option(..., help="Model artifact directory (from `qmlsec train`)."),
    eps: str = typer.Option("", help="Comma-separated ε values, e.g. 0.05,0.1,0.2."),
    param: list[str] = typer.Option([], "--param", help="Attack parameter k=v (repeatable)."),
    params_file: Path = typer.Option(None, "--params", help="YAML file of attack parameters."),
    seed: int = typer.Option(0, help="The run seed; everything random derives from it."),
    samples: int = typer.Option(0, min=0, help="Attack only the first N test samples (0: all)."),
    shots: int = typer.Option(0, min=0, help="Shots per endpoint query (black-box); 0: exact."),
    budget: int = typer.Option(0, min=0, help="Query budget in samples (black-box); 0: none."),
    endpoint: str = typer.Option("auto", help="Black-box endpoint: auto | local | cloud."),
    out: Path = typer.Option(None, help="Directory to write <attack>.json to."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Run one attack against a saved model and report its metrics."""
    result = handle_errors(_run)(**locals())
    if json_out:
        emit_json(result)
        return
    table = Table("metric", "value", title=f"{name} ({result['technique_id']})")
    for key, value in result["metrics"].items():
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    console.print(table)
    if result["queries"]:
        console.print("queries: " + ", ".join(f"{k} {v}" for k, v in result["queries"].items()))
    console.print(
        f"{result['seconds']:.1f} s" + (f" -> {result['out']}" if result.get("out") else "")
    )


def parse_params(params_file: Path | None, pairs: list[str], eps: str) -> dict[str, Any]:
    """Merge the YAML file, ``k=v`` flags and ``--eps`` into one parameter dict."""
    params: dict[str, Any] = {}
    if params_file is not None:
        if not params_file.is_file():
            raise ConfigError(f"parameter file {params_file} does not exist")
        loaded = yaml.safe_load(params_file.read_text()) or {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{params_file}: expected a mapping of parameter names to values")
        params.update(loaded)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param {pair!r} is not k=v", hint="e.g. --param steps=20")
        params[key.strip()] = yaml.safe_load(value)
    if eps:
        try:
            params["eps"] = [float(v) for v in eps.split(",") if v.strip()]
        except ValueError:
            raise ConfigError(
                f"--eps {eps!r} is not a list of numbers", hint="e.g. 0.05,0.1"
            ) from None
    return params


def _endpoint(kind: str, model_dir: Path, clf: QNNClassifier) -> tuple[Any, str]:
    if kind not in ("auto", "local", "cloud"):
        raise ConfigError(f"unknown endpoint {kind!r}", hint="auto, local or cloud")
    if kind != "local":
        try:
            from qmlsec.cloud.inference import load_endpoint
        except ImportError:
            if kind == "cloud":
                raise ConfigError("the cloud inference endpoint is not available") from None
        else:
            return load_endpoint(model_dir), "cloud inference endpoint (ideal backend)"
    return LocalEndpoint(clf), "in-process endpoint over the loaded model"


def _run(**opts: Any) -> dict[str, Any]:
    attack_cls = get_attack(opts["name"])
    params = parse_params(opts["params_file"], opts["param"], opts["eps"])
    if "eps" in params and "eps" not in attack_cls.Params.model_fields:
        raise ConfigError(f"attack {attack_cls.name!r} takes no eps")
    attack_cls.validate_params(params)
    clf = load_classifier(opts["model"])
    meta = getattr(clf, "manifest_", {}).get("metadata", {}).get("dataset")
    if not meta:
        raise DataError(
            f"{opts['model']}: the model records no dataset to rebuild its split from",
            hint="train it with `qmlsec train`, which stores the dataset in the metadata",
        )
    train, test = load_split(meta)
    n = opts["samples"] or test.n_samples
    notes = []
    served = None
    if needs_endpoint(attack_cls):
        served, described = _endpoint(opts["endpoint"], opts["model"], clf)
        notes.append(f"endpoint: {described}")
    target = target_for(
        attack_cls, clf, endpoint=served, shots=opts["shots"] or None, budget=opts["budget"] or None
    )
    ctx = context_for(clf, train.X, train.y, test.X[:n], test.y[:n])
    attack = attack_cls(target, params, seed=opts["seed"])
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task(attack_cls.name, total=1)

        def report(stage: str, done: int, total: int) -> None:
            progress.update(task, description=stage, completed=done, total=max(total, 1))

        ctx.progress = report
        result: AttackResult = attack.run(ctx)
    result.notes.extend(notes)
    payload = result.to_dict()
    if opts["out"] is not None:
        opts["out"].mkdir(parents=True, exist_ok=True)
        path = opts["out"] / f"{attack_cls.name}.json"
        path.write_text(result.to_json(indent=2) + "\n")
        payload["out"] = str(path)
    payload["model"] = str(opts["model"])
    return payload
