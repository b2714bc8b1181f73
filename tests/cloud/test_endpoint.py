"""Every endpoint and query monitor of the library follows the one contract in cloud.endpoint."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks.local_endpoint import LocalEndpoint
from qmlsec.cloud.endpoint import Alert, Endpoint, EndpointResponse, QueryMonitor
from qmlsec.cloud.inference import InferenceEndpoint
from qmlsec.data import load_dataset, split
from qmlsec.defenses.detector.prada import PRADA
from qmlsec.defenses.detector.query_budget import QueryBudget
from qmlsec.defenses.endpoint import DefendedEndpoint
from qmlsec.models.classifier import QNNClassifier
from qmlsec.service.monitor import NullMonitor, VolumeMonitor


@pytest.fixture(scope="module")
def iris_model() -> tuple[QNNClassifier, np.ndarray]:
    train, test = split(load_dataset("iris"), test_size=0.3, seed=0)
    clf = QNNClassifier(n_qubits=4, layers=1, epochs=1, lr=0.1).fit(train.X, train.y)
    return clf, test.X[:4]


def endpoints(clf: QNNClassifier) -> dict[str, Endpoint]:
    cloud = InferenceEndpoint(clf, shots=None)
    return {
        "cloud": cloud,
        "local": LocalEndpoint(clf, seed=0),
        "defended": DefendedEndpoint(cloud, monitor=VolumeMonitor(max_samples=100)),
    }


@pytest.mark.parametrize("kind", ["cloud", "local", "defended"])
def test_every_endpoint_answers_with_the_one_response_type(iris_model, kind):
    clf, x = iris_model
    endpoint = endpoints(clf)[kind]
    assert isinstance(endpoint, Endpoint)
    response = endpoint.query(x, output="probabilities", shots=None, seed=0)
    assert type(response) is EndpointResponse
    assert response.values.shape == (len(x), 3) and response.circuits >= len(x)


@pytest.mark.parametrize(
    "monitor", [NullMonitor(), VolumeMonitor(max_samples=1), PRADA(), QueryBudget()]
)
def test_service_monitors_and_detectors_share_the_query_monitor_protocol(monitor):
    assert isinstance(monitor, QueryMonitor)
    for _ in range(3):
        alert = monitor.observe("key", "model", np.zeros((2, 4)))
        assert alert is None or type(alert) is Alert
