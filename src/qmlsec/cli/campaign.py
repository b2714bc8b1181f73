"""``qmlsec campaign run|status`` and ``qmlsec report``.

``campaign run spec.yaml`` executes the grid of a campaign spec into a SQLite store
(``--db``, default ``<spec name>.db``): in process or a local process pool
(``--workers N``), a Dask local cluster (``--dask --workers N``) or a running Dask
scheduler (``--scheduler tcp://host:8786``). The whole spec (attacks, params, defenses,
datasets, devices) is checked before the store is created; the exit status is non-zero
when a run failed (its error is stored with it). Killed at any point, the same command
resumes without losing or duplicating finished runs, and local workers die with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qmlsec.campaigns.runner import run_campaign
from qmlsec.campaigns.spec import load_spec
from qmlsec.campaigns.store import ResultStore
from qmlsec.cli.output import console, emit_json, handle_errors
from qmlsec.exceptions import RunsFailedError
from qmlsec.report.build import campaign_document, write_report

app = typer.Typer(help="Run campaigns (grids of attacks) locally or on Dask.", no_args_is_help=True)


@app.command("run")
def run_command(
    spec: Path = typer.Argument(..., help="Campaign spec YAML (see examples/campaign.yaml)."),
    db: Path = typer.Option(None, help="SQLite result store; default <spec name>.db."),
    workers: int = typer.Option(1, min=1, help="Local workers (process pool or Dask cluster)."),
    scheduler: str = typer.Option(None, help="Dask scheduler address, e.g. tcp://host:8786."),
    dask: bool = typer.Option(False, "--dask", help="Use a Dask local cluster of --workers."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Execute every unfinished run of a campaign spec (resumes where it stopped)."""
    summary = handle_errors(_run)(spec, db, workers, scheduler, dask)
    if json_out:
        emit_json(summary)
    else:
        console.print(
            f"{summary['campaign']}: {summary['executed']} runs executed "
            f"({summary['failed']} failed), {summary['skipped']} already done, "
            f"{summary['seconds']:.1f} s on {summary['executor']} -> {summary['store']}"
        )
    if summary["failed"]:
        failed = RunsFailedError(
            f"{summary['failed']} of {summary['executed']} runs failed",
            hint=f"see their errors with `qmlsec campaign status {summary['store']}`; "
            "running the same command again retries them",
        )
        handle_errors(_raise)(failed)


def _raise(err: Exception) -> None:
    raise err


def _run(
    spec_path: Path, db: Path | None, workers: int, scheduler: str | None, dask: bool
) -> dict[str, Any]:
    spec = load_spec(spec_path)
    spec.check()  # everything, before the store file exists
    store = ResultStore(db or Path(f"{spec.name}.db"))
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console, transient=True,
    ) as bars:  # fmt: skip
        task = bars.add_task(spec.name, total=None)

        def progress(done: int, total: int, row: dict[str, Any]) -> None:
            bars.update(
                task, completed=done, total=total, description=f"{spec.name} {row['attack']}"
            )

        summary = run_campaign(spec, store, workers=workers, scheduler=scheduler,
                               backend="dask" if dask else "auto", progress=progress)  # fmt: skip
    return summary.to_dict()


def _open(db: Path) -> ResultStore:
    return ResultStore(db, create=False)


@app.command("status")
def status_command(
    db: Path = typer.Argument(..., help="SQLite result store."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Runs per campaign and status in a result store."""
    status = handle_errors(lambda: _open(db).status())()
    if json_out:
        emit_json({"store": str(db), "campaigns": status})
        return
    table = Table("campaign", "runs", "ok", "error", "run seconds", title=str(db))
    for name, entry in status.items():
        by = entry["by_status"]
        table.add_row(name, str(entry["runs"]), str(by.get("ok", 0)), str(by.get("error", 0)),
                      f"{entry['run_seconds']:.1f}")  # fmt: skip
    console.print(table)


def report_command(
    db: Path = typer.Argument(..., help="SQLite result store of a campaign."),
    out: Path = typer.Option(Path("report"), "--out", help="Folder to write the report to."),
    campaign: str = typer.Option(None, help="Only this campaign of the store."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Write report.json, report.md and index.html for a campaign's results."""
    files = handle_errors(lambda: write_report(campaign_document(_open(db), campaign), out))()
    if json_out:
        emit_json({"files": files})
        return
    console.print(f"report -> {files['html']}")
