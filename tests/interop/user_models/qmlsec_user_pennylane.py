"""A user's PennyLane model, as it would sit in their own code (imported by reference).

Four qubits, ``AngleEmbedding`` + two ``StronglyEntanglingLayers``, a torch linear head,
a scikit-learn ``StandardScaler``; trained for a few full-batch Adam steps on iris.
"""

import numpy as np
import pennylane as qml
import torch
from sklearn.preprocessing import StandardScaler

from qmlsec.data import load_dataset, split

N_QUBITS = 4
dev = qml.device("default.qubit", wires=N_QUBITS)


@qml.qnode(dev, interface="torch")
def circuit(inputs, weights):
    qml.AngleEmbedding(inputs, wires=range(N_QUBITS))
    qml.StronglyEntanglingLayers(weights, wires=range(N_QUBITS))
    return [qml.expval(qml.PauliZ(k)) for k in range(N_QUBITS)]


torch.manual_seed(0)
train, test = split(load_dataset("iris", seed=0), test_size=0.25, seed=0)
scaler = StandardScaler().fit(train.X)
layer = qml.qnn.TorchLayer(circuit, {"weights": (2, N_QUBITS, 3)})
head = torch.nn.Linear(N_QUBITS, 3)
model = torch.nn.Sequential(layer, head)

_x = torch.as_tensor(scaler.transform(train.X), dtype=torch.float32)
_y = torch.as_tensor(np.array(train.y), dtype=torch.long)
_opt = torch.optim.Adam(model.parameters(), lr=0.1)
for _ in range(15):
    _opt.zero_grad()
    torch.nn.functional.cross_entropy(model(_x), _y).backward()
    _opt.step()


@qml.qnode(qml.device("default.mixed", wires=N_QUBITS))
def noisy(inputs, weights):
    """Not importable: a depolarizing channel has no unitary Qiskit gate."""
    qml.AngleEmbedding(inputs, wires=range(N_QUBITS))
    qml.DepolarizingChannel(0.1, wires=0)
    qml.RY(weights[0], wires=1)
    return [qml.expval(qml.PauliZ(0)), qml.expval(qml.PauliZ(1))]
