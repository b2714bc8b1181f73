"""Import a model from another framework into a qmlsec deployment.

Three routes, each checked against its source on sample inputs (outputs agree to 1e-8
in exact mode, or the import is refused naming the deviation):

- :func:`from_pennylane`: a QNode or ``qml.qnn.TorchLayer`` (+ torch head, + fitted
  scikit-learn pre-processing); needs ``pip install 'qmlsec[pennylane]'``;
- :func:`from_qiskit_ml`: ``EstimatorQNN``, ``SamplerQNN``, ``NeuralNetworkClassifier``,
  ``TorchConnector``; needs ``pip install 'qmlsec[qiskit-ml]'``;
- :func:`from_qasm`: OpenQASM 3 + weights + a manifest, no code; needs
  ``pip install 'qmlsec[qasm]'``.

Each returns an :class:`~qmlsec.models.imported.ImportedClassifier` whose circuit is
compiled into the engine (exact input gradients for white-box attacks);
:func:`deploy` saves it as a deployment for every ``--deployment`` command.

Example:
    >>> import pennylane as qml
    >>> from qmlsec.interop import from_pennylane
    >>> dev = qml.device("default.qubit", wires=2)
    >>> @qml.qnode(dev)
    ... def circuit(inputs, weights):
    ...     qml.AngleEmbedding(inputs, wires=range(2))
    ...     qml.StronglyEntanglingLayers(weights, wires=range(2))
    ...     return [qml.expval(qml.PauliZ(0)), qml.expval(qml.PauliZ(1))]
    >>> import numpy as np
    >>> clf = from_pennylane(circuit, weights={"weights": np.full((1, 2, 3), 0.3)})
    >>> clf.predict(np.zeros((1, 2))).tolist()
    [0]
"""

from qmlsec.interop.build import deploy, deployment_settings
from qmlsec.interop.pennylane_model import from_pennylane
from qmlsec.interop.qasm_model import from_qasm, read_manifest
from qmlsec.interop.qiskit_ml_model import from_qiskit_ml
from qmlsec.interop.reference import load_object

__all__ = [
    "deploy",
    "deployment_settings",
    "from_pennylane",
    "from_qasm",
    "from_qiskit_ml",
    "load_object",
    "read_manifest",
]
