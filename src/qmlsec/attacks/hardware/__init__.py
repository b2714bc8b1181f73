"""fault attacks."""
