"""A small assessment shared by the report tests (built once per session)."""

from __future__ import annotations

import pytest

from qmlsec.campaigns.assess import assess
from qmlsec.campaigns.assess_config import AssessConfig
from qmlsec.report.build import write_report

TINY = {
    "victim": {"dataset": "iris", "classes": None, "qubits": 4, "layers": 1, "epochs": 3,
               "device": "fake_manila"},
    "profiles": ["curious-api-user"], "extra_profiles": [
        {"id": "malicious-api-user", "name": "Malicious API user", "description": "d",
         "positions": ["api_user"], "goals": ["model_stolen", "integrity_lost"]}],
    "include": ["inference.membership_threshold", "extraction.substitute", "evasion.transfer",
                "evasion.spsa", "inference.membership_proxy"],
    "test_samples": 10, "eps": [0.1, 0.3], "max_paths": 2, "noise_scales": [0.0, 1.0],
    "noise_samples": 4, "noise_shots": 128,
    "params": {"evasion.spsa": {"steps": 2, "samples": 2}},
    "sweeps": {"extraction.substitute": {"queries": [10, 20]}},
    "defenses": {"max_per_attack": 1, "skip_roles": ["trainer"]},
}  # fmt: skip


@pytest.fixture(scope="session")
def assessment() -> dict:
    return assess(AssessConfig.model_validate(TINY))


@pytest.fixture(scope="session")
def report_dir(assessment, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    write_report(assessment, out)
    return out
