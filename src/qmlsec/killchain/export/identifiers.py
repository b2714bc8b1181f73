"""Deterministic STIX identifiers and timestamps shared by the STIX-based exports.

IDs are UUIDv5 of a fixed namespace and a stable key (like ATLAS's own generator), and
``created``/``modified`` are pinned, so two exports of the same input are identical.

Example:
    >>> from qmlsec.killchain.export.identifiers import stix_id
    >>> stix_id("attack-pattern", "QML.T0001") == stix_id("attack-pattern", "QML.T0001")
    True
    >>> stix_id("attack-pattern", "QML.T0001").startswith("attack-pattern--")
    True
"""

from __future__ import annotations

import uuid

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://qmlsec.invalid/killchain")
TIMESTAMP = "2025-07-11T00:00:00.000Z"
SOURCE_NAME = "qml-killchain"
KILL_CHAIN_NAME = "qml-kill-chain"


def stix_id(object_type: str, key: str) -> str:
    """``<type>--<uuid5(namespace, type:key)>``."""
    return f"{object_type}--{uuid.uuid5(NAMESPACE, f'{object_type}:{key}')}"
