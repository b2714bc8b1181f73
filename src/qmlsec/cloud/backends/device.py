"""A catalogued device as a backend: its topology, its basis and its calibrated noise.

Example:
    >>> be = DeviceBackend("fake_manila", noise_scale=0.0)
    >>> be.properties.device, be.properties.noise["scale"]
    ('fake_manila', 0.0)
"""

from __future__ import annotations

from collections.abc import Sequence

from qmlsec.cloud.backends.aer import AerBackend, Method
from qmlsec.cloud.devices import DeviceProfile, get_device
from qmlsec.cloud.noise import NoiseContributor, device_noise
from qmlsec.cloud.transpile import TranspileCache
from qmlsec.exceptions import ConfigError


class DeviceBackend(AerBackend):
    """Aer emulation of a fake (or generic) device with its calibration noise scaled.

    ``noise_scale`` follows :func:`qmlsec.cloud.noise.device_noise`: 1 is the
    calibration snapshot, 0 is noiseless, 2 doubles every error rate and halves T1/T2.
    ``layout`` defaults to ``auto`` (:mod:`qmlsec.cloud.transpile`): the noise-aware
    search's placement where it measurably beats the preset pass manager's by estimated
    success probability, the preset's otherwise (``bench/cloud_eval.py`` compares them);
    a circuit that requests an ``initial_layout`` or idle scheduling gets the preset.
    ``classical_tail``: a final CNOT/SWAP network under diagonal observables runs on the
    measured bits, not on the device (:mod:`qmlsec.cloud.backends.tail`); on by default.
    A readout error then flips every logical bit whose parity includes that qubit:
    results carry the map (``ExecutionResult.classical_tail``), and the physical-level
    models of the attack and defense libraries read it
    (:meth:`~qmlsec.cloud.providers.jobs.JobResult.readout_qubits`,
    :meth:`~qmlsec.cloud.providers.jobs.JobResult.measured_counts`).
    """

    def __init__(
        self,
        device: DeviceProfile | str,
        *,
        noise_scale: float = 1.0,
        method: Method = "automatic",
        optimization_level: int = 1,
        seed: int = 0,
        contributors: Sequence[NoiseContributor] = (),
        cache: TranspileCache | None = None,
        layout: str = "auto",
        classical_tail: bool = True,
    ) -> None:
        profile = get_device(device) if isinstance(device, str) else device
        if profile.is_ideal:
            raise ConfigError(
                "DeviceBackend needs a real topology, got 'ideal'", hint="use AerBackend()"
            )
        super().__init__(
            method=method,
            noise=device_noise(profile, float(noise_scale)),
            device=profile,
            optimization_level=optimization_level,
            seed=seed,
            contributors=contributors,
            cache=cache,
            layout=layout,
            classical_tail=classical_tail,
        )
        self.noise_scale = float(noise_scale)
