"""``qmlsec threats``: browse the kill-chain knowledge base, compute paths, export.

Commands: ``list [--tactic T] [--layer L]``, ``show ID``, ``paths --system FILE
--attacker PROFILE [--mitigate M ...] [--goal G ...] [--no-cross-layer]`` (each path
with its layer transitions, e.g. ``physical -> privacy -> data-algorithm``; by default
also the best path of every set of layers the ranked paths miss), ``mitigations --attacker
PROFILE`` (what each mitigation removes) and ``export --format
atlas|navigator|navigator-atlas|stix|attack-flow|mermaid|dot``. ``--json`` prints
one JSON document on stdout.

``export --format attack-flow`` prints one STIX 2.1 bundle holding an Attack Flow per
path (``--out DIR``: one bundle file per path instead). The Navigator layers score each
technique by its best path score; without ``--attacker`` the paths of every profile
are scored (the worst case over profiles). ``--data-url`` sets the QML layer's
``customDataURL`` (where the ``--format stix`` bundle is served).

Example:
    >>> from typer.testing import CliRunner
    >>> from qmlsec.cli.threats import app
    >>> result = CliRunner().invoke(app, ["show", "QML.T0025", "--json"])
    >>> result.exit_code
    0
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from qmlsec.cli.output import emit_json, handle_errors
from qmlsec.exceptions import ConfigError
from qmlsec.killchain.catalog import Catalog, load_catalog
from qmlsec.killchain.graph import AttackGraph
from qmlsec.killchain.impact import mitigation_effects
from qmlsec.killchain.paths import AttackPath, find_paths
from qmlsec.killchain.system import SystemModel

app = typer.Typer(
    help="Quantum-aware kill chain: techniques, attack paths, exports.", no_args_is_help=True
)
out = Console()
FORMATS = ("atlas", "navigator", "navigator-atlas", "stix", "attack-flow", "mermaid", "dot")

Json = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
SystemOpt = Annotated[
    Path | None, typer.Option("--system", help="Deployment YAML (default: the built-in one).")
]
AttackerOpt = Annotated[
    list[str] | None, typer.Option("--attacker", help="Attacker profile (repeatable).")
]
MitigateOpt = Annotated[
    list[str] | None, typer.Option("--mitigate", help="Enable a mitigation, e.g. QML.M0010.")
]
GoalOpt = Annotated[
    list[str] | None, typer.Option("--goal", help="Goal (default: the profile's goals).")
]
MaxOpt = Annotated[int, typer.Option("--max-paths", min=1, help="Paths per goal.")]


def _system(path: Path | None) -> SystemModel:
    return SystemModel.from_yaml(path) if path else SystemModel.default()


def _paths(
    kb: Catalog,
    system: SystemModel,
    attackers: list[str] | None,
    mitigations: list[str] | None,
    goals: list[str] | None,
    max_paths: int,
    cross_layer: bool = False,
) -> list[AttackPath]:
    names = attackers or [p.id for p in kb.profiles]
    paths: list[AttackPath] = []
    for name in names:
        graph = AttackGraph(kb, system, kb.profile(name), mitigations or ())
        paths += find_paths(graph, goals, max_paths=max_paths, cross_layer=cross_layer)
    return paths


@app.command("list")
@handle_errors
def list_command(
    tactic: Annotated[str | None, typer.Option(help="Tactic ID, shortname or alias.")] = None,
    layer: Annotated[
        str | None, typer.Option(help="physical | data-algorithm | privacy | classical-infra")
    ] = None,
    as_json: Json = False,
) -> None:
    """List techniques, optionally filtered by tactic and quantum layer."""
    kb = load_catalog()
    if layer and layer not in {"physical", "data-algorithm", "privacy", "classical-infra"}:
        raise ConfigError(
            f"unknown layer {layer!r}",
            hint="use physical, data-algorithm, privacy or classical-infra",
        )
    techniques = kb.techniques(tactic=tactic, layer=layer)
    if as_json:
        emit_json([t.model_dump(mode="json", by_alias=True) for t in techniques])
        return
    table = Table(title=f"{len(techniques)} techniques")
    for col in ("ID", "Name", "Tactics", "Layer", "CIA", "Maturity", "ATLAS"):
        table.add_column(col)
    for t in techniques:
        tactics = ", ".join(kb.tactic(x).shortname for x in kb.effective_tactics(t))
        table.add_row(
            t.id,
            t.name,
            tactics,
            t.quantum_layer,
            "".join(t.cia),
            t.maturity,
            ", ".join(t.atlas_refs),
        )
    out.print(table)


@app.command("show")
@handle_errors
def show_command(technique_id: str, as_json: Json = False) -> None:
    """Show one technique with its prerequisites and mitigations."""
    kb = load_catalog()
    t = kb.technique(technique_id)
    mitigations = [
        {"id": m.id, "name": m.name, "use": use, "effect": eff}
        for m, use, eff in kb.mitigations_for(t.id)
    ]
    data = t.model_dump(mode="json", by_alias=True)
    data["effective_tactics"] = list(kb.effective_tactics(t))
    data["subtechniques"] = [s.id for s in kb.subtechniques(t.id)]
    data["mitigations"] = mitigations
    if as_json:
        emit_json(data)
        return
    out.print(
        f"[bold]{t.id}[/] {t.name}  ({t.maturity}, {t.quantum_layer}, CIA {''.join(t.cia) or '-'})"
    )
    out.print(t.description)
    for label, key in (
        ("tactics", "effective_tactics"),
        ("requires", "requires"),
        ("requires any", "requires_any"),
    ):
        out.print(f"[cyan]{label}[/]: {', '.join(data[key]) or '-'}")
    for label, values in (
        ("provides", t.provides),
        ("positions", t.positions),
        ("ATLAS", t.atlas_refs),
    ):
        out.print(f"[cyan]{label}[/]: {', '.join(values) or '-'}")
    out.print(f"[cyan]implemented by[/]: {', '.join(t.implemented_by) or '-'}")
    for m in mitigations:
        out.print(f"  [green]{m['id']}[/] {m['name']} ({m['effect']}): {m['use']}")
    for r in t.references:
        out.print(f"  [dim]{r.title} {r.url or ''}[/]")


@app.command("paths")
@handle_errors
def paths_command(
    system: SystemOpt = None,
    attacker: AttackerOpt = None,
    mitigate: MitigateOpt = None,
    goal: GoalOpt = None,
    max_paths: MaxOpt = 3,
    cross_layer: Annotated[
        bool,
        typer.Option(
            "--cross-layer/--no-cross-layer",
            help="Also list, per goal, the best path of every set of quantum layers "
            "the ranked paths do not cover (multi-stage cross-layer chains).",
        ),
    ] = True,
    as_json: Json = False,
) -> None:
    """Minimal attack paths to goals, ranked by likelihood x impact, with their layers."""
    kb = load_catalog()
    paths = _paths(kb, _system(system), attacker, mitigate, goal, max_paths, cross_layer)
    if as_json:
        emit_json([p.to_dict() for p in paths])
        return
    table = Table(title=f"{len(paths)} attack paths")
    for col in ("Attacker", "Goal", "Score", "Likelihood", "Layers", "Steps"):
        table.add_column(col)
    for p in paths:
        steps = " -> ".join(f"{s.technique_id} ({s.tactic})" for s in p.steps)
        table.add_row(
            p.attacker, p.goal, f"{p.score:.3f}", f"{p.likelihood:.3f}", p.layer_path, steps
        )
    out.print(table)


@app.command("mitigations")
@handle_errors
def mitigations_command(
    attacker: Annotated[str, typer.Option("--attacker", help="Attacker profile.")],
    system: SystemOpt = None,
    mitigate: MitigateOpt = None,
    goal: GoalOpt = None,
    as_json: Json = False,
) -> None:
    """What each mitigation removes for one attacker: techniques, paths, goals, risk."""
    kb = load_catalog()
    effects = mitigation_effects(kb, _system(system), kb.profile(attacker), mitigate or (), goal)
    if as_json:
        emit_json([e.to_dict() for e in effects])
        return
    table = Table(title=f"Mitigation effects for {attacker}")
    for col in ("ID", "Name", "Risk -", "Goals lost", "Removed techniques", "Removed paths"):
        table.add_column(col)
    for e in effects:
        table.add_row(
            e.mitigation_id,
            e.name,
            f"{e.risk_reduction:.3f}",
            ", ".join(e.goals_lost) or "-",
            ", ".join(e.removed_techniques) or "-",
            str(len(e.removed_paths)),
        )
    out.print(table)


@app.command("export")
@handle_errors
def export_command(
    fmt: Annotated[str, typer.Option("--format", help="|".join(FORMATS))],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "--out", "-o", help="File (a folder for attack-flow: one file per path)."
        ),
    ] = None,
    system: SystemOpt = None,
    attacker: AttackerOpt = None,
    mitigate: MitigateOpt = None,
    goal: GoalOpt = None,
    max_paths: MaxOpt = 3,
    data_url: Annotated[
        str | None,
        typer.Option(
            "--data-url", help="URL of the served STIX bundle (navigator's customDataURL)."
        ),
    ] = None,
) -> None:
    """Export the knowledge base and/or attack paths."""
    if fmt not in FORMATS:
        raise ConfigError(
            f"unknown export format {fmt!r}", hint="use one of: " + ", ".join(FORMATS)
        )
    # only the chosen format's module: the stix2 library loads for the STIX bundle alone
    module = {"navigator-atlas": "navigator", "mermaid": "diagram", "dot": "diagram"}
    exporter = importlib.import_module(
        "qmlsec.killchain.export." + module.get(fmt, fmt.replace("-", "_"))
    )
    kb = load_catalog()
    # the ATLAS YAML lists paths only for named attackers; every other export scores or
    # draws the paths of every profile when none is named (the worst case over profiles)
    with_paths = fmt != "stix" and not (fmt == "atlas" and attacker is None)
    paths = _paths(kb, _system(system), attacker, mitigate, goal, max_paths) if with_paths else []
    if fmt == "attack-flow" and output is not None:
        output.mkdir(parents=True, exist_ok=True)
        for n, path in enumerate(paths, start=1):
            name = f"flow-{n:03d}-{path.attacker}-{path.goal}.json"
            (output / name).write_text(
                json.dumps(exporter.attack_flow_bundle(kb, path), indent=2) + "\n"
            )
        typer.echo(f"wrote {len(paths)} Attack Flow bundles to {output}", err=True)
        return
    text = {
        "atlas": lambda: exporter.to_atlas_yaml(kb, paths),
        "navigator": lambda: (
            json.dumps(exporter.qml_layer(kb, paths, data_url=data_url), indent=2) + "\n"
        ),
        "navigator-atlas": lambda: json.dumps(exporter.atlas_layer(kb, paths), indent=2) + "\n",
        "stix": lambda: exporter.to_stix_json(kb) + "\n",
        "attack-flow": lambda: (
            json.dumps(exporter.attack_flow_document(kb, paths), indent=2) + "\n"
        ),
        "mermaid": lambda: exporter.to_mermaid(paths),
        "dot": lambda: exporter.to_dot(paths),
    }[fmt]()
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {fmt} export to {output}", err=True)
