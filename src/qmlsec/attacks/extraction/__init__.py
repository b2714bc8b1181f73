"""extraction attacks."""
