"""evasion attacks."""
