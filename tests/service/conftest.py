"""Fixtures of the service tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from service_doubles import Harness, build_app, live, write_double


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    return write_double(tmp_path / "artifacts" / "double")


@pytest.fixture
def harness(tmp_path: Path, artifact: Path) -> Iterator[Harness]:
    app = build_app(tmp_path / "svc")
    with live(app) as client:
        yield Harness(client, app, artifact)
