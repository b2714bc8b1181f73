"""The per-run wall-time limit of the assessment: attack runs and defended re-runs."""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
import pytest

from qmlsec.attacks import setup as attack_setup
from qmlsec.attacks.base import Attack, AttackContext
from qmlsec.attacks.result import AttackResult
from qmlsec.campaigns import chain
from qmlsec.campaigns.assess_config import AssessConfig, DefenseSettings, load_assess_config
from qmlsec.campaigns.defended import defend_run
from qmlsec.campaigns.victim import train_victim
from qmlsec.campaigns.victim_spec import VictimSpec
from qmlsec.config import FrozenModel
from qmlsec.exceptions import TimeLimitExceeded

TINY = VictimSpec(dataset="iris", classes=None, qubits=4, layers=1, epochs=2)


class SlowParams(FrozenModel):
    steps: int = 100
    report: bool = True


class SlowAttack(Attack):
    """A stand-in for a slow attack: sleeps ``steps`` times 10 ms."""

    name: ClassVar[str] = "test.slow"
    technique_id: ClassVar[str] = "QML.T0027"
    family: ClassVar[str] = "inference"
    Params: ClassVar[type[FrozenModel]] = SlowParams

    def _run(self, ctx: AttackContext) -> AttackResult:
        for i in range(self.params.steps):
            time.sleep(0.01)
            if self.params.report:
                ctx.report("slow", i + 1, self.params.steps)
        return self.new_result(metrics={"auc": 0.5})


@pytest.fixture(scope="module")
def victim():
    return train_victim(TINY, 0)


@pytest.fixture
def slow_registry(monkeypatch):
    monkeypatch.setattr(chain, "available_attacks", lambda: {"test.slow": SlowAttack})
    monkeypatch.setattr(attack_setup, "get_attack", lambda name: SlowAttack)


def executor_for(victim: Any, limit: float | None, **params: Any) -> chain.PathExecutor:
    config = AssessConfig(victim=TINY, run_time_limit_s=limit, test_samples=8,
                          params={"test.slow": params})  # fmt: skip
    return chain.PathExecutor(victim, config)


def test_report_raises_once_the_deadline_has_passed():
    ctx = AttackContext(np.zeros((2, 2)), np.zeros(2), deadline=time.monotonic() + 60)
    ctx.report("stage", 1, 2)  # before the deadline: nothing happens
    ctx.deadline = time.monotonic() - 1
    with pytest.raises(TimeLimitExceeded, match="stage 2/3"):
        ctx.report("stage", 2, 3)


def test_a_run_past_its_limit_stops_with_status_timed_out(victim, slow_registry):
    run = executor_for(victim, 0.1)._execute("test.slow", "QML.T0027", None, {}, (), None)
    assert run.status == "timed_out"
    assert "wall-time limit" in run.error
    assert 0.1 <= run.seconds < 0.9  # stopped long before the 100 steps (1 s) ended
    assert run.to_dict()["headline"] is None


def test_a_run_within_its_limit_is_ok(victim, slow_registry):
    run = executor_for(victim, 30.0, steps=3)._execute("test.slow", "QML.T0027", None, {}, (), None)
    assert run.status == "ok" and run.result["metrics"] == {"auc": 0.5}


def test_a_run_without_progress_reports_finishes_with_a_note(victim, slow_registry):
    ex = executor_for(victim, 0.05, steps=10, report=False)
    run = ex._execute("test.slow", "QML.T0027", None, {}, (), None)
    assert run.status == "ok"
    assert run.seconds >= 0.1
    assert any("past the 0.05 s limit" in note for note in run.result["notes"])


def test_a_defended_rerun_past_its_limit_is_timed_out(victim, slow_registry):
    ex = executor_for(victim, 30.0, steps=20)
    run = ex._execute("test.slow", "QML.T0027", None, {}, (), None)
    assert run.status == "ok"
    ex.config = ex.config.model_copy(update={"run_time_limit_s": 0.05})
    record = defend_run(ex, run, "postprocessor.rounding", "QML.M0000", DefenseSettings())
    assert record["status"] == "timed_out"
    assert 0.05 <= record["seconds"] < 0.2 + 0.5


def test_the_limit_is_configurable_and_quick_mode_tightens_it():
    assert AssessConfig().run_time_limit_s == 120.0
    assert load_assess_config(quick=True).run_time_limit_s == 30.0
    assert AssessConfig(run_time_limit_s=None).run_time_limit_s is None


def test_a_provider_job_after_the_deadline_stops_the_run():
    import torch

    from qmlsec.circuits import QNNSpec
    from qmlsec.cloud.executor import CloudExecutor
    from qmlsec.cloud.providers import QuantumCloud
    from qmlsec.engine import compile_circuit

    spec = QNNSpec(n_qubits=2, layers=1)
    cc = compile_circuit(spec.build(), spec.observables())
    cloud = QuantumCloud(["ideal"], trust="malicious")
    ctx = AttackContext(np.zeros((2, 2)), np.zeros(2), deadline=time.monotonic() + 60)
    cloud.add_hook(chain.DeadlineHook(ctx))
    run = CloudExecutor(cloud, cc, device="ideal", shots=None)
    angles = cc.angles(torch.zeros(3, 2, dtype=torch.float64), torch.zeros(cc.n_weights))
    assert run(angles).shape[0] == 3  # before the deadline the job runs
    ctx.deadline = time.monotonic() - 1
    with pytest.raises(TimeLimitExceeded, match="provider job"):
        run(angles)
