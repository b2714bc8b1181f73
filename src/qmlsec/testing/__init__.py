"""Public conformance checks (cf. scikit-learn's ``utils.estimator_checks``).

``check_attack`` asserts the attack contract; ``tests/test_common.py`` runs it over
every attack the registry finds.
"""

from qmlsec.testing.attack_checks import ConformanceError, check_attack

__all__ = ["ConformanceError", "check_attack"]
