"""A recorded deployment end to end: train, trust enforced, attacks on it, ledger, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qmlsec.cli.main import app

runner = CliRunner()
TRAIN = ["train", "--dataset", "iris", "--qubits", "4", "--layers", "1", "--epochs", "2",
         "--batch-size", "0", "--gradient", "spsa", "--shots", "128", "--backend", "fake_manila",
         "--quantum-trust", "honest-but-curious", "--seed", "0", "--json"]  # fmt: skip


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("deployment") / "d"
    data = _json(runner.invoke(app, [*TRAIN, "--out", str(out)]))
    assert data["steps"][:6] == ["preprocess", "design", "transpile", "execute", "gradient",
                                 "optimize"]  # fmt: skip
    return out


@pytest.fixture
def copy(deployment, tmp_path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(deployment, target)
    return target


def test_train_writes_a_verifiable_deployment(deployment):
    shown = _json(runner.invoke(app, ["deployment", "show", str(deployment), "--json"]))
    assert shown["quantum"]["trust"] == "honest-but-curious"
    assert shown["classical"]["trust"] == "trusted"
    assert shown["quantum"]["device"] == "fake_manila" and shown["quantum"]["shots"] == 128
    assert len(shown["model_digest"]) == 64
    ledger = _json(runner.invoke(app, ["ledger", str(deployment), "--workflow", "--json"]))
    assert ledger["steps"][:6] == ["preprocess", "design", "transpile", "execute", "gradient",
                                   "optimize"]  # fmt: skip


def test_an_honest_but_curious_provider_may_not_tamper(copy):
    result = runner.invoke(app, ["attack", "run", "tampering.measurement", "--deployment",
                                 str(copy)])  # fmt: skip
    assert result.exit_code != 0
    assert "honest-but-curious" in result.output and "never modify" in result.output
    assert "Traceback" not in result.output
    assert _json(runner.invoke(app, ["ledger", str(copy), "--json"]))["actors"] == []


def test_encoding_inference_runs_and_its_footprint_is_in_the_ledger(copy):
    args = ["attack", "run", "recon.encoding_inference", "--deployment", str(copy),
            "--param", "n_train=40", "--param", "n_test=4", "--json"]  # fmt: skip
    data = _json(runner.invoke(app, args))
    assert data["deployment"]["position"] == "untrusted_quantum_cloud"
    assert data["deployment"]["quantum_trust"] == "honest-but-curious"
    ledger = _json(runner.invoke(app, ["ledger", str(copy), "--actor",
                                       "recon.encoding_inference", "--json"]))  # fmt: skip
    rows = {(e["step"], e["asset"], e["receiver"]) for e in ledger["entries"]}
    assert ("observe", "bound_parameters", "attacker") in rows  # what the provider saw
    assert ("inference", "bound_parameters", "quantum_cloud") in rows  # the victim's queries
    assert ledger["actors"] == ["recon.encoding_inference"]
    assert not any(e["step"] == "tamper" for e in ledger["entries"])


def test_pgd_queries_the_deployment_device_with_its_shots(copy):
    args = ["attack", "run", "evasion.pgd", "--deployment", str(copy), "--eps", "0.1",
            "--param", "steps=2", "--samples", "6", "--json"]  # fmt: skip
    data = _json(runner.invoke(app, args))
    assert data["deployment"]["device"] == "fake_manila"
    assert data["deployment"]["shots"] == 128
    assert data["queries"]["shots"] == 128 * data["queries"]["circuits"] > 0
    ledger = _json(runner.invoke(app, ["ledger", str(copy), "--actor", "evasion.pgd", "--json"]))
    assert any(e["step"] == "inference" and e["receiver"] == "quantum_cloud"
               for e in ledger["entries"])  # fmt: skip


def test_reconfiguring_the_trust_enables_tampering_without_retraining(copy):
    before = json.loads((copy / "deployment.json").read_text())["model_digest"]
    shown = _json(runner.invoke(app, ["deployment", "configure", str(copy),
                                      "--quantum-trust", "malicious", "--json"]))  # fmt: skip
    assert shown["quantum"]["trust"] == "malicious" and shown["model_digest"] == before
    args = ["attack", "run", "tampering.measurement", "--deployment", str(copy), "--param",
            "max_samples=6", "--param", "rates=[0.5]", "--json"]  # fmt: skip
    data = _json(runner.invoke(app, args))
    assert data["deployment"]["quantum_trust"] == "malicious"
    ledger = _json(runner.invoke(app, ["ledger", str(copy), "--actor",
                                       "tampering.measurement", "--json"]))  # fmt: skip
    assert any(e["step"] == "tamper" for e in ledger["entries"])


def test_configuring_the_classical_tail_reaches_the_providers_backend(copy):
    from qmlsec.cloud.deployment import Deployment

    shown = _json(runner.invoke(app, ["deployment", "configure", str(copy),
                                      "--classical-tail", "--json"]))  # fmt: skip
    assert shown["quantum"]["classical_tail"] is True
    loaded = Deployment.load(copy)
    assert loaded.quantum.classical_tail
    assert loaded.quantum.backend(loaded.quantum.pool[0]).classical_tail
    shown = _json(runner.invoke(app, ["deployment", "configure", str(copy),
                                      "--no-classical-tail", "--json"]))  # fmt: skip
    assert shown["quantum"]["classical_tail"] is False


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(colour="red"), "colour"),
        (lambda d: d["quantum"].update(device="fake_nowhere"), "unknown device"),
        (lambda d: d["quantum"].update(trust="sometimes"), "quantum.trust"),
        (lambda d: d.update(model_digest="0" * 64), "does not match the model digest"),
    ],
)
def test_a_hand_edited_deployment_is_refused(copy, edit, message):
    path = copy / "deployment.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    for args in (["deployment", "show", str(copy)], ["attack", "run", "evasion.fgsm",
                                                     "--deployment", str(copy)]):  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code not in (0, 1), result.output
        assert message in result.output and "Traceback" not in result.output


def test_a_tampered_model_file_is_refused(copy):
    weights = copy / "model" / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\0")
    result = runner.invoke(app, ["evaluate", str(copy)])
    assert result.exit_code not in (0, 1) and "sha256" in result.output


def test_a_bare_model_says_which_deployment_it_assumes(deployment):
    data = _json(runner.invoke(app, ["attack", "run", "evasion.fgsm", "--model",
                                     str(deployment / "model"), "--eps", "0.1", "--json"]))  # fmt: skip
    assert any("assumed deployment" in note for note in data["notes"])
