"""Model theft by the quantum provider from the circuits it runs, onto a known architecture.

After "Quantum Quandaries" (arXiv:2502.01486), "Quantum Imitation Game"
(arXiv:2407.07237) and arXiv:2408.16929. Each bound angle the provider receives is
affine in the circuit inputs and the weights (``angles = A x + B theta + c``); with the
architecture known, the provider compiles it, and one least-squares system over the
observed jobs gives the shared weights
(:func:`~qmlsec.attacks.recon.job_observer.solve_inputs`). The architecture comes, in
order of preference, from:

1. a :class:`~qmlsec.attacks.facts.KnownArchitecture` fact *with a spec* (an earlier
   stage: the provider's own exact matching, ``recon.encoding_inference``; the classical
   cloud's artifact theft; perfect knowledge): used as it is, nothing is identified here,
   and an architecture outside the family the provider enumerates is stolen too;
2. a :class:`~qmlsec.attacks.facts.KnownArchitecture` fact *with a gate sequence only*
   (the power side channel, ``sidechannel.power``: the pulses played, no angles, no
   spec): the provider maps the submitted circuit onto the family member with the same
   gate sequence (:func:`~qmlsec.attacks.recon.architecture_match.match_architecture`)
   and checks the trace's two-qubit pulses against the circuit it executed
   (``trace_consistent``);
3. no fact: the provider identifies the architecture itself, as
   :class:`~qmlsec.attacks.recon.encoding_inference.EncodingInference` does (classifiers
   trained on ``n_train`` random specs, scored on ``n_test`` held-out ones, then the
   exact match of the submitted circuit).

What degrades without the fact (measured in ``tests/attacks/extraction``): the theft
does the identification work itself (the classifier corpus: ``n_train`` + ``n_test``
QNNs transpiled, most of the run time), and it can only steal architectures of the
enumerated family (a victim with more layers than the matched range, or a custom
circuit, yields no weights and no white-box model).

Measured: whether the victim's architecture was identified (its gate sequence equals the
victim's, scored against the truth) and the fraction of its weights recovered within
``1e-6``; ``architecture_from_fact`` says which route was taken. The
:class:`~qmlsec.attacks.facts.KnownArchitecture` and
:class:`~qmlsec.attacks.facts.KnownParameters` facts carry the stolen circuit, and
``cap.model_white_box`` is claimed only when the weights fit the architecture.

Not covered: obfuscated circuits, transpiler settings other than the provider's own, and
the classical pre-processing and head (never sent to the QPU).
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.facts import KnownArchitecture, KnownParameters
from qmlsec.attacks.recon.architecture_match import gate_signature, match_architecture
from qmlsec.attacks.recon.encoding_inference import EncodingInference
from qmlsec.attacks.recon.executed import ExecutedJobs
from qmlsec.attacks.result import AttackResult
from qmlsec.circuits import QNNSpec

#: A power-trace cell of :class:`~qmlsec.attacks.sidechannel.power.PowerSideChannel`:
#: channel, slot and pulse, e.g. ``u1(3,):cx``; ``u`` channels play two-qubit gates.
CELL = re.compile(r"^(?P<channel>[a-z]+\d+).*:(?P<gate>\w+)$")
TWO_QUBIT = ("cx", "ecr", "cz")


def two_qubit_pulses(gates: tuple[str, ...]) -> int:
    """Number of two-qubit pulses in a recovered gate sequence (power-trace cells)."""
    found = (CELL.match(g) for g in gates)
    return sum(1 for m in found if m is not None and m["gate"] in TWO_QUBIT)


def fits(spec: QNNSpec, observed: ExecutedJobs) -> bool:
    """Whether ``spec`` has the submitted circuit's qubits and one angle per parameter."""
    circuit = observed.jobs[0].job.circuit
    return (spec.n_qubits == circuit.num_qubits
            and spec.n_circuit_inputs + spec.n_weights == circuit.num_parameters)  # fmt: skip


class ProviderTheft(EncodingInference):
    """Provider solves the bound angles for the weights of a known architecture (QML.T0021)."""

    name: ClassVar[str] = "extraction.provider_theft"
    technique_id: ClassVar[str] = "QML.T0021"
    family: ClassVar[str] = "extraction"

    def _run(self, ctx: AttackContext) -> AttackResult:
        known = ctx.facts.get(KnownArchitecture)
        if known is not None and (known.spec is not None or known.gates):
            result = self._steal_onto(ctx, known)
        else:
            result = super()._run(ctx)
            result.metrics["architecture_from_fact"] = 0.0
            result.notes.append("no architecture from an earlier stage: identified by the provider")
        result.facts, result.provides = {}, ["goal.ip_stolen"]
        spec, theta = result.outputs.get("stolen_spec"), result.outputs.get("stolen_theta")
        if spec is not None and theta is not None and len(theta) == spec.n_weights:
            result.establish(KnownArchitecture(spec=spec), KnownParameters(theta=theta))
            result.provides.append("cap.model_white_box")
        return result

    def _steal_onto(self, ctx: AttackContext, known: KnownArchitecture) -> AttackResult:
        """Solve the weights under the architecture an earlier stage established."""
        p, model = self.params, self.target.model
        result = self.new_result()
        result.metrics["architecture_from_fact"] = 1.0
        observed = self.observe_victim(ctx.x_test[: p.n_jobs])
        result.outputs["victim_jobs"] = [j.result.job_id for j in observed.jobs]
        if known.spec is not None:
            spec: QNNSpec | None = known.spec if fits(known.spec, observed) else None
            result.notes.append(
                f"architecture from an earlier stage: {known.describe()}"
                + ("" if spec is not None else " - it does not fit the submitted circuit")
            )
        else:
            matches = match_architecture(observed.jobs[0].job.circuit)
            spec = matches[0] if matches else None
            executed = observed.jobs[0].transpiled.circuit
            in_circuit = sum(1 for inst in executed.data if inst.operation.name in TWO_QUBIT)
            consistent = two_qubit_pulses(known.gates) == in_circuit
            result.metrics["trace_consistent"] = float(consistent)
            result.notes.append(
                f"gate sequence from an earlier stage ({len(known.gates)} pulses, "
                f"{two_qubit_pulses(known.gates)} two-qubit; the executed circuit has "
                f"{in_circuit}); the submitted circuit matched {len(matches)} architecture(s)"
            )
        truth = model.model_.spec  # scoring only: the attacker never reads it
        identified = spec is not None and gate_signature(spec.build()) == gate_signature(
            truth.build()
        )
        result.metrics["victim_identified"] = float(identified)
        recovered = 0.0
        if spec is not None:
            theta = self.solve_weights(observed, spec)
            if len(theta) == truth.n_weights:
                err = np.abs(theta - model.model_.theta.detach().numpy())
                recovered = float(np.mean(err < 1e-6))
            result.outputs["stolen_spec"] = spec
            result.outputs["stolen_theta"] = theta
        result.metrics["victim_weights_recovered"] = recovered
        ctx.report("theft", 1, 1)
        return result
