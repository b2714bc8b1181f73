"""defenses layer."""
