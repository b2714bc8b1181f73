"""A user's Qiskit Machine Learning model: NeuralNetworkClassifier over an EstimatorQNN.

Four qubits, ``z_feature_map`` + ``real_amplitudes``, trained with COBYLA on iris classes
0 and 1 (labels -1 / +1, as the binary classifier expects) after a ``MinMaxScaler``.
"""

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import real_amplitudes, z_feature_map
from qiskit_machine_learning.algorithms import NeuralNetworkClassifier
from qiskit_machine_learning.neural_networks import EstimatorQNN
from qiskit_machine_learning.optimizers import COBYLA
from sklearn.preprocessing import MinMaxScaler

from qmlsec.data import load_dataset, split

feature_map = z_feature_map(4)
ansatz = real_amplitudes(4, reps=1)
circuit = QuantumCircuit(4)
circuit.compose(feature_map, inplace=True)
circuit.compose(ansatz, inplace=True)
qnn = EstimatorQNN(
    circuit=circuit, input_params=feature_map.parameters, weight_params=ansatz.parameters
)

train, test = split(load_dataset("iris", classes="0-1", seed=0), test_size=0.25, seed=0)
scaler = MinMaxScaler(feature_range=(0, np.pi / 2)).fit(train.X)
classifier = NeuralNetworkClassifier(
    qnn, optimizer=COBYLA(maxiter=25), initial_point=np.full(ansatz.num_parameters, 0.5)
)
classifier.fit(scaler.transform(train.X), np.where(train.y == 0, -1, 1))
