"""tampering attacks."""
