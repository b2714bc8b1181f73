from __future__ import annotations

import pytest

from qmlsec.cloud.devices import get_device, list_devices
from qmlsec.exceptions import NotFoundError


def test_catalog_lists_at_least_50_fake_devices_with_sane_medians() -> None:
    fakes = list_devices(kinds=("fake",))
    assert len(fakes) >= 50
    for dev in fakes:
        assert dev.name.startswith("fake_")
        assert dev.num_qubits >= 1
        assert dev.median_readout_error is None or 0 < dev.median_readout_error < 0.5
        assert dev.median_error_1q is None or 0 < dev.median_error_1q < 0.05
        assert dev.median_t1 is None or 1e-6 < dev.median_t1 < 1e-2
        if dev.num_qubits > 1:
            assert dev.median_error_2q is not None and 0 < dev.median_error_2q <= 1
            assert dev.coupling_map and all(max(e) < dev.num_qubits for e in dev.coupling_map)


def test_catalog_is_cached_and_min_qubits_filters() -> None:
    assert list_devices()[0] is list_devices()[0]
    big = list_devices(min_qubits=127)
    assert big and all(d.num_qubits >= 127 for d in big)
    assert {"fake_brisbane", "fake_sherbrooke"} <= {d.name for d in big}


def test_fake_manila_profile_matches_its_calibration() -> None:
    dev = get_device("fake_manila")
    assert (dev.num_qubits, dev.processor_family, dev.kind) == (5, "Falcon", "fake")
    assert set(dev.basis_gates) >= {"cx", "rz", "sx", "x"}
    assert "if_else" not in dev.basis_gates
    assert len(dev.coupling_map) == 8  # a line of 5, both directions
    assert dev.backend.name == "fake_manila"
    assert get_device("manila") is dev


@pytest.mark.parametrize(
    ("name", "qubits", "edges"),
    [
        ("generic_line_8", 8, 14),
        ("generic_ring_8", 8, 16),
        ("generic_grid_3x3", 9, 24),
        ("generic_heavyhex_3", 19, 40),
    ],
)
def test_generic_topologies(name: str, qubits: int, edges: int) -> None:
    dev = get_device(name)
    assert (dev.kind, dev.num_qubits, len(dev.coupling_map)) == ("generic", qubits, edges)
    assert dev.backend.num_qubits == qubits
    assert dev.median_error_2q is not None and dev.median_error_2q > 0


def test_generic_seed_changes_calibration_not_topology() -> None:
    a, b = get_device("generic_line_5", seed=1), get_device("generic_line_5", seed=2)
    assert a.coupling_map == b.coupling_map
    assert a.median_error_2q != b.median_error_2q


def test_ideal_device() -> None:
    dev = get_device("ideal")
    assert dev.is_ideal and dev.coupling_map == () and dev.median_error_2q == 0.0
    with pytest.raises(NotFoundError):
        _ = dev.backend


def test_unknown_device_suggests_close_names() -> None:
    with pytest.raises(NotFoundError) as err:
        get_device("fake_brisban")
    assert "fake_brisbane" in (err.value.hint or "")
    with pytest.raises(NotFoundError):
        get_device("generic_ring_2")
    with pytest.raises(NotFoundError):
        get_device("generic_heavyhex_4")
