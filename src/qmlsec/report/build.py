"""Write a report folder: report.json (validated), report.md, index.html and exports.

Before writing, :func:`qmlsec.report.posture.annotate` adds the verdicts (achieved /
inconclusive / no effect per run, stage and path) and the posture summary the report
opens with; every measured figure is shown with its 95 % interval and sample size.

The input is an assessment (:func:`qmlsec.campaigns.assess.assess`) or a campaign's
result store (:func:`campaign_document`). ``index.html`` is self-contained: inline CSS,
plots as inline SVG, no scripts and no external resources.

Example:
    >>> import tempfile, pathlib
    >>> from qmlsec.campaigns.store import ResultStore
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> doc = campaign_document(ResultStore(out / "empty.db"))
    >>> sorted(write_report(doc, out / "report"))  # a campaign: no threat-intel exports
    ['html', 'json', 'markdown']
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from qmlsec import __version__
from qmlsec.attacks.registry import available_attacks
from qmlsec.campaigns.store import ResultStore
from qmlsec.report.exports import write_exports
from qmlsec.report.matrix import matrix_columns, path_rows
from qmlsec.report.plots import all_plots
from qmlsec.report.posture import annotate
from qmlsec.report.schema import SCHEMA_VERSION, validate_report


def _env() -> Environment:
    env = Environment(loader=PackageLoader("qmlsec.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)  # fmt: skip
    env.filters["num"] = lambda v, d=3: (  # + 0.0: no "-0" for a negative zero
        "-" if v is None else (f"{v + 0.0:.{d}g}" if isinstance(v, float) else str(v))
    )
    env.filters["ci"] = _ci
    env.filters["slug"] = lambda v: str(v).replace(" ", "-").replace(",", "")
    return env


def _ci(ci: list[float] | None, n: int | None = None) -> str:
    """`` [lo, hi]`` (and ``, n=N``) of a 95 % interval; ``no CI`` without one."""
    text = " no CI" if not ci else f" [{ci[0] + 0.0:.3g}, {ci[1] + 0.0:.3g}]"
    return text + (f" n={n}" if n is not None else "")


def campaign_document(store: ResultStore, campaign: str | None = None) -> dict[str, Any]:
    """A report document (kind ``campaign``) from the runs in a result store."""
    registry = available_attacks()
    runs = []
    for row in store.rows(campaign):
        result = row["result"] or {}
        config = row["config"] or {}
        runs.append({
            "run_id": row["run_id"], "attack": row["attack"], "status": row["status"],
            "error": row["error"], "seed": row["seed"], "params": config.get("params", {}),
            "metrics": {k: v for k, v in row["metrics"].items() if isinstance(v, int | float)},
            "curves": result.get("curves", {}), "per_sample": result.get("per_sample", {}),
            "intervals": result.get("intervals", {}),
            "headline": result.get("headline"), "seconds": row["seconds"],
            "technique_id": result.get("technique_id") or getattr(registry.get(row["attack"]), "technique_id", None),
            "defense": row["defense"], "model": row["model"], "campaign": row["campaign"],
            "noise": config.get("noise", {}), "worker": row["worker"],
        })  # fmt: skip
    return {
        "kind": "campaign", "qmlsec_version": __version__, "seed": None,
        "campaigns": store.specs(), "status": store.status(), "runs": runs,
        "summary": {"runs": len(runs), "runs_failed": sum(r["status"] != "ok" for r in runs)},
        "timing": {"run_seconds": float(sum(r["seconds"] or 0.0 for r in runs))},
    }  # fmt: skip


def _markdown_safe(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("plots",)}


def write_report(doc: dict[str, Any], out: Path | str) -> dict[str, str]:
    """Write the report folder ``out``; return what was written (name -> path)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    doc = annotate(copy.deepcopy(doc))
    doc["schema_version"] = SCHEMA_VERSION
    doc["generated_at"] = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    files = {"json": "report.json", "markdown": "report.md", "html": "index.html"}
    files.update(write_exports(doc, out) if doc["kind"] == "assessment" else {})
    doc["files"] = files
    validate_report(doc)
    (out / "report.json").write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    env = _env()
    view = {
        "doc": doc, "plots": all_plots(doc), "matrix": matrix_columns(doc),
        "paths": path_rows(doc), "runs_by_id": {r["run_id"]: r for r in doc.get("runs", [])},
    }  # fmt: skip
    (out / "index.html").write_text(env.get_template("index.html.j2").render(**view))
    (out / "report.md").write_text(env.get_template("report.md.j2").render(**view))
    return {k: str(out / v) for k, v in files.items()}
