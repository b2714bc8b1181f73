"""Artifact theft from the classical store: an exact white-box clone and its typed facts."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks.extraction.classical_artifact_theft import parameter_error
from qmlsec.attacks.facts import KnownArchitecture, KnownParameters
from qmlsec.exceptions import RequirementError
from qmlsec.testing.victims import small_victim


def test_the_clone_agrees_everywhere_and_its_parameters_match():
    victim = small_victim()
    result = victim.setup("extraction.classical_artifact_theft").run(0)
    m = result.metrics
    assert result.deployment["position"] == "untrusted_classical_cloud"
    assert m["clone_agreement"] == 1.0
    assert m["max_parameter_error"] <= 1e-12 and m["theta_error"] <= 1e-12
    assert m["clone_accuracy"] == m["victim_accuracy"]
    est = result.estimates()["clone_agreement"]
    assert est.n == len(victim.y_test) and est.ci[0] > 0.9
    arch = result.facts[KnownArchitecture.id]
    assert arch.spec == victim.model.spec()
    theta = result.facts[KnownParameters.id].theta
    np.testing.assert_allclose(theta, victim.model.model_.theta.detach().numpy(), atol=1e-12)
    clone = result.outputs["clone"]
    assert clone is not victim.model
    np.testing.assert_allclose(clone.predict_proba(victim.x_test), victim.model.predict_proba(
        victim.x_test), atol=1e-12)  # fmt: skip
    assert {"cap.model_white_box", "goal.model_stolen"} <= set(result.provides)


def test_parameter_error_sees_a_changed_weight():
    victim = small_victim()
    other = small_victim(seed=1)
    worst, theta = parameter_error(other.model, victim.model)
    assert worst > 1e-3 and theta > 1e-3


def test_a_trusted_classical_cloud_grants_no_theft():
    victim = small_victim()
    deployment = victim.deployment(classical={"trust": "trusted"})
    with pytest.raises(RequirementError, match="classical cloud is trusted"):
        victim.setup("extraction.classical_artifact_theft", deployment=deployment)
