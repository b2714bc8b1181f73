"""What a command acts on: a recorded deployment, or a bare model artifact.

``--deployment DIR`` (written by ``qmlsec train``) is loaded and verified: its device,
shots, providers and trust levels are the ones the attacks and defenses act on. A bare
model artifact (``--model DIR``, e.g. one exported without its deployment) gets an
assumed deployment, stated in every result: the device its metadata records (``ideal``
otherwise; provider-level attacks then run on ``fake_manila``), both clouds malicious so
every attacker position is available, inference from exact simulation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qmlsec.cloud.deployment import Deployment, DeploymentSpec, is_deployment, parse_spec
from qmlsec.exceptions import ConfigError
from qmlsec.models.persist import load_classifier

ASSUMED_DEVICE = "fake_manila"


def validated_spec(data: dict[str, Any]) -> DeploymentSpec:
    """Deployment settings from command-line flags (a ConfigError names the bad flag)."""
    return parse_spec(data, "deployment settings")


def open_model(path: Path) -> tuple[Deployment, str]:
    """The deployment at ``path``, or the assumed one around a bare artifact; and a note."""
    if is_deployment(path):
        return Deployment.load(path), f"deployment {path}"
    clf = load_classifier(path)
    meta = dict(getattr(clf, "manifest_", {}).get("metadata", {}))
    device = str(meta.get("deployment", {}).get("backend", "ideal"))
    spec = validated_spec({
        "quantum": {"device": device if device != "ideal" else ASSUMED_DEVICE,
                    "trust": "malicious", "shots": None},
        "classical": {"trust": "malicious"}, "serving": "simulation",
        "dataset": meta.get("dataset", {}), "seed": int(clf.random_state),
    })  # fmt: skip
    note = (f"bare model {path}: assumed deployment on {spec.quantum.device} with malicious "
            "classical and quantum clouds, inference from exact simulation")  # fmt: skip
    return Deployment(spec, clf), note


def open_target(deployment: Path | None, model: Path | None) -> tuple[Deployment, str]:
    """The deployment a command acts on, from ``--deployment`` or ``--model``."""
    if (deployment is None) == (model is None):
        raise ConfigError(
            "give exactly one of --deployment DIR or --model DIR",
            hint="`qmlsec train --out DIR` writes a deployment",
        )
    if deployment is not None:
        if not is_deployment(deployment):
            raise ConfigError(
                f"{deployment} is not a deployment directory (no deployment.json)",
                hint="use --model for a bare model artifact",
            )
        return Deployment.load(deployment), f"deployment {deployment}"
    assert model is not None
    return open_model(model)
