"""The shared vocabulary of a deployment: parties, assets, trust levels, workflow steps.

The workflow, the clouds, the attacks and the kill-chain layer all read and write these
names; nothing matches them by keyword.

Example:
    >>> TrustLevel("honest-but-curious").may_observe, TrustLevel.TRUSTED.may_observe
    (True, False)
    >>> TrustLevel.MALICIOUS.may_modify
    True
    >>> Party("co_tenant").value, Asset.TRANSPILED_CIRCUIT.value
    ('co_tenant', 'transpiled_circuit')
"""

from __future__ import annotations

from enum import StrEnum


class TrustLevel(StrEnum):
    """Trusted (no hooks), honest-but-curious (observes only) or malicious (anything)."""

    TRUSTED = "trusted"
    HONEST_BUT_CURIOUS = "honest-but-curious"
    MALICIOUS = "malicious"

    @property
    def may_observe(self) -> bool:
        """Whether hooks may look at jobs and results."""
        return self is not TrustLevel.TRUSTED

    @property
    def may_modify(self) -> bool:
        """Whether hooks may change devices, circuits, results, timing or co-tenancy."""
        return self is TrustLevel.MALICIOUS


class Party(StrEnum):
    """Who holds an asset in a QMLaaS deployment."""

    USER = "user"
    CLASSICAL_CLOUD = "classical_cloud"
    QUANTUM_CLOUD = "quantum_cloud"
    TRANSPILER = "transpiler"
    API_CLIENT = "api_client"
    CO_TENANT = "co_tenant"
    """Another tenant of the quantum cloud (an attacker's probe jobs come from here)."""
    ATTACKER = "attacker"
    """The adversary's own side: what an attack observed or exfiltrated ends here."""


class Asset(StrEnum):
    """What is handed over."""

    RAW_DATA = "raw_data"
    LABELS = "labels"
    REDUCED_FEATURES = "reduced_features"
    ENCODING_CIRCUIT = "encoding_circuit"
    PQC_ARCHITECTURE = "pqc_architecture"
    LOGICAL_CIRCUIT = "logical_circuit"
    BOUND_PARAMETERS = "bound_parameters"
    TRANSPILED_CIRCUIT = "transpiled_circuit"
    MEASUREMENT_RESULTS = "measurement_results"
    LOSS_VALUES = "loss_values"
    GRADIENTS = "gradients"
    PREDICTIONS = "predictions"
    MODEL_WEIGHTS = "model_weights"
    PROBE_CIRCUIT = "probe_circuit"
    """A circuit an attacker submits (fingerprinting, sensors, flooding)."""
    CO_SCHEDULED_CIRCUIT = "co_scheduled_circuit"
    """A circuit the provider runs beside the victim's job on neighbouring qubits."""


#: the training and inference steps, in workflow order (SoK on QMLaaS, §3-4)
STEPS: tuple[str, ...] = (
    "preprocess", "design", "transpile", "execute", "gradient", "optimize", "inference",
)  # fmt: skip
