"""circuit attacks."""
