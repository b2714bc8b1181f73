"""Colluding providers: the classical and the quantum cloud pool what each obtained.

The attack graph pools the facts of every position of a profile, so collusion is the
union of both footholds' facts. No *technique* is reachable only by the pair in the
default deployment: every technique's requirements are met from one foothold (the
access facts encode the position, and a technique's listed positions only gate which
foothold may *modify*). What collusion adds is *paths*: the honest-but-curious classical
cloud may only observe, so it steals the model artifact (QML.T0033) but may not evade;
the malicious quantum provider may evade but cannot read the classical store. Together
they run artifact theft then white-box evasion (QML.T0011.000), a better path to
``integrity_lost`` than either finds alone.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from qmlsec.cli.main import app
from qmlsec.killchain.catalog import load_catalog
from qmlsec.killchain.graph import AttackGraph
from qmlsec.killchain.paths import find_paths
from qmlsec.killchain.system import SystemModel

ALONE = ("malicious-quantum-provider", "compromised-classical-cloud")


@pytest.fixture(scope="module")
def graphs():
    kb = load_catalog()
    system = SystemModel.default()
    ids = ("colluding-providers", *ALONE)
    return {pid: AttackGraph(kb, system, kb.profile(pid)) for pid in ids}


def test_the_profile_sits_on_both_clouds():
    profile = load_catalog().profile("colluding-providers")
    assert set(profile.positions) == {"untrusted_classical_cloud", "untrusted_quantum_cloud"}
    assert not profile.passive


def test_collusion_reaches_the_union_of_both_footholds_and_no_technique_more(graphs):
    together = set(graphs["colluding-providers"].reachable_techniques())
    union = set().union(*(graphs[p].reachable_techniques() for p in ALONE))
    assert together == union
    facts = set(graphs["colluding-providers"].reachable_facts())
    assert facts == set().union(*(graphs[p].reachable_facts() for p in ALONE))


def test_collusion_finds_a_path_to_integrity_loss_neither_provider_has_alone(graphs):
    best = find_paths(graphs["colluding-providers"], ["integrity_lost"], max_paths=1)[0]
    assert {"QML.T0033", "QML.T0011.000"} <= set(best.technique_ids)
    for pid in ALONE:
        reach = set(graphs[pid].reachable_techniques())
        assert not set(best.technique_ids) <= reach, pid
        alone = find_paths(graphs[pid], ["integrity_lost"], max_paths=1)[0]  # ties may add
        assert best.likelihood > alone.likelihood
    # the classical cloud (honest-but-curious) observes; the quantum provider acts
    assert "QML.T0011.000" not in graphs["compromised-classical-cloud"].reachable_techniques()
    assert "QML.T0033" not in graphs["malicious-quantum-provider"].reachable_techniques()


def test_threats_paths_runs_for_the_colluding_profile():
    out = CliRunner().invoke(
        app, ["threats", "paths", "--attacker", "colluding-providers", "--goal",
              "integrity_lost", "--max-paths", "1", "--json"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    paths = data["paths"] if isinstance(data, dict) else data
    assert paths and all(p["attacker"] == "colluding-providers" for p in paths)
