"""hardware attacks."""
