"""``qmlsec attack list`` and ``qmlsec attack run``: any registered attack on a deployment.

``run`` loads the deployment (``--deployment DIR``, verified; or a bare ``--model DIR``
with an assumed deployment, stated in the result), recreates its train/test split, and
builds the attack's setup from the attacker's position
(:meth:`~qmlsec.attacks.setup.AttackSetup.from_deployment`): black-box queries go to
the deployment's endpoint (its device and shots), provider-level attacks act through
its quantum cloud and are refused when its trust level forbids them. A white-box
attack is run with the model in the attacker's hands (e.g. stolen earlier), stated in
the result. What the attack did is appended to the deployment's ledger. Parameters
come from ``--params file.yaml`` and ``--param k=v`` flags (flags win), ``--eps`` sets
``eps`` for evasion attacks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
import yaml
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qmlsec.attacks.registry import available_attacks, get_attack
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.setup import MODEL_IN_HAND, AttackSetup, needs_cloud
from qmlsec.attacks.targets import Capability
from qmlsec.cli.output import console, emit_json, handle_errors
from qmlsec.cli.target import open_target
from qmlsec.exceptions import ConfigError

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
    families = sorted({cls.family for cls in available_attacks().values()})
    if family and family not in families:
        raise ConfigError(f"no attack family {family!r}", hint=f"one of {', '.join(families)}")
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
    deployment: Path = typer.Option(None, help="Deployment directory (from `qmlsec train`)."),
    model: Path = typer.Option(None, help="A bare model artifact (an assumed deployment)."),
    position: str = typer.Option("", help="Attacker position (default: the first that works)."),
    eps: str = typer.Option(
        "",
        help="Comma-separated ε values in raw feature units, e.g. 0.5,1,2 "
        "(--param eps_units=box: fractions of the input box width).",
    ),
    param: list[str] = typer.Option([], "--param", help="Attack parameter k=v (repeatable)."),
    params_file: Path = typer.Option(None, "--params", help="YAML file of attack parameters."),
    seed: int = typer.Option(0, help="The run seed; everything random derives from it."),
    samples: int = typer.Option(0, min=0, help="Attack only the first N test samples (0: all)."),
    shots: int = typer.Option(0, min=0, help="Shots per query; 0: the deployment's."),
    budget: int = typer.Option(
        0, "--budget", "--query-budget", min=0, help="Query budget in samples (black-box); 0: none."
    ),
    target_url: str = typer.Option(
        "", help="Attack a model served over HTTP (black-box attacks only), e.g. http://host:8000."
    ),
    api_key: str = typer.Option(
        "", envvar="QMLSEC_TARGET_API_KEY", help="API key of --target-url."
    ),
    protocol: str = typer.Option(
        "", help="API of --target-url: qmlsec or oip (default: from URL)."
    ),
    model_name: str = typer.Option("", help="Model name at --target-url (default: from URL)."),
    timeout: float = typer.Option(30.0, min=0.1, help="Seconds per HTTP request to --target-url."),
    dataset: str = typer.Option(
        "",
        help="The attacker's data for --target-url: a built-in dataset (default: --deployment's).",
    ),
    out: Path = typer.Option(None, help="Directory to write <attack>.json to."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Run one attack against a deployment and report its metrics."""
    result = handle_errors(_run)(**locals())
    if json_out:
        emit_json(result)
        return
    table = Table("metric", "value", "n", "95% CI", title=f"{name} ({result['technique_id']})")
    intervals = result.get("intervals", {})
    for key, value in result["metrics"].items():
        est = intervals.get(key) or {}
        ci = est.get("ci")
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value),
                      str(est.get("n", "")), f"[{ci[0]:.3g}, {ci[1]:.3g}]" if ci else "")  # fmt: skip
    console.print(table)
    if result["queries"]:
        console.print("queries: " + ", ".join(f"{k} {v}" for k, v in result["queries"].items()))
    where = result["deployment"]
    if "target_url" in where:
        http = where["http"]
        console.print(f"on {where['target_url']} ({where['protocol']}, model {where['model']}): "
                      f"{http['requests']} requests, {http['rate_limited']} answered 429, "
                      f"{http['backoff_s']:.1f} s backed off")  # fmt: skip
        console.print(
            f"{result['seconds']:.1f} s" + (f" -> {result['out']}" if result.get("out") else "")
        )
        return
    console.print(f"on {where['device']} ({where['shots'] or 'exact'} shots), attacker at "
                  f"{where['position']}; {result['footprint']} ledger entries recorded")  # fmt: skip
    console.print(
        f"{result['seconds']:.1f} s" + (f" -> {result['out']}" if result.get("out") else "")
    )


