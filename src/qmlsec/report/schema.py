"""The JSON Schema of report.json, shipped in the package, and its validation.

Example:
    >>> load_schema()["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    True
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from qmlsec.exceptions import ConfigError

SCHEMA_PATH = Path(__file__).resolve().with_name("report.schema.json")
SCHEMA_VERSION = "1.2"


@functools.cache
def load_schema() -> dict[str, Any]:
    """The report.json schema (JSON Schema draft 2020-12)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate_report(doc: dict[str, Any]) -> None:
    """Raise :class:`ConfigError` when ``doc`` breaks the schema.

    Uses ``jsonschema`` when it is installed (the dev extra); otherwise checks the
    required top-level keys only.
    """
    schema = load_schema()
    try:
        import jsonschema
    except ImportError:
        missing = [k for k in schema["required"] if k not in doc]
        if missing:
            raise ConfigError(f"report is missing {', '.join(missing)}") from None
        return
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(json.loads(json.dumps(doc))), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(map(str, first.path)) or "(document)"
        raise ConfigError(f"report.json breaks its schema at {where}: {first.message}",
                          hint="this is a bug in the report builder") from None  # fmt: skip
