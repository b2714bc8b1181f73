"""``qmlsec assess``: the whole security assessment of a QMLaaS deployment, one command.

With no arguments it trains the default victim (digits 0-3, PCA to 8 features, 8
qubits) in exact simulation and fine-tunes it with SPSA on a fake IBM device profile
through the QMLaaS pipeline, derives every attacker profile's kill-chain paths,
executes them (each run within ``run_time_limit_s``), re-runs them with the linked
defenses and writes ``report/``.
Everything is configurable from one YAML file (``examples/assess.yaml``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from qmlsec.cli import output
from qmlsec.cli.output import console, emit_json, handle_errors


def assess_command(
    config: Path = typer.Option(
        None, "--config", help="Assessment YAML (see examples/assess.yaml)."
    ),
    quick: bool = typer.Option(False, "--quick", help="Shrink everything to under a minute."),
    out: Path = typer.Option(Path("report"), "--out", help="Folder to write the report to."),
    seed: int = typer.Option(None, "--seed", help="The run seed (overrides the config's)."),
    deployment: Path = typer.Option(
        None,
        "--deployment",
        help="Assess this saved deployment (e.g. from `qmlsec import`) instead of training one.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Train, threat-model, attack, defend and report on a QMLaaS deployment."""
    result = handle_errors(_assess)(config, quick, out, seed, deployment)
    output.exit_fast = True  # the report is written: nothing left to tear down
    if json_out:
        emit_json(result)
        return
    s = result["summary"]
    tuned = result.get("finetune")
    if tuned:
        before, after = tuned["accuracy_before"], tuned["accuracy_after"]
        console.print(
            f"victim fine-tuned on {tuned['device']} ({tuned['circuits']} circuits): device "
            f"accuracy {before['device']:.3f} -> {after['device']:.3f}, exact "
            f"{before['exact']:.3f} -> {after['exact']:.3f} on {tuned['eval_samples']} samples"
        )
    console.print(
        f"clean accuracy [bold]{s['clean_accuracy']:.3f}[/]; {s['paths_executed']}/{s['paths']} "
        f"paths executed, {s['runs']} attack runs ({s['runs_failed']} failed, "
        f"{s['runs_timed_out']} timed out), "
        f"{s['defense_runs']} defended re-runs ({s['defenses_helped']} helped) "
        f"in {result['seconds']:.0f} s -> {result['files']['html']}"
    )


def _assess(
    config: Path | None, quick: bool, out: Path, seed: int | None, deployment: Path | None = None
) -> dict[str, Any]:
    # torch, Qiskit, scikit-learn and matplotlib load here, not for ``--help``
    from qmlsec.campaigns.assess import STEPS, assess
    from qmlsec.campaigns.assess_config import load_assess_config
    from qmlsec.cli.target import open_target
    from qmlsec.report.build import write_report

    cfg = load_assess_config(config, quick=quick, seed=seed)
    loaded = open_target(deployment, None)[0] if deployment is not None else None
    with Progress(
        TextColumn("[bold]{task.description:<12}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), console=console, transient=True,
    ) as bars:  # fmt: skip
        tasks = {s: bars.add_task(s, total=None, detail="", start=False) for s in STEPS}

        def progress(step: str, done: int, total: int, detail: str) -> None:
            if step not in tasks:  # a step the assessment reports beyond STEPS
                tasks[step] = bars.add_task(step, total=None, detail="", start=False)
            task = tasks[step]
            bars.start_task(task)
            if total:
                bars.update(task, completed=done, total=total, detail=detail[:60])
            else:
                bars.update(task, detail=detail[:60])

        doc = assess(cfg, progress=progress, loaded=loaded)
    files = write_report(doc, out)
    return {
        "seed": doc["seed"], "quick": doc["quick"], "summary": doc["summary"],
        "finetune": doc["victim"]["finetune"],
        "seconds": doc["timing"]["total_seconds"], "timing": doc["timing"], "files": files,
    }  # fmt: skip
