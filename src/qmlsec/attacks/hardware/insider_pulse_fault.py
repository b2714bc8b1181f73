"""Pulse-level fault injection by an insider at the control electronics.

The same fault as :class:`~qmlsec.attacks.hardware.pulse_fault.PulseFault` (after
Ghosh, Upadhyay and Saki, arXiv:2305.02505, and "Jailbreaking Quantum Computers",
arXiv:2406.05941): the amplitude of the pulses implementing chosen native gates is
scaled by ``factor``, a coherent over-rotation of those gates. Here it is mounted from
the ``physical_insider`` position: staff with access to the controller (arbitrary
waveform generators, their calibration tables) alter the pulses whatever the provider's
own trust, so the attack needs physical access rather than provider control. The
victim's jobs still run through the provider's cloud; everything measured is as in
:class:`~qmlsec.attacks.hardware.pulse_fault.PulseFault`.

Not covered: how the insider reaches the controller, persistence of the change across
the provider's recalibrations, and the insider's choice of the victim's qubits (it alters
every qubit the victim's jobs occupy, or ``qubits``).
"""

from __future__ import annotations

from typing import ClassVar

from qmlsec.attacks.hardware.pulse_fault import PulseFault
from qmlsec.attacks.targets import Capability, Position


class InsiderPulseFault(PulseFault):
    """An insider over-rotates chosen gates at the control electronics (QML.T0039)."""

    name: ClassVar[str] = "hardware.insider_pulse_fault"
    requires = frozenset({Capability.PHYSICAL_ACCESS})
    positions = frozenset({Position.PHYSICAL_INSIDER})
