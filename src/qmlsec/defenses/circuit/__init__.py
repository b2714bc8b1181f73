"""Circuit defenses."""
