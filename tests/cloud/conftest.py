"""Fixtures shared by the cloud tests."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit

from .qnn_circuits import qnn


@pytest.fixture
def circuit3() -> QuantumCircuit:
    return qnn(3)


@pytest.fixture
def values3(circuit3: QuantumCircuit) -> np.ndarray:
    return np.random.default_rng(7).uniform(-np.pi, np.pi, (6, circuit3.num_parameters))
