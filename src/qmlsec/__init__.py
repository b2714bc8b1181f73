"""qmlsec: a security testbed for Quantum Machine Learning as a Service.

A hybrid QNN is trained and served through a simulated QMLaaS (classical cloud +
quantum cloud with real device topologies and noise), its threats are laid out as a
quantum-aware kill chain, and every attack and defense in that kill chain runs against
it and is measured.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("qmlsec")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
