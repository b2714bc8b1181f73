"""poisoning attacks."""
