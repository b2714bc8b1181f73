"""leakage attacks."""
