"""Shared test configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

torch.set_num_threads(1)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ``shared`` folder beside the checkout (schemas, ATLAS data)."""
    if not SHARED.is_dir():
        pytest.skip(f"shared folder not found at {SHARED}")
    return SHARED
