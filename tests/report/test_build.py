"""report.json validates against the shipped schema; the files beside it are written."""

from __future__ import annotations

import json

import jsonschema
import pytest

from qmlsec.exceptions import ConfigError
from qmlsec.report.schema import load_schema, validate_report


def test_report_json_validates_against_the_shipped_schema(report_dir):
    doc = json.loads((report_dir / "report.json").read_text())
    jsonschema.Draft202012Validator.check_schema(load_schema())
    jsonschema.validate(doc, load_schema())
    assert doc["kind"] == "assessment" and doc["schema_version"] == "1.2"


def test_every_run_records_seed_params_metrics_and_timing(report_dir):
    doc = json.loads((report_dir / "report.json").read_text())
    assert doc["runs"]
    for run in doc["runs"]:
        assert isinstance(run["seed"], int) and run["seconds"] >= 0
        assert isinstance(run["params"], dict) and isinstance(run["metrics"], dict)


def test_multi_stage_path_feeds_the_extracted_model_to_transfer(report_dir):
    doc = json.loads((report_dir / "report.json").read_text())
    runs = {r["run_id"]: r for r in doc["runs"]}
    chained = [
        p for p in doc["paths"]
        if [s["technique_id"] for s in p["stages"]][1:] == ["QML.T0025", "QML.T0011.002"]
    ]  # fmt: skip
    assert chained, "the extraction -> transfer evasion path is planned"
    transfer = runs[chained[0]["stages"][-1]["runs"][0]]
    assert transfer["status"] == "ok"
    assert any(runs[i]["attack"] == "extraction.substitute" for i in transfer["inputs"])


def test_exports_are_written_beside_the_report(report_dir):
    layer = json.loads((report_dir / "navigator_layer.json").read_text())
    assert layer["versions"]["layer"] == "4.5"
    assert json.loads((report_dir / "stix_bundle.json").read_text())["type"] == "bundle"
    assert list((report_dir / "attack_flows").glob("flow-*.json"))
    assert "## Runs" in (report_dir / "report.md").read_text()


def test_a_report_missing_runs_breaks_the_schema():
    with pytest.raises(ConfigError, match="schema"):
        validate_report({"schema_version": "1.2", "kind": "assessment", "qmlsec_version": "x",
                         "generated_at": "2024-01-01T00:00:00+00:00", "files": {},
                         "runs": [{"run_id": "r1"}]})  # fmt: skip


def test_victim_section_reports_exact_and_device_accuracy_around_finetuning(report_dir):
    doc = json.loads((report_dir / "report.json").read_text())
    ft = doc["victim"]["finetune"]
    assert ft["device"] == "fake_manila" and ft["circuits"] > 0
    md = (report_dir / "report.md").read_text()
    before, after = ft["accuracy_before"], ft["accuracy_after"]
    assert f"fine-tuning on fake_manila: {ft['epochs']} epoch(s) of spsa" in md
    assert "| pre-trained |" in md and "| fine-tuned on the device |" in md
    assert 0 <= before["device"] <= 1 and 0 <= after["exact"] <= 1
    assert 'id="finetune"' in (report_dir / "index.html").read_text()


def test_schema_accepts_timed_out_runs_and_rejects_unknown_statuses(report_dir):
    doc = json.loads((report_dir / "report.json").read_text())
    doc["runs"][0] = {**doc["runs"][0], "status": "timed_out", "error": "wall-time limit"}
    jsonschema.validate(doc, load_schema())
    doc["runs"][0]["status"] = "slow"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, load_schema())


def test_every_registered_defense_is_measured_or_says_why_not(report_dir):
    from qmlsec.defenses.registry import available_defenses

    doc = json.loads((report_dir / "report.json").read_text())
    coverage = {row["defense"]: row for row in doc["defense_coverage"]}
    assert set(coverage) == set(available_defenses())
    for name, row in coverage.items():
        ok = sum(d["status"] == "ok" for d in doc["defenses"] if d["defense"] == name)
        assert row["measured"] == ok
        assert (row["reason"] is None) == (ok > 0), row
    # trainer defenses are skipped by the tiny config's settings
    assert "defense settings" in coverage["trainer.adversarial"]["reason"]
    # max_per_attack=1: extraction.substitute has several linked defenses, one ran
    crowded = [r for r in coverage.values() if r["reason"] and "max_per_attack=1" in r["reason"]]
    assert crowded and all("extraction.substitute" in r["reason"] or "inference." in r["reason"]
                           for r in crowded)  # fmt: skip
    # a defense of attacks that never ran names them
    assert "tampering.measurement" in coverage["provider.shot_splitting"]["reason"]
    md = (report_dir / "report.md").read_text()
    assert "### Defenses not measured here" in md and "provider.shot_splitting" in md
