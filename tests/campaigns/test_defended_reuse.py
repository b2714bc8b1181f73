"""Defended re-runs that decorate the undefended outcome take the stage run's own result."""

from __future__ import annotations

import pytest

from qmlsec.attacks.setup import AttackSetup
from qmlsec.campaigns import chain
from qmlsec.campaigns.assess_config import AssessConfig, DefenseSettings
from qmlsec.campaigns.defended import defend_run
from qmlsec.campaigns.victim import train_victim
from qmlsec.campaigns.victim_spec import VictimSpec

TINY = VictimSpec(dataset="iris", classes=None, qubits=4, layers=1, epochs=2)
PARAMS = {"mode": "bias", "rates": [0.0, 0.5], "max_samples": 8, "shots": 256}


def _comparable(record: dict) -> dict:
    record = {k: v for k, v in record.items() if k != "seconds"}
    record["cost"] = {k: v for k, v in record["cost"].items() if k != "seconds"}
    return record


@pytest.mark.parametrize("defense", ["provider.canary", "provider.shot_splitting"])
def test_a_reused_run_gives_the_record_of_a_rerun(defense, monkeypatch):
    victim = train_victim(TINY, 0)
    config = AssessConfig(victim=TINY, test_samples=8, params={"tampering.measurement": PARAMS})
    ex = chain.PathExecutor(victim, config)
    run = ex._execute("tampering.measurement", "QML.T0011", None, {}, (), None)
    assert run.status == "ok" and run.setup.undefended is not None
    assert run.setup.undefended.intervals == {}  # the raw outcome, no derived intervals

    runs: list[int] = []
    original = AttackSetup.run
    monkeypatch.setattr(
        AttackSetup, "run", lambda self, seed: runs.append(seed) or original(self, seed)
    )
    reused = defend_run(ex, run, defense, "QML.M0000", DefenseSettings())
    assert reused["status"] == "ok" and runs == []  # the attack did not run again

    monkeypatch.setattr(AttackSetup, "run_undefended", lambda self, seed: self.run(seed))
    rerun = defend_run(ex, run, defense, "QML.M0000", DefenseSettings())
    assert runs == [run.seed]
    assert _comparable(reused) == _comparable(rerun)
