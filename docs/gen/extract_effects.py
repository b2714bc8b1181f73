"""Extract the measured effects of a ``qmlsec assess`` report into docs/data/.

Usage (from the repository root)::

    qmlsec assess --out /tmp/qmlsec-default-report
    python docs/gen/extract_effects.py /tmp/qmlsec-default-report

reads ``REPORT_DIR/report.json`` (validated against the report schema) and writes
``docs/data/default-assessment.json``: for every technique its measured impact with the
interval and outcome, every attack run's headline metric with ``n``, 95 % interval,
method, threshold and outcome, and every defended re-run's estimates without and with the
defense and the reduction with its verdict. The technique and mitigation pages are built
from it and name the report (command, version, seed, date) it comes from.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "data" / "default-assessment.json"
REGENERATE = "python docs/gen/extract_effects.py REPORT_DIR"

RUN_KEYS = (
    "run_id", "attack", "technique_id", "status", "outcome", "headline", "threshold",
    "impact", "seconds", "samples_needed", "error",
)  # fmt: skip
DEFENSE_KEYS = (
    "run_id", "defense", "mitigation_id", "role", "attack", "technique_id", "status",
    "metric", "verdict", "without_estimate", "with_estimate", "reduction_estimate", "error",
)  # fmt: skip
TECHNIQUE_KEYS = (
    "name", "measured_impact", "impact_ci", "impact_n", "outcome", "reachable_by", "runs",
)  # fmt: skip


def _round(value: Any, digits: int = 4) -> Any:
    """Round floats everywhere in a JSON value (the summary stays small and diffable)."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: _round(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v, digits) for v in value]
    return value


def summarise(report: dict[str, Any], command: str) -> dict[str, Any]:
    """The compact summary the technique and mitigation pages read."""
    if report.get("kind") != "assessment":
        raise SystemExit(f"not an assessment report (kind {report.get('kind')!r})")
    victim = report.get("victim") or {}
    finetune = victim.get("finetune") or {}
    error_cut = 300
    runs = []
    for run in report["runs"]:
        row = {k: run.get(k) for k in RUN_KEYS}
        if row["error"]:
            row["error"] = str(row["error"])[:error_cut]
        runs.append(row)
    defenses = []
    for d in report.get("defenses", []):
        row = {k: d.get(k) for k in DEFENSE_KEYS}
        if row["error"]:
            row["error"] = str(row["error"])[:error_cut]
        defenses.append(row)
    return _round(
        {
            "source": {
                "command": command,
                "regenerate": REGENERATE,
                "qmlsec_version": report["qmlsec_version"],
                "schema_version": report["schema_version"],
                "generated_at": report["generated_at"],
                "seed": report.get("seed"),
                "quick": bool(report.get("quick")),
                "victim": {
                    "spec": victim.get("spec"),
                    "test_accuracy": victim.get("test_accuracy"),
                    "device": finetune.get("device"),
                },
                "counts": report["posture"]["counts"],
            },
            "techniques": {
                t["id"]: {k: t.get(k) for k in TECHNIQUE_KEYS} for t in report.get("techniques", [])
            },
            "runs": runs,
            "defenses": defenses,
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report_dir", type=Path, help="folder written by `qmlsec assess --out`")
    parser.add_argument(
        "--command",
        default=None,
        help="the command that wrote the report (default: `qmlsec assess --out REPORT_DIR`, "
        "with --quick when the report says so)",
    )
    parser.add_argument("--out", type=Path, default=OUT, help=f"default: {OUT.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    path = args.report_dir / "report.json"
    if not path.is_file():
        print(f"error: no report.json in {args.report_dir}", file=sys.stderr)
        return 2
    report = json.loads(path.read_text(encoding="utf-8"))
    from qmlsec.report.schema import SCHEMA_VERSION, validate_report

    if report.get("schema_version") == SCHEMA_VERSION:
        validate_report(report)
    else:  # an older report: only the keys read below are needed
        print(
            f"note: report schema {report.get('schema_version')}, this qmlsec writes "
            f"{SCHEMA_VERSION}; not validated",
            file=sys.stderr,
        )
    quick = " --quick" if report.get("quick") else ""
    command = args.command or f"qmlsec assess{quick} --out {args.report_dir}"
    summary = summarise(report, command)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(
        f"wrote {args.out}: {len(summary['techniques'])} techniques, {len(summary['runs'])} "
        f"runs, {len(summary['defenses'])} defended re-runs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
