"""Membership inference on a stolen proxy: scores from the proxy, truth from the victim."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks import QueryCounter, Target
from qmlsec.attacks.extraction.substitute import SubstituteExtraction
from qmlsec.attacks.facts import ProxyModel
from qmlsec.attacks.inference.membership_proxy import MembershipProxy
from qmlsec.attacks.inference.membership_threshold import MembershipThreshold
from qmlsec.attacks.local_endpoint import LocalEndpoint
from qmlsec.attacks.targets import Position
from qmlsec.exceptions import RequirementError


class Spy:
    """A proxy that records the inputs it scores."""

    def __init__(self, model):
        self.model, self.seen = model, []

    def predict_proba(self, x):
        self.seen.append(np.asarray(x))
        return self.model.predict_proba(x)


def _api_user() -> Target:
    return Target(position=Position.API_USER, capabilities=frozenset())


def test_scores_come_from_the_handed_proxy_and_the_victim_is_not_queried(overfit):
    spy = Spy(overfit.clf)
    counter = QueryCounter(LocalEndpoint(overfit.clf), output="probabilities")
    attack = MembershipProxy(Target.black_box(counter), seed=0)
    result = attack.run(overfit.ctx(facts=_facts(ProxyModel(spy, source="test"))))
    assert result.outputs["proxy"] is spy and len(spy.seen) == 1
    assert counter.stats.to_dict()["samples"] == 0
    # the proxy here is the victim itself: identical to scoring the victim's outputs
    direct = MembershipThreshold(overfit.black_box(), seed=0).run(overfit.ctx())
    assert result.metrics["auc"] == pytest.approx(direct.metrics["auc"])
    assert (
        result.estimates()["auc"].n == result.metrics["n_members"] + result.metrics["n_nonmembers"]
    )


def test_without_a_proxy_the_stage_fails(overfit):
    with pytest.raises(RequirementError, match="proxy"):
        MembershipProxy(_api_user(), seed=0).run(overfit.ctx())


def _facts(*facts):
    from qmlsec.attacks.facts import Facts

    return Facts(facts)


@pytest.mark.slow
def test_extraction_proxy_transfers_membership_of_the_victims_members(overfit):
    # measured (seed 0, wine, 27 members + 27 non-members): victim-scored AUC 0.78
    # [0.65, 0.89]; proxy queried with the members 0.70 [0.56, 0.83]; proxy queried with
    # other data 0.53 [0.36, 0.67]
    aucs = {}
    for pool in ("train", "test"):
        counter = QueryCounter(LocalEndpoint(overfit.clf), output="probabilities")
        params = {"pool": pool, "epochs": 60, "queries": 200,
                  "arch": {"n_qubits": 4, "layers": 3}}  # fmt: skip
        stolen = SubstituteExtraction(Target.black_box(counter), params, seed=0).run(overfit.ctx())
        proxy = stolen.facts["know.proxy_model"]
        result = MembershipProxy(_api_user(), seed=0).run(overfit.ctx(facts=_facts(proxy)))
        assert result.outputs["proxy"] is stolen.outputs["substitute"]
        aucs[pool] = result.metrics["auc"]
    assert aucs["train"] > 0.62 and aucs["train"] > aucs["test"] + 0.08


def test_the_proxy_scored_is_the_one_extraction_established(generalising):
    counter = QueryCounter(LocalEndpoint(generalising.clf), output="probabilities")
    params = {"queries": 30, "epochs": 3, "arch": {"n_qubits": 2, "layers": 1}}
    stolen = SubstituteExtraction(Target.black_box(counter), params, seed=0).run(generalising.ctx())
    proxy = stolen.facts["know.proxy_model"]
    result = MembershipProxy(_api_user(), seed=0).run(generalising.ctx(facts=_facts(proxy)))
    assert result.outputs["proxy"] is stolen.outputs["substitute"] is proxy.model
    assert "extraction.substitute" in result.notes[0]
