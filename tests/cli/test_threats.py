"""``qmlsec threats``: list, show, paths, mitigations, export (through CliRunner)."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from qmlsec.cli.threats import app
from qmlsec.killchain.catalog import load_catalog

runner = CliRunner()


def _json(args: list[str]):
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_list_filters_by_tactic_and_layer():
    rows = _json(["list", "--tactic", "exfiltration"])
    assert "QML.T0025" in [r["id"] for r in rows]
    physical = _json(["list", "--layer", "physical"])
    assert physical and {r["quantum_layer"] for r in physical} == {"physical"}
    assert len(_json(["list"])) == len(load_catalog().all_techniques())


def test_list_rejects_unknown_layer():
    result = runner.invoke(app, ["list", "--layer", "astral"])
    assert result.exit_code == 2
    assert "unknown layer" in result.output


def test_show_returns_technique_with_mitigations():
    data = _json(["show", "QML.T0023.000"])
    assert data["subtechnique-of"] == "QML.T0023"
    assert {"id": "QML.M0010", "name": "Reset One-time Pads"}.items() <= data["mitigations"][
        0
    ].items()


def test_show_unknown_technique_exits_with_not_found_code():
    result = runner.invoke(app, ["show", "QML.T9999"])
    assert result.exit_code == 9
    assert "QML.T9999" in result.output


def test_paths_for_attacker_with_system_file(tmp_path):
    deploy = tmp_path / "deploy.yaml"
    deploy.write_text(
        yaml.safe_dump({"name": "lab", "quantum_cloud": {"trust": "malicious"}}), encoding="utf-8"
    )
    paths = _json(["paths", "--system", str(deploy), "--attacker", "malicious-quantum-provider"])
    assert paths and {p["attacker"] for p in paths} == {"malicious-quantum-provider"}
    assert paths[0]["score"] == max(p["score"] for p in paths)
    # a malicious provider reads the jobs it runs and is a client of the public API too
    assert paths[0]["technique_ids"][0] in {"QML.T0009", "QML.T0010"}
    assert all(len(p["transitions"]) >= 1 and len(p["layers"]) == len(p["steps"]) for p in paths)


def test_paths_show_layer_transitions_and_a_chain_through_three_layers():
    paths = _json(["paths", "--attacker", "malicious-quantum-provider"])
    three = [p for p in paths if {"physical", "privacy", "data-algorithm"} <= set(p["layers"])]
    assert three and len(three[0]["steps"]) >= 5
    assert " -> ".join(three[0]["transitions"]).startswith("physical -> privacy")
    plain = _json(["paths", "--attacker", "malicious-quantum-provider", "--no-cross-layer"])
    assert len(plain) < len(paths)
    result = runner.invoke(
        app, ["paths", "--attacker", "malicious-co-tenant"], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 0 and "physical -> privacy" in result.stdout


def test_paths_with_mitigation_drop_blocked_technique():
    args = ["paths", "--attacker", "malicious-co-tenant", "--goal", "training_data_exposed"]
    before = _json(args)
    after = _json([*args, "--mitigate", "QML.M0010"])
    assert any("QML.T0023.000" in p["technique_ids"] for p in before)
    assert not any("QML.T0023.000" in p["technique_ids"] for p in after)


def test_paths_table_output_mentions_goal():
    result = runner.invoke(app, ["paths", "--attacker", "physical-insider"])
    assert result.exit_code == 0
    assert "ip_stolen" in result.stdout


def test_mitigations_command_ranks_by_risk_reduction():
    effects = _json(["mitigations", "--attacker", "malicious-co-tenant"])
    assert effects[0]["mitigation_id"] == "QML.M0018"
    reductions = [e["risk_reduction"] for e in effects]
    assert reductions == sorted(reductions, reverse=True)


def test_unknown_attacker_is_reported():
    result = runner.invoke(app, ["paths", "--attacker", "nobody"])
    assert result.exit_code == 9
    assert "no attacker profile" in result.output


def test_export_formats_produce_parseable_output():
    atlas = yaml.safe_load(runner.invoke(app, ["export", "--format", "atlas"]).stdout)
    assert atlas["matrices"][0]["id"] == "QML"
    layer = json.loads(runner.invoke(app, ["export", "--format", "navigator"]).stdout)
    assert layer["versions"]["layer"] == "4.5"
    atlas_layer = json.loads(runner.invoke(app, ["export", "--format", "navigator-atlas"]).stdout)
    assert atlas_layer["domain"] == "atlas-atlas"
    bundle = json.loads(runner.invoke(app, ["export", "--format", "stix"]).stdout)
    assert bundle["type"] == "bundle"
    flows = json.loads(
        runner.invoke(
            app, ["export", "--format", "attack-flow", "--attacker", "physical-insider"]
        ).stdout
    )
    assert flows["type"] == "bundle"
    assert sum(o["type"] == "attack-flow" for o in flows["objects"]) == 1
    assert max(t["score"] for t in layer["techniques"]) > 0  # worst case over profiles
    assert max(t["score"] for t in layer["techniques"]) <= layer["gradient"]["maxValue"]
    assert runner.invoke(app, ["export", "--format", "mermaid"]).stdout.startswith("flowchart LR")
    assert runner.invoke(app, ["export", "--format", "dot"]).stdout.startswith("digraph")


def test_export_attack_flow_to_folder_writes_one_bundle_per_path(tmp_path):
    result = runner.invoke(
        app,
        [
            "export",
            "--format",
            "attack-flow",
            "--attacker",
            "malicious-co-tenant",
            "-o",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    files = sorted(tmp_path.glob("flow-*.json"))
    assert len(files) >= 3
    assert all(json.loads(f.read_text())["type"] == "bundle" for f in files)


def test_export_unknown_format_fails():
    result = runner.invoke(app, ["export", "--format", "pdf"])
    assert result.exit_code == 2
    assert "unknown export format" in result.output
