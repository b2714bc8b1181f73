"""inference attacks."""
