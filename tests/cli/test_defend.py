"""``qmlsec defend list`` and ``qmlsec defend eval``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from qmlsec.cli.main import app

runner = CliRunner()


def test_defend_list_json_names_every_defense():
    from qmlsec.defenses.registry import available_defenses

    out = runner.invoke(app, ["defend", "list", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)["defenses"]
    assert {r["name"] for r in rows} == set(available_defenses())
    assert all(r["mitigation_id"].startswith("QML.M") for r in rows)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "model"
    out = runner.invoke(app, ["train", "--dataset", "iris", "--qubits", "4", "--layers", "2",
                              "--epochs", "5", "--classes", "", "--out", str(path), "--json"])  # fmt: skip
    if out.exit_code != 0:
        pytest.skip(f"qmlsec train unavailable here: {out.output[-300:]}")
    return path


def test_defend_eval_prints_the_with_without_table(model_dir):
    args = ["defend", "eval", "detector.query_budget", "--against", "extraction.substitute",
            "--model", str(model_dir), "--param", "max_queries=5",
            "--attack-param", "queries=30", "--attack-param", "epochs=3"]  # fmt: skip
    out = runner.invoke(app, [*args, "--json"])
    assert out.exit_code == 0, out.output
    ev = json.loads(out.stdout)
    assert ev["metric"] == "substitute_agreement" and ev["defense"] == "detector.query_budget"
    assert {"without", "with", "helped", "cost"} <= set(ev)
    table = runner.invoke(app, args)
    assert table.exit_code == 0 and "verdict" in table.output


def test_defend_eval_unknown_defense_fails_cleanly(model_dir):
    out = runner.invoke(app, ["defend", "eval", "detector.nope", "--against",
                              "extraction.substitute", "--model", str(model_dir)])  # fmt: skip
    assert out.exit_code != 0
