"""A campaign's report: every run's headline with n and interval, validated and rendered."""

from __future__ import annotations

import json

import pytest

from qmlsec.campaigns.execute import execute_run
from qmlsec.campaigns.spec import RunConfig
from qmlsec.campaigns.store import ResultStore
from qmlsec.campaigns.victim_spec import VictimSpec
from qmlsec.report.build import campaign_document, write_report


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = ResultStore(tmp_path_factory.mktemp("campaign") / "results.db")
    victim = VictimSpec(dataset="iris", classes=None, qubits=4, layers=1, epochs=2)
    for attack, params in (("evasion.fgsm", {"eps": [0.1, 0.3], "eps_units": "box"}),
                           ("extraction.substitute", {"queries": 20, "epochs": 2})):  # fmt: skip
        store.add(execute_run(RunConfig(campaign="c", model=victim, attack=attack,
                                        params=params, samples=20)))  # fmt: skip
    return store


def test_campaign_report_carries_intervals_and_outcomes(store, tmp_path):
    write_report(campaign_document(store), tmp_path)
    doc = json.loads((tmp_path / "report.json").read_text())
    assert doc["kind"] == "campaign" and len(doc["runs"]) == 2
    for run in doc["runs"]:
        assert run["status"] == "ok", run.get("error")
        head = run["headline"]
        assert head["n"] == 20 and head["ci"][0] <= head["value"] <= head["ci"][1]
        assert run["outcome"] in ("achieved", "inconclusive", "no effect")
    html = (tmp_path / "index.html").read_text()
    assert 'id="posture"' in html and "n=20" in html
    assert "kill-chain matrix" not in html.lower()  # campaigns have no paths to draw