def parse_params(params_file: Path | None, pairs: list[str], eps: str) -> dict[str, Any]:
    """Merge the YAML file, ``k=v`` flags and ``--eps`` into one parameter dict."""
    params: dict[str, Any] = {}
    if params_file is not None:
        if not params_file.is_file():
            raise ConfigError(f"parameter file {params_file} does not exist")
        try:
            loaded = yaml.safe_load(params_file.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            raise ConfigError(
                f"{params_file}: not valid YAML ({type(err).__name__})",
                hint="write the parameters as a YAML mapping, e.g. steps: 20",
            ) from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"{params_file}: expected a mapping of parameter names to values")
        params.update(loaded)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param {pair!r} is not k=v", hint="e.g. --param steps=20")
        try:
            params[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise ConfigError(
                f"--param {pair!r}: the value is not valid YAML", hint="e.g. --param eps=[0.1]"
            ) from None
    if eps:
        try:
            params["eps"] = [float(v) for v in eps.split(",") if v.strip()]
        except ValueError:
            raise ConfigError(
                f"--eps {eps!r} is not a list of numbers", hint="e.g. 0.05,0.1"
            ) from None
    return params


def _run(**opts: Any) -> dict[str, Any]:
    attack_cls = get_attack(opts["name"])
    params = parse_params(opts["params_file"], opts["param"], opts["eps"])
    if "eps" in params and "eps" not in attack_cls.Params.model_fields:
        raise ConfigError(f"attack {attack_cls.name!r} takes no eps")
    attack_cls.validate_params(params)
    if opts["target_url"]:
        return _run_url(attack_cls, params, opts)
    deployment, described = open_target(opts["deployment"], opts["model"])
    train, test = deployment.split()
    n = opts["samples"] or test.n_samples
    notes = [f"acting on {described}"]
    knowledge: frozenset[Capability] = frozenset()
    if attack_cls.requires & MODEL_IN_HAND:
        knowledge = MODEL_IN_HAND
        notes.append("white-box: the attacker holds the deployed model (e.g. stolen earlier)")
    primitive = deployment.spec.quantum.primitive
    if primitive != "builtin" and needs_cloud(attack_cls):
        notes.append(
            f"provider-side attack simulated: it acts on qmlsec's provider layer (allocation, "
            f"queues, hooks) around the {primitive} primitive, never on the real provider"
        )
    setup = AttackSetup.from_deployment(
        attack_cls, deployment, opts["position"] or None, params=params, knowledge=knowledge,
        shots=opts["shots"] or "deployment", budget=opts["budget"] or None,
        x_train=train.X, y_train=train.y, x_test=test.X[:n], y_test=test.y[:n],
    )  # fmt: skip
    setup.notes.extend(notes)
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task(attack_cls.name, total=1)

        def report(stage: str, done: int, total: int) -> None:
            progress.update(task, description=stage, completed=done, total=max(total, 1))

        setup.ctx.progress = report
        result: AttackResult = setup.run(opts["seed"])
    if deployment.path is not None:
        deployment.save_records()
    payload = result.to_dict()
    if opts["out"] is not None:
        opts["out"].mkdir(parents=True, exist_ok=True)
        path = opts["out"] / f"{attack_cls.name}.json"
        path.write_text(result.to_json(indent=2) + "\n")
        payload["out"] = str(path)
    payload["footprint"] = len(deployment.ledger.footprint(attack_cls.name))
    return payload


def _run_url(attack_cls: type[Any], params: dict[str, Any], opts: dict[str, Any]) -> dict[str, Any]:
    """Run a black-box attack against the model at ``--target-url``."""
    from qmlsec.attacks.http_target import HttpEndpoint
    from qmlsec.attacks.remote import check_remote, remote_setup, run_remote
    from qmlsec.data import load_dataset, split

    check_remote(attack_cls)  # before any request
    if opts["model"] is not None:
        raise ConfigError("--model and --target-url exclude each other",
                          hint="the model is the one at the URL")  # fmt: skip
    if opts["dataset"]:
        ds = load_dataset(opts["dataset"], seed=opts["seed"])
        train, test = split(ds, test_size=0.25, seed=opts["seed"])
        data = f"dataset {opts['dataset']}"
    elif opts["deployment"] is not None:
        train, test = open_target(opts["deployment"], None)[0].split()
        data = f"the data split of deployment {opts['deployment']}"
    else:
        raise ConfigError(
            "--target-url needs the attacker's data: --dataset NAME or --deployment DIR",
            hint="e.g. --dataset iris",
        )
    n = opts["samples"] or test.n_samples
    endpoint = HttpEndpoint(
        opts["target_url"], protocol=opts["protocol"] or None, model_name=opts["model_name"] or None,
        api_key=opts["api_key"] or None, timeout=opts["timeout"], seed=opts["seed"],
    )  # fmt: skip
    try:
        setup = remote_setup(
            attack_cls, endpoint, params=params, shots=opts["shots"] or None,
            budget=opts["budget"] or None, x_train=train.X, y_train=train.y,
            x_test=test.X[:n], y_test=test.y[:n],
        )  # fmt: skip
        setup.notes.append(f"attacker's data: {data}")
        with console.status(f"{attack_cls.name} against {endpoint.base_url}"):
            result = run_remote(setup, opts["seed"])
    finally:
        endpoint.close()
    payload = result.to_dict()
    if opts["out"] is not None:
        opts["out"].mkdir(parents=True, exist_ok=True)
        path = opts["out"] / f"{attack_cls.name}.json"
        path.write_text(result.to_json(indent=2) + "\n")
        payload["out"] = str(path)
    payload["footprint"] = 0
    return payload
