"""availability attacks."""
